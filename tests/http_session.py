"""A tiny browser stand-in for tests that talk to a real passport process over HTTP."""

from __future__ import annotations

import html
import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+; url=([^"]+)">')


class HttpSession:
    """Keeps cookies like a browser and fills in the form token from the page it posts from."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = self.get(url)
        # The launcher's one-time address answers with a page that moves on, as browsers do.
        if refresh := REFRESH.search(page):
            page = self.get(html.unescape(refresh.group(1)))
        self.first_page = page

    def get(self, path: str) -> str:
        with self.opener.open(urllib.parse.urljoin(self.base, path), timeout=30) as response:
            return response.read().decode()

    def download(self, path: str) -> bytes:
        with self.opener.open(urllib.parse.urljoin(self.base, path), timeout=30) as response:
            return response.read()

    def post(self, form_page: str, action: str, fields: dict[str, str | list[str]]) -> str:
        """Post ``fields`` to ``action`` as the form on ``form_page`` would; return the page reached."""
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get(form_page))
        assert token, f"no form token on {form_page}"
        body = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}, doseq=True).encode()
        request = urllib.request.Request(urllib.parse.urljoin(self.base, action), data=body)
        request.add_header("Origin", self.base)
        with self.opener.open(request, timeout=60) as response:
            return response.read().decode()

"""A small real HTTP browser for tests that talk to a running bundle: cookies, forms, redirects."""

from __future__ import annotations

import http.cookiejar
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

Fields = dict[str, list[str]]


class FormReader(HTMLParser):
    """What a browser would submit for each form of a page, keyed by the form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, Fields] = {}
        self._fields: Fields | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._fields = self.forms.setdefault(a.get("action", ""), {})
        elif self._fields is None or (tag not in ("option",) and "name" not in a):
            return
        elif tag == "input" and (a.get("type") not in ("radio", "checkbox") or "checked" in a):
            if a.get("type") not in ("submit", "button"):
                self._fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._fields.setdefault(a["name"], []).append("")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self._fields.setdefault(self._select, []).append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._fields is not None and self._textarea:
            self._fields[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


class Browser:
    """Keeps the session cookie and sends forms with their CSRF token, from our own origin."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.ProxyHandler({}),
        )

    def get(self, path: str) -> str:
        return self._open(urllib.request.Request(self.base + path))

    def wait_for_home(self, timeout: float) -> str:
        """The home page, once the program answers (a first start under Wine takes seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.get("/")
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def form(self, page: str, action: str | None = None) -> Fields:
        """The fields of the form posting to ``action`` (default: the page itself) on ``page``."""
        reader = FormReader()
        reader.feed(self.get(page))
        return reader.forms[action or page]

    def submit(self, action: str, fields: Fields) -> str:
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(self.base + action, data=body, headers={"Origin": self.base})
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> str:
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode("utf-8")

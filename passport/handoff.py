"""Hand the per-launch secret to the browser without putting it on a command line.

Every user of a PC can read every process's command line (``ps``, the task
manager), so the browser is started on a small page in the user's temp folder
that only this user can read, and that page forwards the browser to the secret
address. The page holds the secret, so it lives until the secret is used or
the passport stops, whichever comes first.
"""

from __future__ import annotations

import atexit
import html
import os
import secrets
import tempfile
from pathlib import Path

from passport import browser

HOST = "127.0.0.1"
ENTER_PATH = "/entrer"
SECRET_PARAM = "jeton"

# A meta refresh rather than a script: our pages allow no inline script either.
PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0; url={url}">
<title>Ouverture du passeport</title>
</head>
<body>
<p>Ouverture de ton passeport… Si rien ne se passe, <a href="{url}">clique ici</a>.</p>
</body>
</html>
"""

_pages: list[Path] = []


def new_secret() -> str:
    """A per-launch secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def origin(port: int) -> str:
    return f"http://{HOST}:{port}"


def entry_url(port: int, secret: str) -> str:
    """The one address that lets a browser in; the launcher opens it once.

    It lives here, away from Flask, so the launcher can send the browser on its
    way before the heavy imports.
    """
    return f"{origin(port)}{ENTER_PATH}?{SECRET_PARAM}={secret}"


def write_page(url: str, folder: Path | None = None) -> Path:
    """Write the forwarding page, readable and writable by this user only (0600)."""
    handle, name = tempfile.mkstemp(prefix="passeport-", suffix=".html", dir=folder)
    path = Path(name)
    _pages.append(path)
    with os.fdopen(handle, "w", encoding="utf-8") as page:
        page.write(PAGE.format(url=html.escape(url, quote=True)))
    return path


def open_browser(url: str) -> Path:
    """Open the system browser on ``url`` by way of a forwarding page."""
    page = write_page(url)
    browser.open_in_browser(page.as_uri())
    return page


def remove_pages() -> None:
    """Delete every forwarding page this process wrote: once used, they are litter."""
    while _pages:
        _pages.pop().unlink(missing_ok=True)


atexit.register(remove_pages)

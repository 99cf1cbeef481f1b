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
import tempfile
import webbrowser
from pathlib import Path

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
    webbrowser.open(page.as_uri())
    return page


def remove_pages() -> None:
    """Delete every forwarding page this process wrote: once used, they are litter."""
    while _pages:
        _pages.pop().unlink(missing_ok=True)


atexit.register(remove_pages)

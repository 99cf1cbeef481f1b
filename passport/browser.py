"""Opening the person's own browser, and the page it shows while the passport starts.

Everything that opens a browser goes through ``open_in_browser`` so that the
launch-secret hand-off can change the address in one place.
"""

from __future__ import annotations

import html
import logging
import os
import sys
import threading
import webbrowser
from pathlib import Path

LOADING_NAME = "ouverture.html"
log = logging.getLogger(__name__)
LOADING_PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={url}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ton passeport s'ouvre…</title>
<style>
body {{ font-family: system-ui, "Segoe UI", Arial, sans-serif; font-size: 1.4rem; margin: 3rem auto;
  max-width: 40rem; padding: 0 1rem; color: #1b1b1b; }}
h1 {{ font-size: 2.2rem; color: #1d4e89; }}
a {{ color: #1d4e89; }}
</style>
</head>
<body>
<h1>Ton passeport s'ouvre…</h1>
<p>Attends quelques secondes.</p>
<p>Si rien ne se passe, <a href="{url}">clique ici pour ouvrir ton passeport</a>.</p>
</body>
</html>
"""


def first_address(folder: Path, url: str) -> str:
    """What the browser opens first: a loading page that turns into the passport.

    Not on Linux: Ubuntu's Firefox and Chromium are snaps, which see a private
    ``/tmp`` and show "file not found" for a page written there. There the
    browser opens the passport's address itself; the socket already listens, so
    the browser's own loading indicator turns into the home page just the same.
    """
    if sys.platform.startswith("linux"):
        return url
    return loading_page(folder, url)


def loading_page(folder: Path, url: str) -> str:
    """Write the page the browser shows first and return its address.

    The server's socket already listens when the browser opens this page, so its
    instant redirect waits for the first answer while the page stays on screen:
    the person sees "ton passeport s'ouvre" instead of an error.
    """
    page = folder / LOADING_NAME
    page.write_text(LOADING_PAGE.format(url=html.escape(url, quote=True)), encoding="utf-8")
    return page.as_uri()


def open_in_browser(target: str) -> threading.Thread:
    """Ask the system to open ``target`` in the default browser, without waiting for it.

    Some browsers given through ``$BROWSER`` only return when closed, so the
    call runs on its own thread; join it before exiting if the page must open.
    """
    restore_library_path()
    opener = threading.Thread(target=_open, args=(target,), name="browser", daemon=True)
    opener.start()
    return opener


def _open(target: str) -> None:
    try:
        opened = webbrowser.open(target)
    except Exception as error:  # a missing or broken browser must not stop the passport
        log.warning("browser not opened (%s)", type(error).__name__)
        return
    if not opened:
        log.warning("no browser found")


def restore_library_path() -> None:
    """Give child processes the ``LD_LIBRARY_PATH`` the person had before the bundle changed it.

    PyInstaller's bootloader puts its own folder first so the bundled libraries
    load; the system browser would then load them instead of its own and fail.
    """
    if not (sys.platform.startswith("linux") and getattr(sys, "frozen", False)):
        return
    original = os.environ.get("LD_LIBRARY_PATH_ORIG")
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original

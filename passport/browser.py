"""Opening the person's own browser: the one place that starts it.

``handoff.open_browser`` (the private forwarding page) and a second launch both
come through ``open_in_browser``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import webbrowser

log = logging.getLogger(__name__)


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

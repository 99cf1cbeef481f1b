"""The passport's log, in ``Data/logs/`` on the key: what happened, never who or what was written.

The key holds a minor's data, so the log records events (start, port, stop and
why, errors by type and place) and nothing a library might quote: its messages
can carry a URL with a first name, a file name or form input, so they are
reduced to the logger's name. Exceptions keep their type and the code lines
they went through, never their message. A small rotating file keeps the key
from filling up; a key that refuses writes simply means no log.
"""

from __future__ import annotations

import logging
import logging.handlers
import traceback
from pathlib import Path

from passport.keyroot import KeyPaths

LOG_NAME = "passeport.log"
MAX_BYTES = 256 * 1024
BACKUPS = 2
OWN_LOGGER = "passport"
# Flask names the app's logger after the package that built it; its messages quote request paths.
FLASK_APP_LOGGER = "passport.web"


class PrivacyFormatter(logging.Formatter):
    """Formats only our own messages as written; everything else loses its text."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        if not _ours(record):
            safe.msg, safe.args = "(message not kept: it may quote personal data)", None
        safe.exc_info, safe.exc_text, safe.stack_info = None, None, None
        line = super().format(safe)
        if record.exc_info and record.exc_info[1] is not None:
            line += "\n" + _exception_outline(record.exc_info[1])
        return line


def _ours(record: logging.LogRecord) -> bool:
    if record.name == FLASK_APP_LOGGER:
        return False
    return record.name == OWN_LOGGER or record.name.startswith(OWN_LOGGER + ".")


def _exception_outline(error: BaseException) -> str:
    """The exception's type and where it went, without its message."""
    frames = traceback.extract_tb(error.__traceback__)
    places = [f"  {Path(frame.filename).name}:{frame.lineno} in {frame.name}" for frame in frames]
    return "\n".join([f"  {type(error).__module__}.{type(error).__qualname__}", *places])


def start(key: KeyPaths, max_bytes: int = MAX_BYTES) -> logging.Handler | None:
    """Send every log record to the key's rotating log file; None when the key refuses."""
    try:
        key.logs.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            key.logs / LOG_NAME, maxBytes=max_bytes, backupCount=BACKUPS, encoding="utf-8", delay=False
        )
    except OSError:
        return None
    handler.setFormatter(PrivacyFormatter())
    handler.setLevel(logging.INFO)
    logging.raiseExceptions = False  # a yanked key must not print the failed record anywhere
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("waitress").setLevel(logging.WARNING)
    return handler


def stop(handler: logging.Handler | None) -> None:
    """Flush and close the file so the key can be removed."""
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    handler.close()

"""One passport per key: a small state file says which process serves it, and on which port.

A second double-click must open the page of the passport already running, not
start a second server on the same data. The state file alone proves nothing: the
process may have been killed, or the key may come from another PC where that pid
and port mean something else. So a state file counts only when its process is
alive *and* the server on its port answers ``/instance`` with the same random
token; anything else is stale and simply overwritten.

A second launch must also get the browser back in, and the first entry secret
is spent: it asks the running passport for a new one, proving it is the same
person's by a relaunch token that the first process left in this user's own
temp folder (never on the key, which anyone holding it can read).

This is separate from the store's lock file, which guards the data itself.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from passport.keyroot import KeyPaths

STATE_NAME = "passport-running.json"
HOST = "127.0.0.1"
PROBE_TIMEOUT = 20.0  # a first passport still importing from a slow key answers late, but answers
ENTRY_WAIT = 60.0
RELAUNCH_HEADER = "X-Passeport-Relance"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")  # it names a file: nothing else gets through
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Running:
    """What the state file says about the passport serving this key."""

    pid: int
    port: int
    token: str

    @property
    def url(self) -> str:
        return page_url(self.port)


def page_url(port: int) -> str:
    """The address the browser opens for the passport served on ``port``."""
    return f"http://{HOST}:{port}/"


def state_file(key: KeyPaths) -> Path:
    return key.data / STATE_NAME


def read(key: KeyPaths) -> Running | None:
    """The state file's content, or None when it is missing or unreadable."""
    try:
        state = json.loads(state_file(key).read_text(encoding="utf-8"))
        running = Running(int(state["pid"]), int(state["port"]), str(state["token"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return running if TOKEN_SHAPE.fullmatch(running.token) else None


def find_running(key: KeyPaths) -> Running | None:
    """The passport already serving this key, if one really is."""
    running = read(key)
    if running is None or not pid_alive(running.pid):
        return None
    return running if answers(running) else None


def answers(running: Running) -> bool:
    """Whether the server on ``running.port`` is the one that wrote the state file."""
    return _ask(running) is not None


def _ask(running: Running, relaunch: str | None = None) -> dict[str, object] | None:
    """The running passport's answer to ``/instance``, if it is the one the state file names."""
    request = urllib.request.Request(running.url + "instance")
    if relaunch:
        request.add_header(RELAUNCH_HEADER, relaunch)
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:
            answer = json.loads(response.read(4096))
    except (OSError, urllib.error.URLError, ValueError):
        return None
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not secrets.compare_digest(token, running.token):
        return None
    return answer


def new_entry(running: Running) -> tuple[str, int] | None:
    """A fresh one-time entry secret from the running passport, and how many are then waiting."""
    relaunch = read_relaunch(running.token)
    answer = _ask(running, relaunch) if relaunch else None
    if answer is None or not isinstance(answer.get("entree"), str):
        return None
    return str(answer["entree"]), _waiting(answer)


def wait_for_entry(running: Running, waiting: int, timeout: float = ENTRY_WAIT) -> bool:
    """Wait until a browser used one of the waiting secrets (its forwarding page may go then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = _ask(running)
        if answer is None or _waiting(answer) < waiting:
            return True
        time.sleep(0.2)
    return False


def _waiting(answer: dict[str, object]) -> int:
    waiting = answer.get("attente")
    return waiting if isinstance(waiting, int) else 0


def relaunch_file(token: str) -> Path:
    return Path(tempfile.gettempdir()) / f"passeport-relance-{token}"


def write_relaunch(token: str | None) -> str | None:
    """Leave a relaunch token in this user's temp folder, readable by this user only."""
    if token is None:
        return None
    relaunch = secrets.token_urlsafe(32)
    try:
        fd = os.open(relaunch_file(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(relaunch)
    except OSError:
        return None
    return relaunch


def read_relaunch(token: str) -> str | None:
    try:
        return relaunch_file(token).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def remove_relaunch(token: str | None) -> None:
    if token is not None:
        relaunch_file(token).unlink(missing_ok=True)


def claim(key: KeyPaths, port: int) -> str | None:
    """Record this process as the key's passport; return its token (None if the key refuses writes)."""
    token = secrets.token_urlsafe(16)
    state = {"pid": os.getpid(), "port": port, "token": token}
    try:
        key.data.mkdir(parents=True, exist_ok=True)
        state_file(key).write_text(json.dumps(state), encoding="utf-8")
    except OSError as error:
        log.warning("state file not written (%s): a second launch will not find this one", type(error).__name__)
        return None
    return token


def is_current(key: KeyPaths, token: str | None) -> bool:
    """Whether the key, as reachable now, still names this process as its passport."""
    running = read(key)
    return token is not None and running is not None and secrets.compare_digest(running.token, token)


def release(key: KeyPaths, token: str | None) -> None:
    """Remove the state file if it is still ours (a yanked key is not an error)."""
    try:
        if is_current(key, token):
            state_file(key).unlink()
    except OSError as error:
        log.warning("state file not removed (%s)", type(error).__name__)


def pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _windows_pid_alive(pid: int) -> bool:
    """``os.kill(pid, 0)`` would terminate the process on Windows: ask the kernel instead."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)

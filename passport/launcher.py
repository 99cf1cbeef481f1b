"""Start the passport: find the key, serve it on 127.0.0.1, open the browser, stop cleanly.

The order matters for a slow PC: the socket listens and the browser is sent to
it *before* the heavy imports (Flask, python-docx). The browser shows the
forwarding page ("Ouverture de ton passeport…", ``handoff``) while its request
waits in the socket's queue, and the passport appears as soon as it answers.
How it all fits, and why: docs/key.md.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import signal
import socket
import sys
import time
from types import FrameType

from passport import __version__, browser, handoff, instance, keyroot, logfile
from passport.keylock import KeyInUseError, KeyLock
from passport.watchdog import Limits, Watchdog

BROWSER_WAIT = 10.0
STARTING_WAIT = 15.0
STOPPED = "stopped"
ALREADY_OPEN = (
    "Ton passeport est déjà ouvert par un autre programme sur cet ordinateur. "
    "Ferme-le (bouton « Terminer »), puis double-clique à nouveau sur « Passeport »."
)
log = logging.getLogger(__name__)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="passport", description="Le passeport sur clé USB.")
    parser.add_argument("--key", help="dossier de la clé (par défaut : la clé où se trouve le programme)")
    parser.add_argument("--port", type=int, default=0, help="port à utiliser (par défaut : un port libre)")
    parser.add_argument("--no-browser", action="store_true", help="ne pas ouvrir le navigateur")
    defaults = Limits()
    # Limits in seconds, for tests and measurements only.
    parser.add_argument("--beat-seconds", type=float, default=defaults.beat, help=argparse.SUPPRESS)
    parser.add_argument("--idle-seconds", type=float, default=defaults.idle, help=argparse.SUPPRESS)
    parser.add_argument("--browser-gone-seconds", type=float, default=defaults.browser_gone, help=argparse.SUPPRESS)
    parser.add_argument("--key-gone-seconds", type=float, default=defaults.key_gone, help=argparse.SUPPRESS)
    parser.add_argument("--starting-wait-seconds", type=float, default=STARTING_WAIT, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_streams()
    key = keyroot.locate(args.key)
    running = instance.find_running(key)
    if running is not None:
        return show_running(running, args.no_browser)
    with contextlib.suppress(OSError):  # a write-protected key: the pages say what can and cannot be done
        keyroot.prepare(key)
    key_lock = KeyLock(key.data)
    try:
        with contextlib.suppress(OSError):  # no lock on a write-protected key: the store retries at its first save
            key_lock.claim()
    except KeyInUseError:
        return already_open(key, args.no_browser, args.starting_wait_seconds)
    handler = logfile.start(key)
    try:
        return start(args, key, handler, key_lock)
    finally:
        logfile.stop(handler)


def already_open(key: keyroot.KeyPaths, no_browser: bool, wait: float) -> int:
    """Another passport program holds the key: two double-clicks at once, or one still starting."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        running = instance.find_running(key)
        if running is not None:
            return show_running(running, no_browser)
        time.sleep(0.2)
    print(ALREADY_OPEN, file=sys.stderr)
    return 1


def show_running(running: instance.Running, no_browser: bool) -> int:
    """A second double-click: show the passport already open on this key, then leave.

    The running passport hands a new entry secret to this same user; without one
    (another user of the PC), its plain address only works for a browser already let in.
    """
    entry = instance.new_entry(running)
    if entry is None:
        say(running.url)
        if not no_browser:
            browser.open_in_browser(running.url).join(BROWSER_WAIT)
        return 0
    secret, waiting = entry
    url = handoff.entry_url(running.port, secret)
    say(url)
    if not no_browser:
        handoff.open_browser(url)
        instance.wait_for_entry(running, waiting)  # the forwarding page is removed when we exit
    return 0


def start(args: argparse.Namespace, key: keyroot.KeyPaths, handler: logging.Handler | None, key_lock: KeyLock) -> int:
    listener = listen(args.port)
    port = listener.getsockname()[1]
    secret = handoff.new_secret()
    url = handoff.entry_url(port, secret)
    token = instance.claim(key, port)
    relaunch = instance.write_relaunch(token)
    log.info("passport %s started: %s, frozen=%s, port %d", __version__, platform.system(), _frozen(), port)

    def let_go_of_key(reason: str) -> None:
        """Everything that touches the key, done before the goodbye page says it may be removed."""
        log.info("stopping: %s", reason)
        instance.release(key, token)
        key_lock.release()
        logfile.stop(handler)

    watchdog = Watchdog(_limits(args), on_finish=let_go_of_key)
    say(url)  # the console is this user's own; the browser gets it through a private page
    if not args.no_browser:
        handoff.open_browser(url)
    try:
        serve(key, listener, secret, {"INSTANCE_TOKEN": token, "RELAUNCH_TOKEN": relaunch}, watchdog)
    finally:
        watchdog.finish(STOPPED)
        instance.remove_relaunch(token)
        handoff.remove_pages()
    return 0


def serve(
    key: keyroot.KeyPaths, listener: socket.socket, secret: str, config: dict[str, str | None], watchdog: Watchdog
) -> None:
    from passport.server import serve as serve_until_stopped  # the heavy imports, once the browser is on its way
    from passport.web import create_app

    app = create_app(key, listener.getsockname()[1], secret, watchdog)
    app.config.update(config)
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _stop)
    with contextlib.suppress(KeyboardInterrupt):
        serve_until_stopped(app, listener, watchdog, key)


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(
        beat=args.beat_seconds,
        idle=args.idle_seconds,
        browser_gone=args.browser_gone_seconds,
        key_gone=args.key_gone_seconds,
    )


def listen(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1: connections wait in its queue until the app is ready."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((instance.HOST, port))
    listener.listen(128)
    return listener


def ensure_streams() -> None:
    """Windowed builds start with ``sys.stdout`` and ``sys.stderr`` set to None."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process


def say(line: str) -> None:
    """Print for the console (the first line is the address tests and scripts read)."""
    print(line, flush=True)


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)

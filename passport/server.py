"""The serving loop: waitress, run until the watchdog says stop.

``waitress.serve`` only stops on a signal, which a page cannot send on Windows.
Running waitress's event loop one turn at a time lets the "Terminer" button,
the heartbeat limits and a pulled key end it from any thread, on every system.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from waitress import wasyncore
from waitress.server import create_server

from passport import keyroot
from passport.watchdog import Watchdog

WsgiApp = Callable[..., object]
TURN_SECONDS = 0.5
KEY_CHECK_SECONDS = 5.0


def serve(app: WsgiApp, listener: socket.socket, watchdog: Watchdog, key: keyroot.KeyPaths, threads: int = 4) -> None:
    """Serve ``app`` on the listening socket until ``watchdog.should_stop()``."""
    socket_map: dict[int, object] = {}
    server = create_server(app, map=socket_map, sockets=[listener], threads=threads, ident="passeport")
    next_key_check = 0.0
    try:
        while not watchdog.should_stop():
            wasyncore.loop(timeout=TURN_SECONDS, map=socket_map, count=1)
            now = time.monotonic()
            if now >= next_key_check:
                watchdog.saw_key(keyroot.reachable(key))
                next_key_check = now + KEY_CHECK_SECONDS
    finally:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)

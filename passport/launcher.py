"""Start the passport: find the key, serve it on 127.0.0.1, open the browser."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from types import FrameType

from waitress.server import create_server

from passport import handoff, keyroot
from passport.web import create_app, security

HOST = "127.0.0.1"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="passport", description="Le passeport sur clé USB.")
    parser.add_argument("--key", help="dossier de la clé (par défaut : la clé de démonstration)")
    parser.add_argument("--port", type=int, default=0, help="port à utiliser (par défaut : un port libre)")
    parser.add_argument("--no-browser", action="store_true", help="ne pas ouvrir le navigateur")
    return parser.parse_args(argv)


def say(line: str) -> None:
    """Print for the person at the console; windowed builds have no stdout."""
    if sys.stdout is not None:
        print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    key = keyroot.locate(args.key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, args.port))
    port = listener.getsockname()[1]
    secret = security.new_secret()
    server = create_server(create_app(key, port, secret), sockets=[listener], threads=4, ident="passeport")
    url = security.entry_url(port, secret)
    say(url)  # the console is this user's own; the browser gets it through a file
    signal.signal(signal.SIGTERM, _stop)
    if not args.no_browser:
        handoff.open_browser(url)
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.close()
    return 0


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)

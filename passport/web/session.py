"""The life of a session: the heartbeat, the "Terminer" button, and a key pulled out.

``/instance`` is asked by a second launch, without the session cookie: it proves
which passport this is and, to a caller holding the relaunch token from this
user's temp folder, hands a new one-time entry secret. ``/battement`` is the
heartbeat script's. Neither answers anything personal.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from passport import instance, keyroot
from passport.watchdog import FINISHED, Watchdog

bp = Blueprint("session", __name__)
QUIET = {"session.beat", "session.instance", "static"}


def watchdog() -> Watchdog:
    return current_app.extensions["watchdog"]


def _key() -> keyroot.KeyPaths:
    return current_app.config["KEY"]


def _before() -> tuple[str, int] | None:
    """Count the person's activity; once finished, every page says goodbye."""
    if request.endpoint in QUIET:
        return None
    watchdog().saw_page()
    if watchdog().finished:
        return render_template("goodbye.html", key_present=True), 200
    return None


def _key_gone() -> dict[str, bool]:
    """Pages still show what the passport holds with the key out, under a French warning.

    Saves then fail with their own message and keep what was typed (``views``).
    """
    present = keyroot.reachable(_key())
    watchdog().saw_key(present)
    return {"key_gone": not present}


@bp.get("/battement")
def beat() -> Response:
    present = keyroot.reachable(_key())
    watchdog().saw_beat(active=request.args.get("actif") == "1")
    watchdog().saw_key(present)
    return jsonify(cle=present, ouvert=not watchdog().finished)


@bp.get("/instance")
def instance_token() -> Response | tuple[Response, int]:
    """Prove to a second launch that this server is the one the key's state file names."""
    token = current_app.config.get("INSTANCE_TOKEN")
    if watchdog().finished or not instance.is_current(_key(), token):
        return jsonify(), 503
    launch = current_app.extensions["launch"]
    answer: dict[str, object] = {"token": token}
    relaunch = current_app.config.get("RELAUNCH_TOKEN") or ""
    offered = request.headers.get(instance.RELAUNCH_HEADER, "")
    if relaunch and hmac.compare_digest(offered.encode(), relaunch.encode()):
        answer["entree"] = launch.issue()
    answer["attente"] = launch.pending
    return jsonify(answer)


@bp.post("/terminer")
def finish() -> str:
    """Let go of the key, then say in large letters that it may be removed."""
    present = keyroot.reachable(_key())
    passport = current_app.extensions.get("passport")
    if passport is not None:
        passport.store.close()  # lets go of Data/passport.lock before saying the key may go
    watchdog().finish(FINISHED)
    return render_template("goodbye.html", key_present=present)


def init_app(app: Flask, dog: Watchdog) -> None:
    app.extensions["watchdog"] = dog
    app.context_processor(lambda: {"beat_ms": int(dog.limits.beat * 1000)})
    app.context_processor(_key_gone)
    app.before_request(_before)
    app.register_blueprint(bp)

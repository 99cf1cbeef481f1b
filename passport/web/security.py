"""Who may talk to the passport's server, and what every response carries.

Loopback is not a boundary: other people logged in on a shared PC can reach
127.0.0.1, and any web page open in the browser can post forms to it or point a
host name of its own at it (DNS rebinding). So a request is served only when it
names our exact address in ``Host``, carries the session cookie that the
per-launch secret was swapped for, and, when it changes something, comes from
our own pages (``Origin`` or ``Referer``, and the form token).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import MutableMapping
from typing import Any

from flask import Flask, abort, current_app, render_template, request, session
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from passport import handoff
from passport.handoff import ENTER_PATH, HOST, SECRET_PARAM
from passport.handoff import entry_url as entry_url
from passport.handoff import new_secret as new_secret
from passport.handoff import origin as origin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The refusal page's own stylesheet: public (the same on every key), nothing of the person.
OPEN_STATIC = frozenset({"style.css"})
ADMITTED = "admitted"
# The launcher's probe (web/session.py): it answers nothing personal, and hands a new
# secret only to a caller that read the relaunch token from this user's temp folder.
OPEN_ENDPOINTS = frozenset({"security.enter", "session.instance_token"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; "  # the heartbeat (static/alive.js) asks /battement
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# ``same-origin`` rather than ``no-referrer``: under ``no-referrer`` browsers send
# ``Origin: null`` with our own form posts, which would void the Origin check.
# Neither sends anything to another site.
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class Launch:
    """The per-launch secret, good for a single swap against the session cookie.

    A second double-click on the key asks the running passport for another
    one-time secret (``issue``), so a browser without the cookie gets back in.
    """

    def __init__(self, secret: str) -> None:
        self._secrets = [secret.encode()]
        self._lock = threading.Lock()

    def issue(self) -> str:
        secret = new_secret()
        with self._lock:
            self._secrets.append(secret.encode())
        return secret

    @property
    def pending(self) -> int:
        """How many secrets are still waiting to be used."""
        with self._lock:
            return len(self._secrets)

    def redeem(self, offered: str) -> bool:
        with self._lock:
            for secret in self._secrets:
                if hmac.compare_digest(offered.encode(), secret):
                    self._secrets.remove(secret)
                    return True
            return False


def admit(session_data: MutableMapping[str, Any]) -> None:
    """Mark a browser session as the one the launcher opened."""
    session_data[ADMITTED] = True


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(csrf_token()))


def _refused(status: int) -> Response:
    return current_app.make_response((render_template("refused.html"), status))


def _enter() -> Response:
    """Swap the secret for the session cookie, then leave the secret's URL behind.

    The way in is a page that refreshes to the home page, not an HTTP redirect:
    this request comes from outside (the launcher's page), and browsers withhold
    a SameSite=Strict cookie along a redirect chain that started outside.
    """
    if not session.get(ADMITTED):
        if not current_app.extensions["launch"].redeem(request.args.get(SECRET_PARAM, "")):
            return _refused(403)
        handoff.remove_pages()
        session.clear()
        admit(session)
    return current_app.make_response(render_template("entered.html"))


def _check_request() -> Response | None:
    """Runs before any handler: wrong address, no cookie, or a foreign post stop here."""
    if request.environ.get("HTTP_HOST") != current_app.config["SERVER_NAME"]:
        return _refused(400)
    if not (session.get(ADMITTED) or _open_to_all()):
        return _refused(403)
    if request.method not in SAFE_METHODS:
        _check_form_token()
        _check_origin()
    return None


def _open_to_all() -> bool:
    """The way in, the second launch's question, and what the refusal page needs."""
    if request.endpoint in OPEN_ENDPOINTS:
        return True
    return request.endpoint == "static" and (request.view_args or {}).get("filename") in OPEN_STATIC


def _check_form_token() -> None:
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400)


def _check_origin() -> None:
    """Browsers send ``Origin`` with every post; very old ones only ``Referer``."""
    ours = current_app.config["PASSPORT_ORIGIN"]
    sent = request.headers.get("Origin")
    if sent is not None:
        if sent != ours:
            abort(403)
        return
    referer = request.headers.get("Referer", "")
    if not referer.startswith(ours + "/"):
        abort(403)


def _headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    location = response.headers.get("Location")
    if location is not None and not _inside_app(location):
        raise ValueError("redirect outside the app")
    return response


def _inside_app(location: str) -> bool:
    """Only paths of this app: ``/x``, never ``//host``, ``/\\host`` or a scheme."""
    return location.startswith("/") and not location.startswith(("//", "/\\"))


def init_app(app: Flask, port: int, secret: str) -> None:
    # SERVER_NAME only names us (Flask 3.1 does not filter on it); the Host check is ours.
    app.config.update(SERVER_NAME=f"{HOST}:{port}", PASSPORT_ORIGIN=origin(port))
    app.extensions["launch"] = Launch(secret)
    app.add_url_rule(ENTER_PATH, "security.enter", _enter)
    app.before_request(_check_request)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_field"] = csrf_field

"""Request checks and response headers that every page gets.

Any web page open in the same browser can post a form to 127.0.0.1, so every
POST carries a per-session token and must come from our own origin.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer makes Chromium post "Origin: null"
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(csrf_token()))


def _check_post() -> None:
    if request.method != "POST":
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        abort(403)
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400)


def _headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_check_post)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_field"] = csrf_field

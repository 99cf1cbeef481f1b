"""The passport's pages: a Flask application factory and its blueprints."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from flask import Flask

from passport import keyform, keyroot
from passport.records import Passport, load_directory
from passport.store import NewerSchemaError, Store
from passport.watchdog import Watchdog
from passport.web import directory, documents, home, intake, security, session, steps, views

TEMPLATES = Path(getattr(sys, "_MEIPASS", keyroot.REPOSITORY)) / "templates"


def create_app(
    key: keyroot.KeyPaths, port: int = 0, secret: str | None = None, watchdog: Watchdog | None = None
) -> Flask:
    """Build the app serving ``key`` on 127.0.0.1:``port``, entered once with ``secret``.

    Without a ``secret`` nobody can enter: a new one is drawn and never told.
    ``watchdog`` hears the heartbeat and the "Terminer" button (the launcher's
    one stops the server); tests get a fresh one that stops nothing.
    """
    keyroot.prepare(key)
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder="../static")
    app.config.update(
        DEBUG=False,  # never, even with FLASK_DEBUG set in the environment
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_NAME=f"passeport-{port}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=1024 * 1024,
        KEY=key,
    )
    key_forms = keyform.load(key.data)
    app.config.update(FORM_PROBLEMS=key_forms.problems, WORD_TEMPLATE=key_forms.template)
    security.init_app(app, port, secret or security.new_secret())
    session.init_app(app, watchdog or Watchdog())
    views.init_app(app)
    try:
        store = Store(key.data)
    except NewerSchemaError:
        app.before_request(views.newer_version_page)
    else:
        app.extensions["passport"] = passport = Passport(store, key_forms.forms, load_directory())
        passport.refresh_indicators()  # a summary missed by a full or pulled key is written now
    for blueprint in (home.bp, steps.bp, intake.bp, directory.bp, documents.bp):
        app.register_blueprint(blueprint)
    return app

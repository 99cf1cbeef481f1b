"""Fixtures: a key folder, the app on it, a test client let in as the launcher's browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from passport.keyroot import KeyPaths
from passport.records import Passport
from passport.web import create_app, security

from support import FatKey

CSRF = "test-csrf-token"
LAUNCH_SECRET = "test-launch-secret-" + "x" * 32


class Client(FlaskClient):
    """A browser stand-in: let in as the launcher's browser would be (session cookie), it
    sends the form token and the ``Origin`` a real page would carry."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self.session_transaction() as session:
            security.admit(session)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        data = kwargs.setdefault("data", {})
        if isinstance(data, dict):
            data.setdefault("csrf_token", CSRF)
        kwargs["headers"] = {"Origin": self.application.config["PASSPORT_ORIGIN"], **dict(kwargs.get("headers") or {})}
        with self.session_transaction() as session:
            session["csrf"] = CSRF
        return super().post(*args, **kwargs)


@pytest.fixture
def key(tmp_path: Path) -> KeyPaths:
    return KeyPaths(tmp_path / "KEY")


@pytest.fixture
def app(key: KeyPaths) -> Iterator[Flask]:
    app = create_app(key, port=5000, secret=LAUNCH_SECRET)
    app.config["TESTING"] = True
    app.test_client_class = Client
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def passport(app: Flask) -> Passport:
    return app.extensions["passport"]


@pytest.fixture(params=["tmp", "fat"])
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """An empty folder on each filesystem the storage must work on: the machine's disk and a
    FAT32 key (a real image mounted with fusefat)."""
    if request.param == "tmp":
        folder = tmp_path / "disk"
        folder.mkdir()
        yield folder
        return
    with FatKey(tmp_path) as key:
        yield key.mount


@pytest.fixture
def stranger(app: Flask) -> FlaskClient:
    """A browser that was not opened by the launcher: no session cookie."""
    return FlaskClient(app, app.response_class, use_cookies=True)

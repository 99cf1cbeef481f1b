"""Fixtures: a key folder, the app on it, a test client that sends the CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from passport.keyroot import KeyPaths
from passport.records import Passport
from passport.web import create_app

from support import FatKey

CSRF = "test-csrf-token"


class Client(FlaskClient):
    """A browser stand-in: it sends the form token a real page would carry."""

    def post(self, *args: Any, **kwargs: Any) -> Any:
        data = kwargs.setdefault("data", {})
        if isinstance(data, dict):
            data.setdefault("csrf_token", CSRF)
        with self.session_transaction() as session:
            session["csrf"] = CSRF
        return super().post(*args, **kwargs)


@pytest.fixture
def key(tmp_path: Path) -> KeyPaths:
    return KeyPaths(tmp_path / "KEY")


@pytest.fixture
def app(key: KeyPaths) -> Iterator[Flask]:
    app = create_app(key, port=5000)
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

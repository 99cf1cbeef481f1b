"""The secret reaches the browser through a private page in the temp folder, never a command line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from passport import handoff
from passport.keyroot import REPOSITORY

from conftest import LAUNCH_SECRET

URL = "http://127.0.0.1:5000/entrer?jeton=abc_DEF-123"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(autouse=True)
def no_leftovers():
    yield
    handoff.remove_pages()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_page_is_readable_by_this_user_only(tmp_path):
    old = os.umask(0)  # even with a umask that lets everyone read
    try:
        page = handoff.write_page(URL, tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert page.parent == tmp_path and page.name.startswith("passeport-") and page.suffix == ".html"


def test_the_page_forwards_with_a_meta_refresh_and_no_script(tmp_path):
    page = handoff.write_page(URL, tmp_path)
    parser = Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    refresh = [attrs for tag, attrs in parser.tags if tag == "meta" and attrs.get("http-equiv") == "refresh"]
    assert refresh == [{"http-equiv": "refresh", "content": f"0; url={URL}"}]
    assert ("a", {"href": URL}) in parser.tags
    assert "script" not in [tag for tag, _ in parser.tags]
    assert {"name": "referrer", "content": "no-referrer"} in [attrs for tag, attrs in parser.tags if tag == "meta"]


def test_a_url_cannot_break_out_of_the_page(tmp_path):
    page = handoff.write_page('http://127.0.0.1:1/"><script>alert(1)</script>', tmp_path)
    parser = Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    assert "script" not in [tag for tag, _ in parser.tags]


def test_each_launch_gets_its_own_page_and_using_the_secret_removes_them(tmp_path):
    first = handoff.write_page(URL, tmp_path)
    second = handoff.write_page(URL + "x", tmp_path)
    assert first != second and first.exists() and second.exists()
    handoff.remove_pages()
    assert not first.exists() and not second.exists()
    handoff.remove_pages()  # twice is harmless


def test_the_browser_is_given_the_page_not_the_secret(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(handoff.browser, "open_in_browser", opened.append)
    monkeypatch.setattr(handoff.tempfile, "tempdir", str(tmp_path))
    page = handoff.open_browser(URL)
    assert opened == [page.as_uri()]
    assert "jeton" not in opened[0] and "abc_DEF-123" not in opened[0]
    assert page.parent == tmp_path and URL in page.read_text(encoding="utf-8")


def test_pages_left_unused_are_removed_when_the_passport_stops(tmp_path):
    script = (
        "import sys; from pathlib import Path; from passport import handoff; "
        "print(handoff.write_page(sys.argv[1], Path(sys.argv[2])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, URL, str(tmp_path)], cwd=REPOSITORY, capture_output=True, text=True, check=True
    )
    written = Path(done.stdout.strip())
    assert written.parent == tmp_path
    assert not written.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_page_is_removed_as_soon_as_the_secret_is_used(stranger, tmp_path):
    page = handoff.write_page(f"http://127.0.0.1:5000/entrer?jeton={LAUNCH_SECRET}", tmp_path)
    assert stranger.get("/entrer?jeton=devine").status_code == 403
    assert page.exists()  # a wrong guess changes nothing
    assert stranger.get(f"/entrer?jeton={LAUNCH_SECRET}").status_code == 200
    assert not page.exists()

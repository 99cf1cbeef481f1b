"""The server answers only the browser the launcher opened, through the Flask test client.

``client`` is that browser (let in, sends the form token and our Origin);
``stranger`` is any other browser, page or local user reaching the port.
"""

from __future__ import annotations

import base64
import logging
import re
from html.parser import HTMLParser

import pytest
from flask import redirect
from flask.testing import FlaskClient

from passport.web import create_app, security

from conftest import CSRF, LAUNCH_SECRET
from support import page_urls

ORIGIN = "http://127.0.0.1:5000"
REFUSED = "Ouvre ton passeport depuis ta clé"
ENTRY = f"/entrer?jeton={LAUNCH_SECRET}"
PAGE_VALUES = {"step_id": 1, "intake_id": 1, "name": "suivi-lea-2026-11-29.docx", "filename": "style.css"}
STEP = {"date": "2026-11-29", "action": "Appeler la Mission Locale", "status": "À faire"}
INTAKE = {"date": "2026-11-29", "structure": "cio", "first_name": "Léa", "consent": "on"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def filled(client, passport, key):
    """A passport with a name, a step, an intake sheet and an export, so every page has content."""
    client.post("/profil", data={"first_name": "Léa", "last_name": "Martin"})
    client.post("/demarches/nouvelle", data=dict(STEP))
    client.post("/bilans/nouveau", data=dict(INTAKE))
    client.post("/documents/suivi")
    (export,) = key.exports.iterdir()
    return {**PAGE_VALUES, "name": export.name}


def every_page(app, values) -> list[str]:
    return [url for url in page_urls(app, values) if not url.startswith("/entrer")]


def html_pages(client, app, values) -> dict[str, str]:
    """Every HTML page the let-in browser can get, by address."""
    responses = {url: client.get(url) for url in every_page(app, values)}
    return {url: text(r) for url, r in responses.items() if r.mimetype == "text/html"}


# 1. Bound to 127.0.0.1, never debug mode (the socket itself: test_server_socket.py) ----


def test_debug_mode_stays_off_even_when_the_environment_asks_for_it(key, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(key, port=5000, secret=LAUNCH_SECRET)
    assert app.debug is False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    browser = app.test_client()
    browser.get(ENTRY)
    response = browser.get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in text(response) and "Traceback" not in text(response)
    assert "Quelque chose n&#39;a pas marché" in text(response)


# 2. Host allow-list -----------------------------------------------------------------


BAD_HOSTS = [
    "evil.example",
    "evil.example:5000",
    "0177.0.0.1:5000",
    "127.1:5000",
    "2130706433:5000",
    "localhost:5000",
    "localhost.:5000",
    "LOCALHOST:5000",
    "[::1]:5000",
    "[::ffff:127.0.0.1]:5000",
    "127.0.0.1",
    "127.0.0.1:5001",
    "127.0.0.1:05000",
    "127.0.0.1:5000.evil.example",
    "",
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_any_other_host_is_refused_before_any_handler(client, passport, host):
    client.post("/profil", data={"first_name": "Léa"})
    for url in ("/", "/profil", "/nulle-part", "/static/style.css", ENTRY):
        response = client.get(url, headers={"Host": host})
        assert response.status_code == 400, url
        assert REFUSED in text(response) and "Léa" not in text(response)
    posted = client.post("/profil", data={"first_name": "Mallory"}, headers={"Host": host})
    assert posted.status_code == 400
    assert passport.profile()["first_name"] == "Léa"


def test_the_right_host_is_served(client):
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200


# 3. Per-launch secret, swapped once for the session cookie ---------------------------


def test_without_the_cookie_every_page_is_refused_in_french(client, stranger, app, filled):
    urls = every_page(app, filled)
    assert len(urls) >= 10
    for url in urls:
        if url in ("/static/style.css", "/instance"):  # /instance: the second launch's probe (test_session.py)
            continue
        response = stranger.get(url)
        assert response.status_code == 403, url
        page = text(response)
        assert REFUSED in page and "double-clique sur « Passeport »" in page, url
        assert "Léa" not in page and "Martin" not in page and "Mission Locale" not in page, url
    for url in ("/profil", "/demarches/nouvelle", "/documents/suivi", "/nulle-part"):
        response = stranger.post(url, data={"first_name": "Mallory", "csrf_token": "x"}, headers={"Origin": ORIGIN})
        assert response.status_code == 403 and REFUSED in text(response)
    assert client.get("/").status_code == 200
    assert "Mallory" not in text(client.get("/profil"))


def test_only_the_stylesheet_of_the_refusal_page_is_served_without_the_cookie(client, stranger, app):
    refusal = text(stranger.get("/"))
    assert re.findall(r'(?:href|src)="([^"]+)"', refusal) == ["/static/style.css"]
    assert stranger.get("/static/style.css").status_code == 200
    for other in ("/static/icon.svg", "/static/../templates/home.html", "/static/style.css/x", "/favicon.ico"):
        assert stranger.get(other).status_code == 403, other
    assert client.get("/static/icon.svg").status_code == 200


def test_the_secret_is_swapped_once_for_a_strict_httponly_session_cookie(app, stranger):
    entered = stranger.get(ENTRY)
    assert entered.status_code == 200
    (cookie,) = entered.headers.getlist("Set-Cookie")
    name, _, attributes = cookie.partition("=")
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in attributes.split(";")[1:]}
    assert name == "passeport-5000"
    assert "httponly" in flags and flags["samesite"] == "SameSite=Strict" and flags["path"] == "Path=/"
    assert "expires" not in flags and "max-age" not in flags and "domain" not in flags
    assert stranger.get("/").status_code == 200

    another = FlaskClient(app, app.response_class)
    assert another.get(ENTRY).status_code == 403
    assert another.get("/").status_code == 403


def test_the_entry_page_moves_on_to_a_url_without_the_secret(stranger):
    page = text(stranger.get(ENTRY))
    assert '<meta http-equiv="refresh" content="0; url=/">' in page
    assert '<a href="/">' in page
    assert LAUNCH_SECRET not in page


def test_coming_back_to_the_entry_once_in_just_moves_on(stranger):
    stranger.get(ENTRY)
    again = stranger.get("/entrer?jeton=autre-chose")
    assert again.status_code == 200 and '<a href="/">' in text(again)


@pytest.mark.parametrize(
    "offered",
    ["", LAUNCH_SECRET[:-1], LAUNCH_SECRET + "x", LAUNCH_SECRET.upper(), " " + LAUNCH_SECRET, "é" * 51],
)
def test_a_wrong_secret_is_refused_and_does_not_spend_the_right_one(app, stranger, offered):
    response = stranger.get(f"/entrer?jeton={offered}")
    assert response.status_code == 403 and REFUSED in text(response)
    assert "Set-Cookie" not in response.headers
    assert stranger.get(ENTRY).status_code == 200


def test_the_secret_is_compared_in_constant_time(stranger, monkeypatch):
    compared = []
    real = security.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    stranger.get("/entrer?jeton=devine")
    assert compared == [(b"devine", LAUNCH_SECRET.encode())]


def test_secrets_are_random_and_at_least_128_bits():
    drawn = {security.new_secret() for _ in range(200)}
    assert len(drawn) == 200
    for secret in drawn:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", secret)
        assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) * 8 >= 128


def test_the_cookie_is_named_after_the_port_and_useless_to_another_launch(key):
    first = create_app(key, port=6123, secret=LAUNCH_SECRET)
    browser = FlaskClient(first, first.response_class)
    entered = browser.get(ENTRY)
    assert entered.headers["Set-Cookie"].startswith("passeport-6123=")
    assert browser.get("/").status_code == 200
    value = browser.get_cookie("passeport-6123", domain="127.0.0.1").value

    second = create_app(key, port=6123, secret=LAUNCH_SECRET)
    replay = FlaskClient(second, second.response_class)
    replay.set_cookie("passeport-6123", value, domain="127.0.0.1")
    assert replay.get("/").status_code == 403


def test_an_app_made_without_a_secret_lets_nobody_in(key):
    app = create_app(key, port=5000)
    browser = FlaskClient(app, app.response_class)
    assert browser.get("/entrer?jeton=").status_code == 403
    assert browser.get("/entrer?jeton=None").status_code == 403
    assert browser.get("/").status_code == 403


# 4. CSRF token on every form, Origin (or Referer) on every post ------------------------


class Forms(HTMLParser):
    """Collects each form's method and the names of its hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "hidden": {}})
        elif tag == "input" and attrs.get("type") == "hidden" and self.forms:
            self.forms[-1]["hidden"][attrs.get("name")] = attrs.get("value")


def test_every_form_posts_with_the_session_token(client, app, filled):
    client.get("/")
    with client.session_transaction() as session:
        token = session.get("csrf")
    seen = 0
    for url, page in html_pages(client, app, filled).items():
        parser = Forms()
        parser.feed(page)
        for form in parser.forms:
            assert form["method"] == "post", url
            assert form["hidden"].get("csrf_token") == token == CSRF, url
            seen += 1
    assert seen >= 8


def test_each_session_draws_its_own_token(app):
    tokens = set()
    for _ in range(3):
        browser = FlaskClient(app, app.response_class)
        with browser.session_transaction() as session:
            security.admit(session)
        parser = Forms()
        parser.feed(text(browser.get("/profil")))
        tokens.add(parser.forms[0]["hidden"]["csrf_token"])
    assert len(tokens) == 3


@pytest.mark.parametrize("token", ["", "wrong", CSRF + "x", CSRF[:-1]])
def test_a_post_without_the_right_token_is_refused(client, passport, token):
    response = client.post("/profil", data={"first_name": "Mallory", "csrf_token": token})
    assert response.status_code == 400 and "Demande refusée" in text(response)
    assert passport.profile() == {}


def post_as_is(client, url: str, data: dict, headers: dict):
    """Post with the session's right token but exactly the headers given (no Origin added)."""
    with client.session_transaction() as session:
        session["csrf"] = CSRF
    return FlaskClient.post(client, url, data=data, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:5001"},
        {"Origin": "http://localhost:5000"},
        {"Origin": "https://127.0.0.1:5000"},
        {"Origin": "http://127.0.0.1:5000.evil.example"},
        {"Origin": ""},
        {"Origin": "http://evil.example", "Referer": ORIGIN + "/profil"},
        {"Origin": None},
        {"Origin": None, "Referer": "http://evil.example/"},
        {"Origin": None, "Referer": "http://127.0.0.1:5000.evil.example/"},
        {"Origin": None, "Referer": ORIGIN},
    ],
)
def test_a_post_from_anywhere_else_is_refused(client, passport, headers):
    sent = {k: v for k, v in headers.items() if v is not None}
    response = post_as_is(client, "/profil", {"first_name": "Mallory", "csrf_token": CSRF}, sent)
    assert response.status_code == 403 and "Demande refusée" in text(response)
    assert passport.profile() == {}


def test_a_post_with_our_referer_and_no_origin_is_accepted(client, passport):
    response = post_as_is(client, "/profil", {"first_name": "Léa", "csrf_token": CSRF}, {"Referer": ORIGIN + "/profil"})
    assert response.status_code == 302
    assert passport.profile()["first_name"] == "Léa"


# 5. Headers on every response ---------------------------------------------------------


EXPECTED_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def test_every_response_carries_the_security_headers(client, stranger, app, filled):
    responses = [client.get(url) for url in every_page(app, filled)]
    responses += [
        client.get("/nulle-part"),
        client.post("/profil", data={"first_name": ""}),
        client.post("/profil", data={"first_name": "Léa"}),
        client.get("/", headers={"Host": "evil.example"}),
        stranger.get("/"),
        stranger.get("/static/style.css"),
        FlaskClient(app, app.response_class).get(ENTRY),
    ]
    for response in responses:
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.path, name)


class Inline(HTMLParser):
    """Finds what the CSP would block: inline scripts, style elements and attributes, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if (tag == "script" and "src" not in names) or tag == "style":
            self.found.append(tag)
        self.found += [name for name in names if name == "style" or name.startswith("on")]


def test_no_page_relies_on_inline_script_or_style(client, stranger, app, filled):
    pages = list(html_pages(client, app, filled).values())
    pages += [text(stranger.get("/")), text(FlaskClient(app, app.response_class).get(ENTRY))]
    for page in pages:
        parser = Inline()
        parser.feed(page)
        assert parser.found == []


# 6. Redirects stay inside the app; logs carry nothing of the person ------------------


def test_every_redirect_is_a_path_of_this_app(client, passport):
    responses = [
        client.post("/profil", data={"first_name": "Léa"}),
        client.post("/demarches/nouvelle", data=dict(STEP)),
        client.post("/bilans/nouveau", data=dict(INTAKE)),
        client.post("/structures/", data={"name": "Foyer"}),
    ]
    (step,) = passport.steps()
    responses += [client.post(f"/demarches/{step.id}/fait"), client.post(f"/demarches/{step.id}/supprimer")]
    responses += [client.post(f"/documents/{kind}") for kind in ("suivi", "bilan", "dossier")]
    for response in responses:
        assert response.status_code in (302, 303)
        assert re.fullmatch(r"/[^/\\].*|/", response.headers["Location"])


def test_what_the_browser_keeps_in_its_history_carries_nothing_of_the_person(client, app, filled):
    """Titles and addresses stay in the history of a PC that others use after the young person."""
    person = re.compile(r"l[ée]a|martin", re.IGNORECASE)
    for url, page in html_pages(client, app, filled).items():
        (title,) = re.findall(r"<title>(.*?)</title>", page)
        assert not person.search(title), url
        assert not person.search(url) or url.startswith("/documents/fichier/"), url
    made = client.post("/documents/bilan")
    assert made.headers["Location"] == "/documents/"
    assert "Télécharger « bilan-lea-" in text(client.get("/documents/"))


@pytest.mark.parametrize("target", ["http://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_a_redirect_outside_the_app_is_never_sent(key, target):
    app = create_app(key, port=5000, secret=LAUNCH_SECRET)

    @app.get("/sortie")
    def away():
        return redirect(target)

    browser = app.test_client()
    browser.get(ENTRY)
    response = browser.get("/sortie")
    assert response.status_code == 500
    assert "Location" not in response.headers


def test_logs_carry_no_secret_cookie_query_string_or_personal_data(key, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    app = create_app(key, port=5000, secret=LAUNCH_SECRET)
    browser = app.test_client()
    browser.get(ENTRY)
    cookie = browser.get_cookie("passeport-5000", domain="127.0.0.1").value
    browser.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(browser.get("/profil"))).group(1)
    person = {"first_name": "Maëlys", "last_name": "Dupont-Unique", "referent_contact": "06 12 34 56 78"}
    saved = browser.post("/profil", data={**person, "csrf_token": token}, headers={"Origin": ORIGIN})
    assert saved.status_code == 302

    def broken(*_args, **_kwargs):
        raise RuntimeError("the key went away")

    monkeypatch.setattr(app.extensions["passport"], "profile", broken)
    assert browser.get("/?recherche=Maëlys-dans-l-adresse").status_code == 500
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "Exception on / [GET]" in logged  # the log was captured, and names only the path
    for leak in (LAUNCH_SECRET, cookie, token, "recherche", *person.values()):
        assert leak not in logged

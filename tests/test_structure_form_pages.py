"""A key carrying a structure's form: every field type renders, validates and exports; a broken
form never stops the passport."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import Client
from docx import Document
from flask.testing import FlaskClient

from passport.keyform import FORM_FILE, TEMPLATE_FILE
from passport.keyroot import REPOSITORY, KeyPaths
from passport.web import create_app

CIO = (REPOSITORY / "docs" / "exemples" / "formulaire-cio.toml").read_text(encoding="utf-8")


def start(key: KeyPaths, form: str | None = None, template: bytes | None = None) -> FlaskClient:
    """The app on a key prepared with the structure's files in ``Data/``."""
    key.data.mkdir(parents=True, exist_ok=True)
    if form is not None:
        (key.data / FORM_FILE).write_text(form, encoding="utf-8")
    if template is not None:
        (key.data / TEMPLATE_FILE).write_bytes(template)
    app = create_app(key, port=5000)
    app.config["TESTING"] = True
    app.test_client_class = Client
    return app.test_client()


def docx_text(path: Path) -> str:
    doc = Document(io.BytesIO(path.read_bytes()))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


GOOD = {
    "date": "2026-11-29",
    "structure": "cio",
    "counsellor": "Mme Martin & M. <Durand>",
    "reason": "Changer de voie",
    "with_family": "on",
    "first_name": "Léa",
    "last_class": "2de",
    "left_school_on": "2026-09-01",
    "favourite_subjects": "Dessin\nHistoire & géo",
    "obstacles": ["Argent", "Santé"],
    "solution": "Stage de découverte",
    "why": "Elle aime le <dessin> & la mode",
    "referrals": ["mission-locale", "cad"],
    "referrals__main": "mission-locale",
    "consent": "on",
}


def test_each_field_type_renders(key: KeyPaths):
    page = start(key, CIO).get("/bilans/nouveau").get_data(as_text=True)
    assert "Nouvelle fiche bilan" in page
    assert '<input type="text" id="f-counsellor" name="counsellor"' in page  # text
    assert '<textarea id="f-favourite_subjects" name="favourite_subjects"' in page  # longtext
    assert '<input type="date" id="f-left_school_on" name="left_school_on"' in page  # date
    assert '<input type="checkbox" id="f-with_family" name="with_family" value="on"' in page  # yesno
    assert 'type="radio" id="f-reason-2" name="reason" value="Changer de voie"' in page  # choice
    assert 'type="checkbox" id="f-obstacles-3" name="obstacles" value="Santé"' in page  # multichoice
    assert '<select id="f-structure" name="structure"' in page  # structure
    assert 'id="f-referrals-cad" name="referrals" value="cad"' in page  # referrals
    assert 'name="referrals__main" value="cad"' in page
    # The structure's labels and order, not the default ones.
    assert "Pourquoi tu viens au CIO" in page and "CIO qui t&#39;accueille" in page
    assert "Dans quel cadre" not in page
    assert page.index("L&#39;entretien") < page.index("Ta scolarité") < page.index("La solution")


def test_each_field_type_validates(key: KeyPaths, tmp_path: Path):
    client = start(key, CIO)
    bad = {
        **GOOD,
        "counsellor": "x" * 201,
        "left_school_on": "31/02/2026",
        "reason": "Pour rire",
        "obstacles": ["Argent", "Météo"],
        "structure": "inconnue",
        "referrals": ["mission-locale", "nulle-part"],
        "first_name": "",
    }
    response = client.post("/bilans/nouveau", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ce texte est trop long : 201 caractères, 200 au maximum." in page
    assert "Cette date n&#39;est pas valide." in page
    assert "Choisis une des propositions de la liste." in page
    assert "Choisis parmi les propositions de la liste." in page
    assert "Choisis une structure de la liste." in page
    assert "Choisis des structures de la liste." in page
    assert "Ce champ est à remplir." in page
    response = client.post("/bilans/nouveau", data={**GOOD, "why": ""})
    assert "Explique pourquoi cette solution ou cette orientation a été proposée." in response.get_data(as_text=True)
    assert client.application.extensions["passport"].intakes() == []


def test_each_field_type_exports(key: KeyPaths):
    client = start(key, CIO)
    assert client.post("/bilans/nouveau", data=GOOD).status_code == 302
    assert client.post("/documents/bilan").status_code == 302
    (path,) = key.exports.glob("bilan-*.docx")
    text = docx_text(path)
    for expected in (
        "Fiche bilan de l'accueil au CIO du 29/11/2026",
        "Psychologue de l'Éducation nationale\nMme Martin & M. <Durand>",  # text
        "Les matières que tu préfères\nDessin\nHistoire & géo",  # longtext
        "Si tu as quitté l'école : depuis quand\n01/09/2026",  # date
        "Un parent ou un proche est venu avec toi\nOui",  # yesno
        "Pourquoi tu viens au CIO\nChanger de voie",  # choice
        "Ce qui te freine\nArgent, Santé",  # multichoice
        "CIO qui t'accueille\nCIO",  # structure
        "Structures où tu peux aller ensuite\nMission Locale (principale), CAD",  # referrals
        "Pourquoi cette proposition\nElle aime le <dessin> & la mode",
    ):
        assert expected in text


def test_a_broken_form_gives_the_default_form_and_a_visible_warning(key: KeyPaths):
    client = start(key, CIO.replace('type = "referrals"', 'type = "texte"'))
    for url in ("/", "/bilans/nouveau", "/demarches/nouvelle"):
        page = client.get(url).get_data(as_text=True)
        assert "Le formulaire de ta structure contient des erreurs : ton passeport utilise le formulaire" in page
    line = next(n for n, text in enumerate(CIO.splitlines(), 1) if 'type = "referrals"' in text)
    assert f"Data/formulaire.toml, ligne {line} : fiche bilan [intake], champ « referrals »" in page
    intake_page = client.get("/bilans/nouveau").get_data(as_text=True)
    assert "Dans quel cadre" in intake_page and "Pourquoi tu viens au CIO" not in intake_page
    saved = client.post("/bilans/nouveau", data={**GOOD, "referrals": ["cad"], "referrals__main": "cad"})
    assert saved.status_code == 302


def test_a_file_that_is_not_text_gives_the_default_form(key: KeyPaths):
    key.data.mkdir(parents=True)
    (key.data / FORM_FILE).write_bytes(b"\xff\xfe\x00garbage\x00")
    page = start(key).get("/").get_data(as_text=True)
    assert "Data/formulaire.toml : le fichier n&#39;est pas enregistré en UTF-8." in page


def test_a_valid_form_shows_no_warning(key: KeyPaths):
    assert "contient des erreurs" not in start(key, CIO).get("/").get_data(as_text=True)

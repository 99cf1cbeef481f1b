"""A key carrying a structure's form: every field type renders, validates and exports; a broken
form never stops the passport."""

from __future__ import annotations

from pathlib import Path

from passport.keyform import FORM_FILE
from passport.keyroot import KeyPaths

from form_support import CIO, GOOD, MISSION_LOCALE, docx_text, start


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


def test_defaults_of_the_structure_form_are_preselected(key: KeyPaths):
    page = start(key, MISSION_LOCALE).get("/bilans/nouveau").get_data(as_text=True)
    assert 'name="driving_licence" value="Aucun" checked' in page
    assert 'name="driving_licence" value="Permis B">' in page
    step = start(key, MISSION_LOCALE).get("/demarches/nouvelle").get_data(as_text=True)
    assert 'name="status" value="À faire" checked' in step

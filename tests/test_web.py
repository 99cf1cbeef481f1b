"""Every page, GET and POST, with good and bad input, through the Flask test client."""

from __future__ import annotations

import errno
from datetime import date

import pytest

from passport.store import OsFiles

STEP = {"date": "2026-11-29", "action": "Appeler la Mission Locale", "status": "À faire", "kind": "Appel"}
INTAKE = {
    "date": "2026-11-29",
    "structure": "cio",
    "first_name": "Léa",
    "solution": "Apprentissage en boulangerie",
    "why": "Elle aime le concret",
    "referrals": ["cad", "mission-locale"],
    "referrals__main": "cad",
    "consent": "on",
}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def filled(client, passport):
    client.post("/profil", data={"first_name": "Léa"})
    client.post("/demarches/nouvelle", data=dict(STEP))
    client.post("/bilans/nouveau", data=dict(INTAKE))
    return passport


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/", "Accueil — Mon passeport"),
        ("/profil", "Mon profil — Mon passeport"),
        ("/demarches/", "Mes démarches — Mon passeport"),
        ("/demarches/nouvelle", "Ajouter une démarche — Mon passeport"),
        ("/bilans/", "Fiche bilan — Mon passeport"),
        ("/bilans/nouveau", "Nouvelle fiche bilan — Mon passeport"),
        ("/structures/", "Structures — Mon passeport"),
        ("/documents/", "Documents Word — Mon passeport"),
    ],
)
def test_every_page_answers_with_a_title_saying_where_you_are(client, url, title):
    response = client.get(url)
    assert response.status_code == 200
    assert f"<title>{title}</title>" in text(response)


def test_home_welcomes_then_greets_and_lists_next_steps(client):
    assert "Commencer : écrire mon prénom" in text(client.get("/"))
    client.post("/profil", data={"first_name": "Léa"})
    client.post("/demarches/nouvelle", data=dict(STEP, next_date="2026-12-05"))
    home = text(client.get("/"))
    assert "Bonjour Léa !" in home
    assert "Appeler la Mission Locale" in home and "pour le 05/12/2026" in home


def test_profile_saves_and_shows_a_message(client):
    response = client.post("/profil", data={"first_name": "Léa", "referent_name": "M. Durand"}, follow_redirects=True)
    assert "C&#39;est enregistré." in text(response)
    assert 'value="M. Durand"' in text(client.get("/profil"))


def test_profile_without_first_name_is_shown_again_with_the_error(client):
    response = client.post("/profil", data={"first_name": "", "referent_name": "M. Durand"})
    assert response.status_code == 400
    page = text(response)
    assert "<title>Erreur — Mon profil — Mon passeport</title>" in page
    assert 'href="#f-first_name"' in page and 'aria-describedby="f-first_name-error"' in page
    assert 'value="M. Durand"' in page


def test_step_added_listed_edited_done_and_deleted(client, passport):
    assert client.post("/demarches/nouvelle", data=dict(STEP)).status_code == 302
    (step,) = passport.steps()
    assert "Appeler la Mission Locale" in text(client.get("/demarches/"))
    assert 'value="Appeler la Mission Locale"' in text(client.get(f"/demarches/{step.id}"))
    edited = dict(STEP, action="Appeler la Mission Locale de Châteauroux")
    assert client.post(f"/demarches/{step.id}", data=edited).status_code == 302
    assert passport.step(step.id).get("action").endswith("Châteauroux")
    done = client.post(f"/demarches/{step.id}/fait", follow_redirects=True)
    assert "Bravo" in text(done) and passport.step(step.id).get("status") == "Fait"
    assert "Supprimer cette démarche ?" in text(client.get(f"/demarches/{step.id}/supprimer"))
    deleted = client.post(f"/demarches/{step.id}/supprimer", follow_redirects=True)
    assert "La démarche a été supprimée." in text(deleted) and passport.steps() == []


def test_bad_step_is_shown_again_with_what_was_typed(client, passport):
    response = client.post("/demarches/nouvelle", data=dict(STEP, date="31/02/2026", result="Réponse <b>vite</b>"))
    assert response.status_code == 400
    page = text(response)
    assert "Cette date n&#39;est pas valide" in page
    assert "Réponse &lt;b&gt;vite&lt;/b&gt;" in page
    assert passport.steps() == []
    bad_edit = client.post("/demarches/nouvelle", data=dict(STEP))
    assert bad_edit.status_code == 302
    (step,) = passport.steps()
    assert client.post(f"/demarches/{step.id}", data=dict(STEP, action="")).status_code == 400
    assert passport.step(step.id).get("action") == STEP["action"]


@pytest.mark.parametrize(
    "url",
    ["/demarches/99", "/demarches/99/supprimer", "/bilans/99", "/documents/fichier/inconnu.docx"],
)
def test_unknown_things_get_a_french_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


@pytest.mark.parametrize("url", ["/demarches/99", "/demarches/99/fait", "/demarches/99/supprimer", "/bilans/99"])
def test_posting_to_unknown_things_gets_a_404(client, url):
    assert client.post(url, data=dict(STEP)).status_code == 404


def test_intake_sheet_created_then_edited(client, passport):
    created = client.post("/bilans/nouveau", data=dict(INTAKE))
    assert created.status_code == 302
    (sheet,) = passport.intakes()
    assert created.location.endswith(f"/bilans/{sheet.id}")
    page = text(client.get(f"/bilans/{sheet.id}"))
    assert "Apprentissage en boulangerie" in page
    assert 'id="f-referrals-main-cad" name="referrals__main" value="cad" checked' in page
    assert client.post(f"/bilans/{sheet.id}", data=dict(INTAKE, town="Issoudun")).status_code == 302
    assert passport.intake(sheet.id).get("town") == "Issoudun"
    assert "Bilan du 29/11/2026 — CIO" in text(client.get("/bilans/"))


def test_intake_without_why_is_refused_and_keeps_the_input(client, passport):
    response = client.post("/bilans/nouveau", data=dict(INTAKE, why=""))
    assert response.status_code == 400
    assert "Explique pourquoi" in text(response)
    assert "Apprentissage en boulangerie" in text(response)
    assert passport.intakes() == []


def test_new_intake_starts_with_today_and_the_profile(client):
    client.post("/profil", data={"first_name": "Léa", "last_name": "Martin"})
    page = text(client.get("/bilans/nouveau"))
    assert 'value="Martin"' in page


def test_directory_lists_partners_and_adds_a_local_one(client):
    assert "France Travail" in text(client.get("/structures/"))
    added = client.post("/structures/", data={"name": "Foyer des jeunes", "hours": "9h-17h"}, follow_redirects=True)
    assert "Foyer des jeunes" in text(added) and "Horaires : 9h-17h" in text(added)
    refused = client.post("/structures/", data={"name": ""})
    assert refused.status_code == 400 and "Ce champ est à remplir." in text(refused)


def test_exports_are_saved_on_the_key_and_downloadable(client, filled, key):
    for kind in ("suivi", "bilan", "dossier"):
        made = client.post(f"/documents/{kind}", follow_redirects=True)
        assert "est prêt et enregistré sur ta clé" in text(made)
    names = sorted(p.name for p in key.exports.iterdir())
    assert names == [f"{kind}-lea-{date.today().isoformat()}.docx" for kind in ("bilan", "dossier", "suivi")]
    download = client.get(f"/documents/fichier/{names[0]}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data == (key.exports / names[0]).read_bytes()


def test_export_of_the_intake_needs_consent(client, passport, key):
    client.post("/bilans/nouveau", data={k: v for k, v in INTAKE.items() if k != "consent"})
    response = client.post("/documents/bilan", follow_redirects=True)
    assert "il faut d&#39;abord ton accord" in text(response)
    assert list(key.exports.iterdir()) == []


def test_export_of_the_intake_without_any_sheet_is_explained(client):
    response = client.post("/documents/bilan", follow_redirects=True)
    assert "pas encore de fiche bilan" in text(response)


def test_a_full_key_shows_a_french_message_and_keeps_the_input(client, passport, monkeypatch):
    client.post("/demarches/nouvelle", data=dict(STEP))

    def full(self, path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(OsFiles, "write_durably", full)
    response = client.post("/demarches/nouvelle", data=dict(STEP, action="Envoyer mon CV"))
    assert response.status_code == 503
    assert "Ta clé est pleine" in text(response)
    assert 'value="Envoyer mon CV"' in text(response)
    assert [s.get("action") for s in passport.steps()] == [STEP["action"]]


def test_posts_without_the_form_token_are_refused(app):
    plain = app.test_client()
    plain.get("/")
    response = super(type(plain), plain).post("/demarches/nouvelle", data=dict(STEP))
    assert response.status_code == 400
    assert "Demande refusée" in response.get_data(as_text=True)


def test_bad_edit_of_an_intake_sheet_keeps_the_saved_one(client, passport):
    client.post("/bilans/nouveau", data=dict(INTAKE))
    (sheet,) = passport.intakes()
    response = client.post(f"/bilans/{sheet.id}", data=dict(INTAKE, date="hier", town="Issoudun"))
    assert response.status_code == 400
    assert 'value="Issoudun"' in text(response)
    assert passport.intake(sheet.id).get("date") == "2026-11-29"


def test_unknown_export_kind_is_a_404(client, filled):
    assert client.post("/documents/tout").status_code == 404


TESTED_ENDPOINTS = {
    "home.index", "home.profile", "home.save_profile",
    "steps.index", "steps.new", "steps.create", "steps.edit", "steps.update",
    "steps.mark_done", "steps.confirm_delete", "steps.delete",
    "intake.index", "intake.new", "intake.create", "intake.edit", "intake.update",
    "directory.index", "directory.add",
    "documents.index", "documents.make", "documents.download",
    "security.enter",  # the way in: tested in test_security.py
    "static",
    # Terminer, the heartbeat and the second-launch probe: tests/test_session.py.
    "session.finish", "session.beat", "session.instance_token",
}  # fmt: skip


def test_every_route_is_covered_by_this_file(app):
    """A new page must come with its tests here: this list is checked against the app."""
    assert {rule.endpoint for rule in app.url_map.iter_rules()} <= TESTED_ENDPOINTS

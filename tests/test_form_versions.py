"""Answers made with form v1 survive a switch to v2: shown on the pages, exported, never lost."""

from __future__ import annotations

import html

from passport.keyform import FORM_FILE
from passport.keyroot import KeyPaths

from form_support import MISSION_LOCALE, OTHERS, docx_text, start, template

V2 = MISSION_LOCALE.replace("[intake]\nversion = 1", "[intake]\nversion = 2").replace(
    "[step]\nversion = 1", "[step]\nversion = 2"
)
V1_INTAKE = {
    "date": "2026-10-05",
    "occasion": "Session « décrochage » & co",
    "structure": "cio",
    "first_name": "Léa",
    "strengths": "Patiente <et> motivée",
    "next_checkin": "2026-12-15",
    "solution": "Garantie jeunes",
    "why": "Besoin d'un accompagnement",
    "referrals": ["mission-locale"],
    "consent": "on",
}
V1_STEP = {
    "date": "2026-10-06",
    "action": "Appeler la Mission Locale",
    "status": "À faire",
    "with_whom": "M. Dupont & fils",
}
# What a v1 answer looks like once its field is gone: the label it had, the value as a reader sees it.
KEPT = [
    ("Dans quel cadre", "Session « décrochage » & co"),
    ("Ce que tu sais faire", "Patiente <et> motivée"),
    ("Prochain point", "15/12/2026"),
]


def fill_v1(key: KeyPaths) -> None:
    client = start(key)
    assert client.post("/bilans/nouveau", data=V1_INTAKE).status_code == 302
    assert client.post("/demarches/nouvelle", data=V1_STEP).status_code == 302
    assert client.application.extensions["passport"].intake(1).form_version == 1


def test_v1_answers_are_shown_read_only_on_the_v2_edit_pages(key: KeyPaths):
    fill_v1(key)
    client = start(key, V2)
    page = html.unescape(client.get("/bilans/1").get_data(as_text=True))
    others = page[page.index('<h2 id="autres-informations">Autres informations</h2>') :]
    for label, value in KEPT:
        assert f"<dt>{label}</dt>\n      <dd>{value}</dd>" in others
    assert 'name="occasion"' not in page  # shown, not editable: the v2 form has no such field
    assert "Date du premier accueil" in client.get("/bilans/nouveau").get_data(as_text=True)
    step_page = html.unescape(client.get("/demarches/1").get_data(as_text=True))
    assert "<dt>Avec qui (autre personne ou organisme)</dt>\n      <dd>M. Dupont & fils</dd>" in step_page
    assert "Autres informations" not in client.get("/bilans/nouveau").get_data(as_text=True)


def test_v1_answers_are_exported_under_other_information_with_their_label(key: KeyPaths):
    fill_v1(key)
    client = start(key, V2)
    assert client.post("/documents/dossier").status_code == 302
    (path,) = key.exports.glob("dossier-*.docx")
    text = docx_text(path)
    assert "Autres informations" in text
    for label, value in KEPT:
        assert f"{label}\n{value}" in text
    # A step's old answers go in the Détails column of its row, under their label.
    assert "Avec qui (autre personne ou organisme) : M. Dupont & fils" in text
    assert "Premier accueil à la Mission Locale du 05/10/2026" in text and "Ce que je fais" in text  # v2 wording


def test_saving_with_v2_keeps_v1_answers_and_records_the_new_version(key: KeyPaths):
    fill_v1(key)
    client = start(key, V2)
    v2_answers = {**V1_INTAKE, "driving_licence": "Code en cours", "why": "Pour le permis"}
    assert client.post("/bilans/1", data=v2_answers).status_code == 302
    passport = client.application.extensions["passport"]
    sheet = passport.intake(1)
    assert sheet.form_version == 2
    assert sheet.get("occasion") == V1_INTAKE["occasion"] and sheet.get("driving_licence") == "Code en cours"
    assert passport.mark_done(1) is None and passport.step(1).get("with_whom") == "M. Dupont & fils"
    # Back to the default form: the v2-only answer now shows under its v2 label, v1 ones are back in place.
    (key.data / FORM_FILE).unlink()
    back = start(key)
    page = html.unescape(back.get("/bilans/1").get_data(as_text=True))
    assert "<dt>Permis de conduire</dt>\n      <dd>Code en cours</dd>" in page
    assert 'value="Session « décrochage » & co"' in page


def test_a_structure_template_gets_the_old_answers_too(key: KeyPaths):
    fill_v1(key)
    client = start(key, V2, template(("{{ bilan.why }}", *OTHERS)))
    assert client.post("/documents/bilan", data={"bilan": "1"}).status_code == 302
    (path,) = key.exports.glob("bilan-*.docx")
    text = docx_text(path)
    assert "Besoin d'un accompagnement" in text
    for label, value in KEPT:
        assert f"{label} : {value}" in text

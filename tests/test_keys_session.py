"""The session file staff write, and a French message for each kind of mistake."""

from __future__ import annotations

import pytest

from passport.keyroot import REPOSITORY
from passport.keys import session
from passport.keys.console import StaffError

from support import SESSION_TOML, session_file


def load(tmp_path, text):
    return session.load(session_file(tmp_path, text))


def refused(tmp_path, text) -> str:
    with pytest.raises(StaffError) as caught:
        load(tmp_path, text)
    return str(caught.value)


def test_the_example_session_reads_in_full(tmp_path):
    loaded = load(tmp_path, SESSION_TOML)
    assert loaded.name == "Prévention du décrochage — lycée Jean-Giraudoux"
    assert loaded.day == "2026-03-12"
    assert loaded.structure == "mission-locale"
    assert (loaded.counsellor, loaded.contact) == ("Camille Martin", "02 54 00 00 00")
    cio, pij = loaded.partners
    assert cio.id == "cio"
    assert cio.details == {
        "name": "CIO",
        "address": "1 rue de l'Exemple, 36000 Châteauroux",
        "hours": "Lundi au vendredi, 9 h - 17 h",
    }
    assert pij.id.startswith("local-point-information-jeunesse")
    assert loaded.form is None


def test_the_documented_example_file_is_valid():
    example = session.load(REPOSITORY / "docs" / "exemple-session.toml")
    assert example.partners


def test_the_structure_can_be_named_and_can_be_a_local_partner(tmp_path):
    text = SESSION_TOML.replace('id = "mission-locale"', 'nom = "point information jeunesse de châteauroux"')
    assert load(tmp_path, text).structure.startswith("local-point-information")


def test_a_form_file_next_to_the_session_is_found(tmp_path):
    (tmp_path / "ml.toml").write_bytes(
        (REPOSITORY / "docs" / "exemples" / "formulaire-mission-locale.toml").read_bytes()
    )
    text = SESSION_TOML.replace('id = "mission-locale"', 'id = "mission-locale"\nformulaire = "ml.toml"')
    assert load(tmp_path, text).form == tmp_path / "ml.toml"
    assert "le formulaire « absent.toml » est introuvable" in refused(tmp_path, text.replace("ml.toml", "absent.toml"))


def test_the_fingerprint_follows_every_change(tmp_path):
    first = load(tmp_path, SESSION_TOML).fingerprint()
    assert load(tmp_path, SESSION_TOML).fingerprint() == first
    assert load(tmp_path, SESSION_TOML.replace("02 54 11 11 11", "02 54 22 22 22")).fingerprint() != first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("[conseiller]", "[conseillere]"), "section [conseillere] inconnue"),
        (lambda t: t.replace('contact = "02 54 00 00 00"', 'telefone = "0"'), "« telefone » est inconnu"),
        (lambda t: t.replace("date = 2026-03-12", 'date = "32/13/2026"'), "la date n'est pas valide"),
        (lambda t: t.replace('id = "mission-locale"', 'id = "mission-locales"'), "« mission-locales » est inconnu"),
        (lambda t: t.replace('id = "cio"', 'id = "ci0"'), "partenaire n° 1 : l'identifiant « ci0 » n'est pas dans"),
        (lambda t: t.replace('nom = "Point Information', 'activite2 = "x"\nnom = "Point'), "« activite2 » est inconnu"),
        (lambda t: t.replace('nom = "Camille Martin"', "nom = 12"), "« nom » doit être un texte"),
        (lambda t: t.replace('nom = "Camille Martin"', 'nom = ""'), "« nom » est vide"),
        (lambda t: t.replace('nom = "Camille Martin"', f'nom = "{"x" * 201}"'), "est trop long"),
        (lambda t: t.replace('nom = "Prévention', "nom = Prévention"), "ligne 2 : ce n'est pas du TOML valide"),
        (lambda t: t.replace("[structure]\n", "[autre]\n"), "section [autre] inconnue"),
        (lambda t: t.split("[conseiller]")[0], "la section [conseiller] manque"),
        (lambda t: t.replace('telephone = "02 54 11 11 11"', 'email = "' + "e" * 300 + '"'), "trop long"),
    ],
)
def test_each_mistake_has_its_message(tmp_path, change, message):
    assert message in refused(tmp_path, change(SESSION_TOML))


def test_a_partner_needs_an_id_or_a_name(tmp_path):
    text = SESSION_TOML + '\n[[partenaires]]\nadresse = "2 rue"\n'
    assert "partenaire n° 3 : donnez « id »" in refused(tmp_path, text)


def test_a_missing_file_and_a_file_not_in_utf8(tmp_path):
    with pytest.raises(StaffError, match="introuvable"):
        session.load(tmp_path / "nope.toml")
    path = tmp_path / "session.toml"
    path.write_bytes(SESSION_TOML.encode("cp1252", errors="replace"))
    with pytest.raises(StaffError, match="UTF-8"):
        session.load(path)


def test_a_structure_form_and_word_template_are_checked_with_the_forms_rules(tmp_path):
    examples = REPOSITORY / "docs" / "exemples"
    (tmp_path / "cio.toml").write_bytes((examples / "formulaire-cio.toml").read_bytes())
    (tmp_path / "cio.docx").write_bytes((examples / "modele-bilan-cio.docx").read_bytes())
    text = SESSION_TOML.replace('id = "mission-locale"', 'id = "cio"\nformulaire = "cio.toml"\nmodele = "cio.docx"')
    loaded = load(tmp_path, text)
    assert (loaded.form, loaded.template) == (tmp_path / "cio.toml", tmp_path / "cio.docx")
    broken = (examples / "formulaire-cio.toml").read_text(encoding="utf-8").replace('type = "date"', 'type = "dat"', 1)
    (tmp_path / "cio.toml").write_text(broken, encoding="utf-8")
    message = refused(tmp_path, text)
    assert message.startswith("Le formulaire de la structure contient des erreurs :\n  cio.toml, ligne ")
    assert "Rien n'a été écrit" in message
    assert "le modèle Word « absent.docx » est introuvable" in refused(
        tmp_path, text.replace("cio.docx", "absent.docx")
    )

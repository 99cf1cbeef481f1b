"""Checking answers against the form definitions: every field type, every limit."""

from __future__ import annotations

import pytest

from passport import forms
from passport.forms import ValidationError

FORMS = forms.load()
STRUCTURES = frozenset({"cio", "cad", "mission-locale"})


def check(form, **raw):
    return forms.check(form, {k: v if isinstance(v, list) else [v] for k, v in raw.items()}, STRUCTURES)


def errors(form, **raw) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        check(form, **raw)
    return caught.value.errors


def test_default_file_describes_the_four_forms_with_their_core():
    intake_core = {f.key for f in FORMS.intake.fields() if f.core}
    assert intake_core == {"date", "structure", "solution", "why", "referrals", "consent"}
    assert {f.key for f in FORMS.step.fields() if f.core} == {"date", "action", "status"}


def test_required_fields_are_named():
    assert errors(FORMS.step) == {
        "date": "Ce champ est à remplir.",
        "action": "Ce champ est à remplir.",
        "status": "Ce champ est à remplir.",
    }


def test_dates_are_read_in_both_spellings_and_stored_iso():
    answers = check(FORMS.step, date="29/11/2026", action="x", status="À faire", next_date="2026-12-01")
    assert (answers["date"], answers["next_date"]) == ("2026-11-29", "2026-12-01")


@pytest.mark.parametrize("bad", ["31/02/2026", "demain", "2026-13-01", "01/01/1850"])
def test_impossible_dates_get_a_french_message(bad):
    assert "pas valide" in errors(FORMS.step, date=bad, action="x", status="À faire")["date"]


def test_text_is_cleaned_of_xml_invalid_characters():
    answers = check(FORMS.step, date="2026-11-29", action="a\x00b\x0bc\x1f😀 <b>", status="À faire")
    assert answers["action"] == "abc😀 <b>"


def test_length_limits_on_short_and_long_texts():
    too_long = errors(FORMS.step, date="2026-11-29", action="x" * 201, status="À faire", result="y" * 10_001)
    assert too_long["action"] == "Ce texte est trop long : 201 caractères, 200 au maximum."
    assert "10000 au maximum" in too_long["result"]
    assert check(FORMS.step, date="2026-11-29", action="x", status="Fait", result="y" * 10_000)["result"]


def test_choices_must_come_from_the_list():
    assert errors(FORMS.step, date="2026-11-29", action="x", status="Peut-être") == {
        "status": "Choisis une des propositions de la liste."
    }
    assert "obstacles" in errors(FORMS.intake, date="2026-11-29", structure="cio", first_name="A", obstacles="Inventé")


def test_multichoice_keeps_the_form_order():
    answers = check(FORMS.intake, date="2026-11-29", structure="cio", first_name="A", obstacles=["Santé", "Logement"])
    assert answers["obstacles"] == ["Logement", "Santé"]


def test_yesno_is_a_boolean():
    assert check(FORMS.step, date="2026-11-29", action="x", status="Fait", needs_help="on")["needs_help"] is True
    assert check(FORMS.step, date="2026-11-29", action="x", status="Fait")["needs_help"] is False


def test_structure_must_be_in_the_directory():
    assert errors(FORMS.step, date="2026-11-29", action="x", status="Fait", structure="nulle-part") == {
        "structure": "Choisis une structure de la liste."
    }


def test_referrals_need_a_main_structure_among_the_chosen_ones():
    base = {"date": "2026-11-29", "structure": "cio", "first_name": "A"}
    one = check(FORMS.intake, **base, referrals="cad")
    assert one["referrals"] == {"structures": ["cad"], "main": "cad"}
    two = check(FORMS.intake, **base, referrals=["cad", "mission-locale"], referrals__main="mission-locale")
    assert two["referrals"] == {"structures": ["cad", "mission-locale"], "main": "mission-locale"}
    assert "principale" in errors(FORMS.intake, **base, referrals=["cad", "mission-locale"])["referrals"]
    assert errors(FORMS.intake, **base, referrals=["cad", "ailleurs"], referrals__main="cad")["referrals"]

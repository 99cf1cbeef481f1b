"""The domain: profile, steps, intake sheets, referrals and the partner directory."""

from __future__ import annotations

import pytest

from passport import forms
from passport.forms import ValidationError
from passport.records import Passport, load_directory
from passport.store import Store


@pytest.fixture
def passport(tmp_path) -> Passport:
    return Passport(Store(tmp_path), forms.load(), load_directory())


def step(date: str, action: str, status: str = "À faire", **more: str) -> dict[str, list[str]]:
    return {"date": [date], "action": [action], "status": [status], **{k: [v] for k, v in more.items()}}


def intake(**more) -> dict[str, list[str]]:
    raw = {"date": ["2026-11-29"], "structure": ["cio"], "first_name": ["Léa"]}
    raw.update({k: v if isinstance(v, list) else [v] for k, v in more.items()})
    return raw


def test_default_directory_has_the_2026_names_and_no_invented_details():
    directory = load_directory()
    names = {s.name for s in directory}
    assert {"France Travail", "Transitions Pro", "Mission Locale", "Numéro vert régional"} <= names
    assert not any(s.address or s.phone or s.email for s in directory)


def test_profile_is_saved_and_read_back(passport):
    passport.save_profile({"first_name": ["Léa"], "referent_structure": ["mission-locale"]})
    passport.save_profile({"first_name": ["Léa"], "last_name": ["Martin"]})
    assert passport.profile()["last_name"] == "Martin"
    assert passport.profile()["first_name"] == "Léa"


def test_steps_are_listed_by_date_and_can_be_done_edited_deleted(passport):
    later = passport.save_step(step("2026-12-10", "Forum des métiers"))
    sooner = passport.save_step(step("2026-12-01", "Appeler la Mission Locale"))
    assert [s.id for s in passport.steps()] == [sooner, later]
    passport.mark_done(sooner)
    assert passport.step(sooner).get("status") == "Fait"
    assert [s.id for s in passport.upcoming()] == [later]
    passport.save_step(step("2026-12-10", "Forum des métiers de Châteauroux"), later)
    assert passport.step(later).get("action") == "Forum des métiers de Châteauroux"
    passport.delete_step(later)
    assert passport.step(later) is None
    with pytest.raises(LookupError):
        passport.delete_step(later)


def test_upcoming_puts_the_soonest_deadline_first(passport):
    first = passport.save_step(step("2026-11-01", "Papiers CAF", next_date="2026-12-20"))
    second = passport.save_step(step("2026-11-20", "Candidature", next_date="2026-12-02"))
    assert [s.id for s in passport.upcoming()] == [second, first]


def test_why_is_required_once_a_solution_or_a_referral_is_given(passport):
    passport.save_intake(intake())
    for given in ({"solution": "Apprentissage"}, {"referrals": "cad"}):
        with pytest.raises(ValidationError) as caught:
            passport.save_intake(intake(**given))
        assert set(caught.value.errors) == {"why"}
    sheet = passport.save_intake(intake(solution="Apprentissage", why="Elle aime le concret", referrals="cad"))
    assert passport.intake(sheet).get("referrals") == {"structures": ["cad"], "main": "cad"}


def test_new_sheet_starts_from_the_profile(passport):
    passport.save_profile({"first_name": ["Léa"], "last_name": ["Martin"]})
    assert passport.new_intake_answers()["last_name"] == "Martin"


def test_answers_to_fields_a_newer_form_dropped_are_kept(passport):
    sheet = passport.save_intake(intake())
    with passport.store.session() as db:
        db.table("intakes").update({"answers": {**passport.intake(sheet).answers, "ancien": "gardé"}}, doc_ids=[sheet])
    passport.save_intake(intake(town="Châteauroux"), sheet)
    assert passport.intake(sheet).get("ancien") == "gardé"
    assert passport.intake(sheet).get("town") == "Châteauroux"


def test_local_structures_join_the_directory_and_can_be_chosen(passport):
    local = passport.add_structure({"name": ["Foyer des jeunes"], "phone": ["02 54 00 00 00"]})
    assert passport.structure_name(local) == "Foyer des jeunes"
    passport.save_step(step("2026-12-01", "Visite", structure=local))
    with pytest.raises(ValidationError):
        passport.add_structure({"name": [""]})

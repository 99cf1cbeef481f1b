"""The protected passport as the young person meets it: first start, unlock, forgotten phrase, rights."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from passport import indicators, vault
from passport.keyroot import KeyPaths
from passport.store import LOCKED, OPEN, PENDING, Store
from passport.watchdog import Watchdog
from passport.web import create_app, protection
from passport.wordtemplate import document_text

from conftest import LAUNCH_SECRET, Client
from support import raw_answers

CODE = "7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NV"
PHRASE = "lune cartable riviere soleil"
NEW_PHRASE = "girafe bouton orage cerise"
TEXT = "Zoé Quentin-Ørsted"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cheapest Argon2id for speed; bench/bench_unlock.py measures the real one."""
    monkeypatch.setattr(vault, "DEFAULT_KDF", vault.PhraseKdf(ops=1, mem=8192))


def prepared_key(root: Path) -> KeyPaths:
    """A key as ``build_key.py prepare`` leaves it with protection on: waiting for a phrase."""
    key = KeyPaths(root / "KEY")
    key.data.mkdir(parents=True)
    with Store(key.data) as store:
        store.prepare_protection(CODE)
    return key


class Passport:
    """One start of the passport on a key, with a fake clock for the waits."""

    def __init__(self, key: KeyPaths) -> None:
        self.clock = Clock()
        self.watchdog = Watchdog(clock=self.clock)
        self.app: Flask = create_app(key, port=5000, secret=LAUNCH_SECRET, watchdog=self.watchdog)
        self.app.config["TESTING"] = True
        self.app.test_client_class = Client
        self.app.extensions["attempts"] = protection.Attempts(self.clock)
        self.client: FlaskClient = self.app.test_client()

    @property
    def state(self) -> str:
        return self.app.extensions["passport"].store.protection

    def close(self) -> None:
        self.app.extensions["passport"].store.close()


@pytest.fixture
def starts(tmp_path: Path) -> Iterator[tuple[KeyPaths, list[Passport]]]:
    key = prepared_key(tmp_path)
    opened: list[Passport] = []
    yield key, opened
    for passport in opened:
        passport.close()


def start(key: KeyPaths, opened: list[Passport]) -> Passport:
    for earlier in opened:
        earlier.close()  # the passport stopped: the next start opens the key afresh
    passport = Passport(key)
    opened.append(passport)
    return passport


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def choose(passport: Passport, phrase: str = PHRASE) -> None:
    response = passport.client.post("/premiere-ouverture", data={"new_phrase": phrase, "again": phrase})
    assert response.status_code == 302, text(response)


def unlocked(key: KeyPaths, opened: list[Passport], phrase: str = PHRASE) -> Passport:
    passport = start(key, opened)
    assert passport.client.post("/deverrouiller", data={"phrase": phrase}).status_code == 302
    assert passport.state == OPEN
    return passport


def test_first_start_asks_for_a_phrase_before_anything_and_proposes_four_words(starts):
    key, opened = starts
    passport = start(key, opened)
    assert passport.state == PENDING
    for url in ("/", "/demarches/", "/bilans/", "/documents/", "/profil"):
        response = passport.client.get(url)
        assert response.status_code == 302 and response.location == "/premiere-ouverture"
    page = text(passport.client.get("/premiere-ouverture"))
    assert "Choisis ta phrase secrète" in page
    proposal = page.split('name="new_phrase" value="')[1].split('"')[0]
    assert len(proposal.split()) == 4
    assert "Mes démarches" not in page, "no menu before the phrase is chosen"
    weak = passport.client.post("/premiere-ouverture", data={"new_phrase": "1234", "again": "1234"})
    assert weak.status_code == 400 and "trop facile à deviner" in text(weak)
    different = passport.client.post("/premiere-ouverture", data={"new_phrase": proposal, "again": "autre"})
    assert different.status_code == 400 and "pas pareilles" in text(different)
    assert passport.state == PENDING
    choose(passport, proposal)
    assert passport.state == OPEN
    home = text(passport.client.get("/", follow_redirects=True))
    assert "Ta phrase secrète est enregistrée" in home
    assert "Données non protégées" not in home
    assert "Verrouiller" in home


def test_each_start_asks_for_the_phrase_and_a_wrong_one_costs_a_growing_wait(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = start(key, opened)
    assert passport.state == LOCKED
    for url in ("/", "/demarches/", "/bilans/1", "/documents/"):
        response = passport.client.get(url)
        assert response.status_code == 302 and response.location == "/deverrouiller"
    assert passport.client.post("/demarches/nouvelle", data={"action": "x"}).location == "/deverrouiller"
    page = text(passport.client.get("/deverrouiller"))
    assert 'type="password"' in page and "J'ai oublié ma phrase secrète" in page
    waits = []
    for _ in range(4):
        response = passport.client.post("/deverrouiller", data={"phrase": "pas la bonne"})
        assert response.status_code == 403 and "pas la bonne phrase" in text(response)
        assert ("Attends encore" in text(response)) == (len(waits) >= 2)
        waits.append(passport.app.extensions["attempts"].seconds_left())
        passport.clock.now += waits[-1]
    assert waits == [0, 0, 5, 10]
    passport.clock.now -= 1  # one second too early: even the right phrase waits
    early = passport.client.post("/deverrouiller", data={"phrase": PHRASE})
    assert early.status_code == 429 and "Attends encore 1 seconde avant" in text(early)
    assert passport.state == LOCKED
    passport.clock.now += 1
    assert passport.client.post("/deverrouiller", data={"phrase": PHRASE}).location == "/"
    assert passport.state == OPEN
    assert passport.app.extensions["attempts"].failures == 0


def test_a_key_pulled_out_while_locked_is_not_taken_for_a_wrong_phrase(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = start(key, opened)
    away = key.root.with_name("away")
    key.data.rename(away)  # the key is out: its files are not where they were
    response = passport.client.post("/deverrouiller", data={"phrase": PHRASE})
    assert response.status_code == 503 and "Rebranche-la" in text(response)
    assert passport.app.extensions["attempts"].failures == 0
    away.rename(key.data)
    assert passport.client.post("/deverrouiller", data={"phrase": PHRASE}).status_code == 302


def test_forgotten_phrase_a_counsellor_s_recovery_code_sets_a_new_one(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = start(key, opened)
    page = text(passport.client.get("/phrase-oubliee"))
    assert "code de secours" in page
    form = {"code": "7K3QF-9XM2D", "new_phrase": NEW_PHRASE, "again": NEW_PHRASE}
    bad = passport.client.post("/phrase-oubliee", data=form)
    assert bad.status_code == 400 and "25 caractères" in text(bad)
    wrong = passport.client.post("/phrase-oubliee", data={**form, "code": "7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NW"})
    assert wrong.status_code == 403 and "ne va pas avec cette clé" in text(wrong)
    assert passport.state == LOCKED
    right = passport.client.post("/phrase-oubliee", data={**form, "code": CODE.lower().replace("-", " ")})
    assert right.status_code == 302 and passport.state == OPEN
    again = start(key, opened)
    assert again.client.post("/deverrouiller", data={"phrase": PHRASE}).status_code == 403
    assert again.client.post("/deverrouiller", data={"phrase": NEW_PHRASE}).status_code == 302


def test_a_changed_phrase_works_and_the_old_one_does_not(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = unlocked(key, opened)
    form = {"phrase": "pas la bonne", "new_phrase": NEW_PHRASE, "again": NEW_PHRASE}
    assert passport.client.post("/phrase", data=form).status_code == 403
    assert passport.client.post("/phrase", data={**form, "phrase": PHRASE}).status_code == 302
    again = start(key, opened)
    assert again.client.post("/deverrouiller", data={"phrase": PHRASE}).status_code == 403
    assert again.client.post("/deverrouiller", data={"phrase": NEW_PHRASE}).status_code == 302


def test_the_lock_button_and_a_long_idle_time_lock_the_passport(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = unlocked(key, opened)
    assert passport.client.post("/verrouiller").location == "/deverrouiller"
    assert passport.state == LOCKED
    passport.client.post("/deverrouiller", data={"phrase": PHRASE})
    passport.clock.now += protection.IDLE_LOCK_SECONDS - 1
    assert passport.client.get("/").status_code == 200, "a page asked for is activity"
    passport.clock.now += protection.IDLE_LOCK_SECONDS - 1
    assert "verrouille" not in passport.client.get("/battement?actif=1").json, "typing on a page too"
    passport.clock.now += protection.IDLE_LOCK_SECONDS - 1
    assert "verrouille" not in passport.client.get("/battement").json, "a beat alone is not"
    passport.clock.now += 1
    assert passport.client.get("/battement").json["verrouille"] is True, "the open page goes to the unlock page"
    assert passport.state == LOCKED
    assert "verrouillé parce que personne ne l'utilisait" in text(passport.client.get("/deverrouiller"))
    passport.client.post("/deverrouiller", data={"phrase": PHRASE})
    passport.clock.now += protection.IDLE_LOCK_SECONDS
    response = passport.client.get("/demarches/")
    assert response.location == "/deverrouiller" and passport.state == LOCKED, "or the next page asked for"


def test_terminer_and_the_watchdog_s_own_stops_lock_the_key(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = unlocked(key, opened)
    goodbye = passport.client.post("/terminer")
    assert goodbye.status_code == 200 and passport.state == LOCKED
    assert "Bonjour" not in text(passport.client.get("/")), "after Terminer, no page shows the sheets"
    other = unlocked(key, opened)
    other.watchdog.finish("idle")  # what the serving loop does when a limit is passed
    assert other.state == LOCKED


def test_the_pages_about_data_can_be_read_while_locked(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = start(key, opened)
    page = text(passport.client.get("/vie-privee"))
    assert passport.client.get("/vie-privee").status_code == 200
    for words in ("Ce qui est gardé", "Pourquoi", "qui peut le voir", "Combien de temps", "2 ans", "chiffrées"):
        assert words in page
    assert "Tout effacer" not in page, "erasing needs the phrase"


def test_an_unprotected_key_shows_a_permanent_banner(client):
    for url in ("/", "/demarches/", "/bilans/", "/documents/", "/vie-privee", "/structures/"):
        assert "Données non protégées" in text(client.get(url))
    assert "n'est pas protégée" in text(client.get("/vie-privee"))


def fill_everything(passport: Passport) -> list[str]:
    """Every field of every sheet answered through the pages; the personal values typed."""
    app = passport.app.extensions["passport"]
    forms, client = app.forms, passport.client
    profile, step, intake = (raw_answers(form, TEXT) for form in (forms.profile, forms.step, forms.intake))
    structure = raw_answers(forms.structure, TEXT)
    assert client.post("/profil", data=profile).status_code == 302
    assert client.post("/demarches/nouvelle", data=step).status_code == 302
    assert client.post("/structures/", data=structure).status_code == 302
    assert client.post("/bilans/nouveau", data=intake).status_code == 302
    typed = [values[0] for raw in (profile, step, intake, structure) for values in raw.values() if TEXT in values[0]]
    return [*typed, intake["birth_date"][0], TEXT]


def encodings(value: str) -> list[bytes]:
    return [value.encode(name) for name in ("utf-8", "utf-16-le", "utf-16-be")]


def test_nothing_personal_is_in_clear_anywhere_on_a_protected_key(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = unlocked(key, opened)
    personal = fill_everything(passport)
    download = passport.client.post("/documents/dossier")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert TEXT in document_text(download.data), "the document itself holds the answers"
    passport.client.post("/verrouiller")
    passport.close()
    files = [path for path in key.root.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"passport-1.json", "passport-2.json", indicators.FILE_NAME}
    assert not list(key.exports.glob("*")), "documents went to the PC, not onto the key"
    for path in files:
        data = path.read_bytes()
        for value in personal:
            for encoded in encodings(value):
                assert encoded not in data, f"{value!r} in {path.relative_to(key.root)}"
    summary = indicators.decode((key.data / indicators.FILE_NAME).read_bytes())
    assert len(summary.sheets) == 1, "the anonymous summary stays readable for staff"


def test_the_same_check_finds_the_values_on_an_unprotected_key(tmp_path):
    """The check above can fail: on a plain key every value is found."""
    key = KeyPaths(tmp_path / "KEY")
    passport = Passport(key)
    personal = fill_everything(passport)
    passport.close()
    everything = b"".join(path.read_bytes() for path in key.root.rglob("*") if path.is_file())
    assert all(value.encode() in everything for value in personal)


def test_a_copy_on_the_key_is_made_only_on_request(starts):
    key, opened = starts
    choose(start(key, opened))
    passport = unlocked(key, opened)
    page = text(passport.client.get("/documents/"))
    assert "Enregistrer aussi une copie sur ma clé" in page and "pas protégé par ta phrase secrète" in page
    passport.client.post("/profil", data={"first_name": ["Léa"]})
    response = passport.client.post("/documents/suivi", data={"copie_cle": "on"})
    assert response.status_code == 302
    assert [path.name for path in key.exports.glob("*.docx")] == [f"suivi-lea-{date.today().isoformat()}.docx"]


def test_consent_is_recorded_with_who_and_when_and_printed_on_the_export(client, passport):
    raw = raw_answers(passport.forms.intake, "x")
    raw["consent_by"] = ["Mon représentant légal ou ma représentante légale"]
    assert client.post("/bilans/nouveau", data=raw).status_code == 302
    [sheet] = passport.intakes()
    assert sheet.consent == {"date": date.today().isoformat(), "by": "son représentant légal"}
    client.post("/bilans/1", data=raw)
    assert passport.intake(1).consent == sheet.consent, "saving again keeps the day consent was given"
    day = date.today().strftime("%d/%m/%Y")
    document = client.post("/documents/bilan")
    assert document.status_code == 302  # unprotected key: saved in Exports
    [saved] = passport.store._dir.parent.joinpath("Exports").glob("*.docx")
    assert f"Accord pour transmettre cette fiche donné le {day} par son représentant légal." in document_text(
        saved.read_bytes()
    )
    client.post("/bilans/1", data={**raw, "consent": []})
    assert passport.intake(1).consent == {}, "withdrawn consent is no longer on record"


def test_erasing_everything_needs_the_typed_confirmation(client, passport, key):
    passport.save_profile({"first_name": ["Léa"]})
    passport.save_intake(raw_answers(passport.forms.intake, "Zorglub"))
    client.post("/documents/suivi")
    assert list(key.exports.glob("*.docx")) and (key.data / indicators.FILE_NAME).exists()
    page = text(client.get("/tout-effacer"))
    assert "TOUT EFFACER" in page and "résumé sans nom" in page
    refused = client.post("/tout-effacer", data={"confirmation": "effacer"})
    assert refused.status_code == 400 and passport.profile()["first_name"] == "Léa"
    assert client.post("/tout-effacer", data={"confirmation": " tout  effacer "}).status_code == 302
    assert passport.profile() == {} and passport.intakes() == []
    assert not list(key.exports.glob("*")) and not (key.data / indicators.FILE_NAME).exists()
    everything = b"".join(path.read_bytes() for path in key.root.rglob("*") if path.is_file())
    assert b"Zorglub" not in everything and "Léa".encode() not in everything
    assert "Tout a été effacé" in text(client.get("/"))


def test_sheets_untouched_for_two_years_are_offered_for_erasing(client, passport):
    passport.save_step({"date": ["2023-01-10"], "action": ["Vieux rendez-vous"], "status": ["Fait"]})
    old = passport.save_intake(raw_answers(passport.forms.intake, "ancien"))
    recent = passport.save_intake(raw_answers(passport.forms.intake, "récent"))
    with passport.store.session() as db:
        db.table("intakes").update({"updated": "2024-01-05T10:00:00"}, doc_ids=[old])
        db.table("steps").update({"updated": "2023-06-01T10:00:00"}, doc_ids=[1])
    home = text(client.get("/"))
    assert "Fiches anciennes" in home and "modifiée le 05/01/2024" in home and "01/06/2023" in home
    assert [(o.kind, o.id) for o in passport.inactive(date(2026, 11, 29))] == [("bilan", old), ("suivi", 0)]
    assert [(o.kind, o.id) for o in passport.inactive(date(2025, 6, 1))] == [("suivi", 0)]
    confirm = client.post("/fiche-ancienne", data={"kind": "bilan", "sheet_id": str(old)})
    assert confirm.status_code == 200 and "Tu vas effacer la fiche bilan" in text(confirm)
    assert passport.intake(old) is not None, "nothing erased before the confirmation"
    assert (
        client.post("/fiche-ancienne", data={"kind": "bilan", "sheet_id": str(recent), "confirme": "1"}).status_code
        == 404
    )
    client.post("/fiche-ancienne", data={"kind": "bilan", "sheet_id": str(old), "confirme": "1"})
    client.post("/fiche-ancienne", data={"kind": "suivi", "sheet_id": "0", "confirme": "1"})
    assert [entry.id for entry in passport.intakes()] == [recent] and passport.steps() == []
    assert "Fiches anciennes" not in text(client.get("/"))
    summary = indicators.decode(passport.store.read_plain(indicators.FILE_NAME))
    assert len(summary.sheets) == 1, "the erased sheet left the anonymous summary too"

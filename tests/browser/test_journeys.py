"""What people do with the passport, done in Chromium as they would do it, down to the Word file."""

from __future__ import annotations

import re
import socket
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from docx import Document
from playwright.sync_api import Download, Page, expect

from passport.store import Store
from tests.browser.checks import FOCUS_STYLE, audit
from tests.browser.driving import Served, tab_to

pytestmark = pytest.mark.slow
TODAY = date.today()


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def saved_download(download: Download, folder: Path) -> Path:
    """Keep what the browser downloaded, under the name the passport gave it."""
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def word_text(path: Path) -> str:
    """All the text of a Word file: paragraphs and every table cell, one per line."""
    doc = Document(str(path))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def word_pairs(path: Path) -> dict[str, str]:
    """The label → answer rows of the two-column tables of a Word export."""
    doc = Document(str(path))
    return {
        row.cells[0].text: row.cells[1].text for table in doc.tables if len(table.columns) == 2 for row in table.rows
    }


def word_steps(path: Path) -> dict[str, dict[str, str]]:
    """The follow-up table of a Word export, one dict per step keyed by its action.

    Core answers have their own column; the others are "Label : answer" lines under Détails.
    """
    doc = Document(str(path))
    table = next(t for t in doc.tables if len(t.columns) > 2)
    header = [cell.text for cell in table.rows[0].cells]
    steps = {}
    for row in table.rows[1:]:
        step = dict(zip(header, (cell.text for cell in row.cells), strict=True))
        step.update(line.split(" : ", 1) for line in step.pop("Détails").splitlines() if " : " in line)
        steps[step["Ce que j'ai fait ou ce que je vais faire"]] = step
    return steps


def test_young_person_first_start(page: Page, served: Served, tmp_path: Path) -> None:
    expect(heading(page)).to_have_text("Bienvenue dans ton passeport")
    page.get_by_role("link", name="Commencer : écrire mon prénom").click()
    page.get_by_label("Mon prénom").fill("Léa")
    page.get_by_role("button", name="Enregistrer").click()
    expect(heading(page)).to_have_text("Bonjour Léa !")

    steps = [("Appeler la Mission Locale", "Appel"), ("Envoyer mon CV", "Candidature"), ("Aller au forum", "Forum")]
    for action, kind in steps:
        page.get_by_role("link", name="Ajouter une démarche").click()
        page.get_by_label("Ce que j'ai fait ou ce que je vais faire").fill(action)
        page.get_by_label(kind, exact=True).check()
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_role("status")).to_have_text("C'est enregistré.")
    expect(page.get_by_role("heading", name="À faire et en cours (3)")).to_be_visible()

    page.get_by_role("button", name="C'est fait : Envoyer mon CV").click()
    expect(page.get_by_role("status")).to_contain_text("Bravo")
    done = page.locator("section", has=page.get_by_role("heading", name="Faites ou abandonnées (1)"))
    expect(done).to_contain_text("Envoyer mon CV")

    page.get_by_role("link", name="Documents Word").click()
    page.get_by_role("button", name="Ma fiche de suivi des démarches").click()
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^Télécharger")).click()
    sheet = saved_download(info.value, tmp_path)

    assert sheet.name == f"suivi-lea-{TODAY.isoformat()}.docx"
    assert sheet.read_bytes() == (served.key / "Exports" / sheet.name).read_bytes()
    assert "Léa" in word_text(sheet)
    rows = word_steps(sheet)
    assert {action: row["Où j'en suis"] for action, row in rows.items()} == {
        "Appeler la Mission Locale": "À faire",
        "Envoyer mon CV": "Fait",
        "Aller au forum": "À faire",
    }
    assert rows["Envoyer mon CV"]["Type de démarche"] == "Candidature"


def test_counsellor_session(page: Page, served: Served, tmp_path: Path) -> None:
    page.get_by_role("link", name="Fiche bilan").click()
    page.get_by_role("link", name="Nouvelle fiche bilan").click()
    page.get_by_label("Dans quel cadre").fill("Session de prévention du décrochage")
    page.get_by_label("Structure qui t'accueille").select_option(label="CIO")
    page.get_by_label("Conseiller ou conseillère").fill("Mme Martin")
    page.get_by_label("Prénom").fill("Yanis")
    page.get_by_label("Sans solution").check()
    page.get_by_label("Transport ou permis").check()
    page.get_by_label("Confiance en soi").check()
    page.get_by_label("Ce que tu aimerais faire").fill("Travailler le bois.")
    page.get_by_label("Apprentissage", exact=True).check()
    page.get_by_label("Solution proposée").fill("Un apprentissage en menuiserie.")
    page.get_by_label("Pourquoi cette solution").fill("Il aime le concret et veut un salaire vite.")
    page.get_by_label("Mission Locale", exact=True).check()
    page.get_by_label("CAD (Chambre de métiers)", exact=True).check()
    page.get_by_label("principale : Mission Locale").check()
    page.get_by_label("J'accepte que cette fiche soit transmise").check()
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_role("status")).to_have_text("C'est enregistré.")
    expect(heading(page)).to_have_text(f"Fiche bilan du {TODAY:%d/%m/%Y}")
    page.get_by_role("link", name="Fiche bilan").click()
    expect(page.locator(".card")).to_contain_text("Accord donné pour la transmettre.")

    page.get_by_role("link", name="Documents Word").click()
    page.get_by_role("button", name="Tout mon dossier (bilan et démarches)").click()
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^Télécharger")).click()
    dossier = saved_download(info.value, tmp_path)

    assert dossier.name.startswith("dossier-") and dossier.name.endswith(f"{TODAY.isoformat()}.docx")
    assert dossier.read_bytes() == (served.key / "Exports" / dossier.name).read_bytes()
    answers = word_pairs(dossier)
    assert answers["Structure qui t'accueille"] == "CIO"
    assert answers["Prénom"] == "Yanis"
    assert answers["Ce qui te freine"] == "Transport ou permis, Confiance en soi"
    assert answers["Solution proposée"] == "Un apprentissage en menuiserie."
    assert answers["Pourquoi cette solution"] == "Il aime le concret et veut un salaire vite."
    assert (
        answers["Structures vers qui tu es orienté ou orientée"]
        == "Mission Locale (principale), CAD (Chambre de métiers)"
    )
    assert answers[next(label for label in answers if label.startswith("J'accepte"))] == "Oui"
    assert "Fiche de suivi des démarches" in word_text(dossier)


def assert_focus_visible(page: Page) -> None:
    state = page.evaluate(FOCUS_STYLE)
    assert state and state["visible"] and state["onScreen"], state


def press_to_go(page: Page, key: str) -> None:
    """Press a key that follows a link or sends a form, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_keyboard_only(page: Page, served: Served, tmp_path: Path) -> None:
    """Tab, Shift+Tab, Enter and Space (and typing text): no click, no fill()."""
    tab_to(page, "Aller au contenu")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    tab_to(page, "Ajouter une démarche")
    assert_focus_visible(page)
    press_to_go(page, "Enter")
    expect(heading(page)).to_have_text("Ajouter une démarche")

    tab_to(page, "Ce que j'ai fait ou ce que je vais faire")
    page.keyboard.type("Prendre rendez-vous au CIO")
    tab_to(page, "Rendez-vous")
    assert_focus_visible(page)
    page.keyboard.press("Space")
    tab_to(page, "À faire")  # "Où j'en suis": Tab lands on the checked radio of the group
    tab_to(page, "Avec qui", backwards=True)
    assert_focus_visible(page)
    page.keyboard.type("Mme Diallo")
    tab_to(page, "J'ai besoin d'aide")
    page.keyboard.press("Space")
    tab_to(page, "Enregistrer")
    assert_focus_visible(page)
    press_to_go(page, "Enter")

    expect(page.get_by_role("status")).to_have_text("C'est enregistré.")
    expect(page.locator(".card")).to_contain_text("Prendre rendez-vous au CIO")
    expect(page.locator(".card")).to_contain_text("J'ai besoin d'aide")

    tab_to(page, "Documents Word")
    press_to_go(page, "Enter")
    tab_to(page, "Ma fiche de suivi des démarches")
    assert_focus_visible(page)
    press_to_go(page, "Space")
    expect(page.get_by_role("status")).to_contain_text("est prêt")
    tab_to(page, "Télécharger")
    assert_focus_visible(page)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    sheet = saved_download(info.value, tmp_path)

    row = word_steps(sheet)["Prendre rendez-vous au CIO"]
    assert row["Type de démarche"] == "Rendez-vous"
    assert row["Avec qui (autre personne ou organisme)"] == "Mme Diallo"
    assert row["Où j'en suis"] == "À faire"
    assert row["J'ai besoin d'aide pour cette démarche"] == "Oui"


def test_terminer(page: Page, served: Served) -> None:
    """The young person finishes: the page says the key may be removed, and the server is gone."""
    page.get_by_role("link", name="Ajouter une démarche").click()
    page.get_by_label("Ce que j'ai fait ou ce que je vais faire").fill("Aller au CIO")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("button", name="Terminer").click()

    expect(heading(page)).to_have_text(re.compile(r"^C'est terminé\.\s*Tu peux retirer ta clé\.$"))
    assert audit(page, "termine", "C'est terminé") == []
    assert served.process.wait(timeout=30) == 0
    with pytest.raises(OSError):
        socket.create_connection(urlsplit(served.origin).netloc.split(":"), timeout=5).close()
    with Store(served.key / "Data").session() as db:  # the key is free, and the step on it
        assert [step["answers"]["action"] for step in db.table("steps").all()] == ["Aller au CIO"]

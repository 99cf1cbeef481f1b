"""Every page and every error state, in Chromium: axe-core (WCAG 2.1 A + AA) finds nothing,
every field has a visible label, focus is visible, titles say where you are, nothing
scrolls sideways at 320 px or 200 %, errors are tied to their fields and summarised.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from werkzeug.exceptions import HTTPException

from passport import dates, keyroot
from passport.keyroot import KeyPaths
from passport.store import Store
from passport.web import create_app
from tests.browser.checks import alert_problems, audit, error_state_problems
from tests.browser.driving import Served, go, open_page, serve
from tests.support import tmpfs, write_protect_switch

pytestmark = pytest.mark.slow
TODAY = dates.french(date.today().isoformat())
# Routes that answer with something else than a page: files, downloads, the heartbeat
# (alive.js) and the question a second launch asks the first.
NOT_PAGES = {"static", "documents.download", "session.beat", "session.instance_token"}


class Walk:
    """Visits pages one after the other and keeps every problem, so one run lists them all."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.paths: set[str] = set()

    def audit(self, name: str, title: str) -> None:
        self.problems += audit(self.page, name, title)
        self.paths.add(urlsplit(self.page.url).path)

    def audit_error(self, name: str, title: str, fields: set[str]) -> None:
        """An error state: the summary and the fields' messages first, then the page as any other."""
        self.problems += [f"{name}: {p}" for p in error_state_problems(self.page, fields)]
        self.audit(name, "Erreur — " + title)

    def audit_alert(self, name: str, title: str, says: str) -> None:
        """An error about the whole page (no consent, key write-protected): one focused alert."""
        self.problems += [f"{name}: {p}" for p in alert_problems(self.page, says)]
        self.audit(name, "Erreur — " + title)

    def save(self, name: str = "Enregistrer") -> None:
        """Submit and wait for the next page: reading it mid-navigation gives the old title."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=name, exact=True).click()


def test_every_page_and_error_state(browser: Browser, served: Served, tmp_path: Path) -> None:
    with open_page(browser, served, enter=False) as page:
        walk = Walk(page)
        before_entering(walk, served)
        inside_the_passport(walk)
    protected_key(walk, browser, tmp_path)
    assert not walk.problems, "\n".join(walk.problems)
    assert page_endpoints(tmp_path) <= visited_endpoints(tmp_path, walk.paths), "a page is missing from this walk"


def before_entering(walk: Walk, served: Served) -> None:
    """The refusal page (no cookie yet), then the page the one-time address shows while it
    moves on: its instant refresh is taken out in this browser only, so it can be checked."""
    page = walk.page
    page.goto(served.at("/"))
    walk.audit("refus", "Ouvre ton passeport depuis ta clé")
    page.route(served.url, _without_refresh)
    page.goto(served.url)
    walk.audit("ouverture", "Ouverture du passeport")
    page.unroute(served.url)
    page.get_by_role("link", name="Continuer").click()


def _without_refresh(route: Route) -> None:
    response = route.fetch()
    route.fulfill(response=response, body=re.sub(r'<meta http-equiv="refresh"[^>]*>', "", response.text()))


def inside_the_passport(walk: Walk) -> None:
    page = walk.page
    walk.audit("accueil-bienvenue", "Accueil")

    go(page, "/profil")
    walk.audit("profil", "Mon profil")
    walk.save()
    walk.audit_error("profil-erreur", "Mon profil", {"first_name"})
    page.get_by_label("Mon prénom").fill("Léa")
    walk.save()
    walk.audit("accueil", "Accueil")

    go(page, "/demarches/")
    walk.audit("demarches-vide", "Mes démarches")
    go(page, "/demarches/nouvelle")
    walk.audit("demarche-nouvelle", "Ajouter une démarche")
    walk.save()
    walk.audit_error("demarche-erreur", "Ajouter une démarche", {"action"})
    page.get_by_label("Ce que j'ai fait ou ce que je vais faire").fill("Appeler la Mission Locale")
    walk.save()
    walk.audit("demarches", "Mes démarches")
    go(page, "/")
    walk.audit("accueil-demarches", "Accueil")
    go(page, "/demarches/")
    page.get_by_role("link", name="Modifier : Appeler la Mission Locale").click()
    walk.audit("demarche-modifier", "Modifier une démarche")
    go(page, "/demarches/")
    page.get_by_role("link", name="Supprimer : Appeler la Mission Locale").click()
    walk.audit("demarche-supprimer", "Supprimer une démarche")

    go(page, "/bilans/")
    walk.audit("bilans-vide", "Fiche bilan")
    go(page, "/bilans/nouveau")
    walk.audit("bilan-nouveau", "Nouvelle fiche bilan")
    page.get_by_label("CIO", exact=True).check()
    page.get_by_label("Mission Locale", exact=True).check()
    page.get_by_label("Solution proposée").fill("Un rendez-vous pour parler d'apprentissage.")
    walk.save()
    walk.audit_error("bilan-erreur", "Nouvelle fiche bilan", {"structure", "referrals"})
    page.get_by_label("Structure qui t'accueille").select_option(label="CIO")
    page.get_by_label("principale : Mission Locale").check()
    walk.save()
    walk.audit_error("bilan-erreur-pourquoi", "Nouvelle fiche bilan", {"why"})
    page.get_by_label("Pourquoi cette solution").fill("Elle veut un métier manuel.")
    walk.save()
    walk.audit("bilan", f"Fiche bilan du {TODAY}")
    go(page, "/bilans/")
    walk.audit("bilans", "Fiche bilan")

    go(page, "/documents/")
    walk.audit("documents-vide", "Documents Word")
    walk.save("Tout mon dossier (bilan et démarches)")
    walk.audit_alert("documents-sans-accord", "Documents Word", "il faut d'abord ton accord")
    walk.save("Ma fiche de suivi des démarches")
    walk.audit("documents-pret", "Documents Word")

    go(page, "/structures/")
    walk.audit("structures", "Structures")
    walk.save("Ajouter")
    walk.audit_error("structures-erreur", "Structures", {"name"})

    go(page, "/vie-privee")
    walk.audit("vie-privee", "Tes données")
    go(page, "/tout-effacer")
    walk.audit("tout-effacer", "Tout effacer")
    page.get_by_label("Pour confirmer, écris : TOUT EFFACER").fill("non")
    walk.save("Tout effacer")
    walk.audit_alert("tout-effacer-erreur", "Tout effacer", "écris exactement")

    go(page, "/nulle-part")
    walk.audit("page-introuvable", "Page introuvable")
    go(page, "/documents/suivi")
    walk.audit("demande-refusee", "Demande refusée")


PHRASE = "lune cartable riviere soleil"


def protected_key(walk: Walk, browser: Browser, folder: Path) -> None:
    """The secret phrase's pages, on a key prepared with protection (``build_key.py prepare``'s default)."""
    key = folder / "PROTECTED"
    (key / "Data").mkdir(parents=True)
    with Store(key / "Data") as store:
        store.prepare_protection("7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NV")
    with serve(key, folder / "protected.log") as served, open_page(browser, served, enter=False) as page:
        walk.page = page
        page.goto(served.url)
        page.wait_for_url(served.at("/premiere-ouverture"))
        walk.audit("phrase-premiere", "Choisir ma phrase secrète")
        page.get_by_label("Écris-la une deuxième fois").fill("autre chose")
        walk.save("Enregistrer ma phrase")
        walk.audit_alert("phrase-premiere-erreur", "Choisir ma phrase secrète", "pas pareilles")
        page.get_by_label("Ta nouvelle phrase secrète").fill(PHRASE)
        page.get_by_label("Écris-la une deuxième fois").fill(PHRASE)
        walk.save("Enregistrer ma phrase")
        walk.audit("accueil-protege", "Accueil")
        go(page, "/documents/")
        walk.audit("documents-protege", "Documents Word")
        go(page, "/phrase")
        walk.audit("phrase-changer", "Changer ma phrase secrète")
        page.get_by_label("Ma phrase secrète actuelle").fill("pas la bonne")
        page.get_by_label("Écris-la une deuxième fois").fill(
            page.get_by_label("Ta nouvelle phrase secrète").input_value()
        )
        walk.save("Changer ma phrase")
        walk.audit_alert("phrase-changer-erreur", "Changer ma phrase secrète", "pas la bonne phrase")
        page.get_by_role("button", name="Verrouiller").click()
        walk.audit("deverrouiller", "Ouvrir mon passeport")
        page.get_by_label("Ma phrase secrète").fill("pas la bonne")
        walk.save("Ouvrir")
        walk.audit_alert("deverrouiller-erreur", "Ouvrir mon passeport", "pas la bonne phrase")
        page.get_by_role("link", name="J'ai oublié ma phrase secrète").click()
        walk.audit("phrase-oubliee", "J'ai oublié ma phrase secrète")
        page.get_by_label("Code de secours").fill("7K3QF")
        walk.save("Changer ma phrase et ouvrir")
        walk.audit_alert("phrase-oubliee-erreur", "J'ai oublié ma phrase secrète", "25 caractères")
        go(page, "/vie-privee")
        walk.audit("vie-privee-verrouillee", "Tes données")


def page_endpoints(folder: Path) -> set[str]:
    """Every page the app can show (GET routes), so a new page cannot dodge the walk."""
    app = create_app(KeyPaths(folder / "routes-key"))
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods} - NOT_PAGES


def visited_endpoints(folder: Path, paths: set[str]) -> set[str]:
    urls = create_app(KeyPaths(folder / "routes-key")).url_map.bind("127.0.0.1")
    found = set()
    for path in paths:
        with contextlib.suppress(HTTPException):  # the 404 and 405 pages match no route
            found.add(urls.match(path, method="GET")[0])
    return found


def test_a_write_protected_then_pulled_out_key_is_explained_accessibly(browser: Browser, tmp_path: Path) -> None:
    """The key error states on real filesystems under the passport: a tmpfs key behind a
    read-only bind mount (the switch on the side), then both unmounted (the key pulled out)."""
    with tmpfs(tmp_path, 8192, "KEY") as key, write_protect_switch(key) as protect:
        keyroot.prepare(KeyPaths(key))
        protect(True)  # before the start: a running passport keeps its lock file open for writing
        with serve(key, tmp_path / "server.log") as served, open_page(browser, served) as page:
            walk = Walk(page)
            go(page, "/demarches/nouvelle")
            page.get_by_label("Ce que j'ai fait ou ce que je vais faire").fill("Appeler le CIO")
            walk.save()
            walk.audit_alert("cle-protegee", "Ajouter une démarche", "protégée en écriture")
            expect(page.get_by_label("Ce que j'ai fait ou ce que je vais faire")).to_have_value("Appeler le CIO")
            for _ in ("bind mount", "tmpfs"):
                subprocess.run(["umount", "-l", str(key)], check=True)
            go(page, "/demarches/")
            expect(page.locator("#cle-absente")).to_be_visible()
            walk.audit("cle-retiree", "Mes démarches")
            assert not walk.problems, "\n".join(walk.problems)

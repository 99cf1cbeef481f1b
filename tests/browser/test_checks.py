"""The checks themselves can fail: each one reports a page we break on purpose.

Without this, "0 violations" could also mean "axe never ran" or "the check looks at nothing".
The page is broken in the browser only (DOM and inline styles set from the test).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.checks import (
    alert_problems,
    axe_violations,
    error_state_problems,
    focus_not_visible,
    sideways_scroll,
    title_problems,
    unlabelled_fields,
)
from tests.browser.driving import Served, go

pytestmark = pytest.mark.slow


def test_each_check_reports_a_page_broken_on_purpose(page: Page, served: Served) -> None:
    go(page, "/demarches/nouvelle")
    assert title_problems(page, "Ajouter une démarche") == []
    assert title_problems(page, "Mes démarches") != []

    page.evaluate("() => { document.querySelector('label[for=f-action]').remove(); }")
    assert any("label" in v for v in axe_violations(page))
    assert "field f-action has no visible label" in unlabelled_fields(page)

    page.evaluate("() => { document.querySelector('h1').style.color = '#bbbbbb'; }")
    assert any(v.startswith("color-contrast") for v in axe_violations(page))

    page.evaluate("() => { document.getElementById('f-with_whom').style.minWidth = '900px'; }")
    overflows = sideways_scroll(page)
    assert len(overflows) == 4  # at 320 px and at 200 %, with and without wider text spacing
    assert "scrollWidth" in overflows[0] and "f-with_whom" in overflows[0]

    page.evaluate("() => { const f = document.getElementById('f-next_step'); f.style.outline = 'none'; }")
    page.evaluate("() => { document.getElementById('f-next_step').style.boxShadow = 'none'; }")
    assert any("#f-next_step" in problem for problem in focus_not_visible(page))


def test_the_error_checks_report_a_broken_error_state(page: Page, served: Served) -> None:
    go(page, "/demarches/nouvelle")
    assert error_state_problems(page, {"action"}) == ["no error summary"]
    assert alert_problems(page, "clé") != []

    page.get_by_role("button", name="Enregistrer").click()
    assert error_state_problems(page, {"action"}) == []
    page.evaluate("() => { document.getElementById('f-action').removeAttribute('aria-describedby'); }")
    page.evaluate("() => { document.querySelector('.error-summary a').setAttribute('href', '#f-nothing'); }")
    problems = error_state_problems(page, {"action"})
    assert "f-action-error is not tied to its field (aria-describedby, aria-invalid)" in problems
    assert "summary link #f-nothing leads nowhere" in problems

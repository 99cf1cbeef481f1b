"""Accessibility checks run in the page: axe-core, then what axe cannot judge by itself.

Each check returns the problems it found (empty when the page is fine), so a failing
test says exactly which element broke which rule.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.driving import ARTIFACTS, AXE_PATH, DESKTOP, PHONE, origin_of

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# WCAG 1.4.10 reflow: 320 CSS px is a 1280 px screen at 400 %; 640 px is the same at 200 %.
REFLOW = {"320 px (400 %)": {"width": 320, "height": 640}, "200 %": {"width": 640, "height": 400}}
# WCAG 1.4.12 text spacing: the spacing a reader may impose with their own stylesheet.
TEXT_SPACING = [
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }",
    "p { margin-bottom: 2em !important; }",
]
SCREENSHOTS = ARTIFACTS / "screenshots"
ARIA = ARTIFACTS / "aria"
TITLE_SUFFIX = " — Mon passeport"


def axe_violations(page: Page) -> list[str]:
    """axe-core with the WCAG 2.1 A and AA rules, injected as a same-origin script."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=origin_of(page) + AXE_PATH)
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations""",
        WCAG_TAGS,
    )
    return [_describe(v) for v in violations]


def _describe(violation: dict[str, Any]) -> str:
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
    return f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}"


def unlabelled_fields(page: Page) -> list[str]:
    """Every field needs a label a sighted person sees, and every group a visible legend."""
    return page.evaluate(
        """() => {
            const shown = (el) => el && el.getClientRects().length > 0 && el.offsetWidth > 1
                && el.offsetHeight > 1 && el.innerText.trim() !== '';
            const problems = [];
            for (const el of document.querySelectorAll('input, select, textarea')) {
                if (el.type === 'hidden') continue;
                if (![...el.labels].some(shown)) problems.push(`field ${el.id || el.name} has no visible label`);
            }
            for (const set of document.querySelectorAll('fieldset')) {
                if (!shown(set.querySelector(':scope > legend'))) problems.push(`group ${set.id}: no visible legend`);
            }
            return problems;
        }"""
    )


def sideways_scroll(page: Page) -> list[str]:
    """At 320 px and at 200 % zoom, nothing may need horizontal scrolling (WCAG 1.4.10),
    even with the reader's own text spacing (WCAG 1.4.12)."""
    problems = _sideways_scroll(page)
    # The CSSOM is not inline style: the page's CSP allows it, as it allows a user stylesheet.
    page.evaluate("(rules) => rules.forEach((r) => document.styleSheets[0].insertRule(r, 0))", TEXT_SPACING)
    problems += [f"with wider text spacing, {problem}" for problem in _sideways_scroll(page)]
    page.evaluate("(rules) => rules.forEach(() => document.styleSheets[0].deleteRule(0))", TEXT_SPACING)
    return problems


def _sideways_scroll(page: Page) -> list[str]:
    problems = []
    original = page.viewport_size or DESKTOP
    for name, size in REFLOW.items():
        page.set_viewport_size(size)
        widths = page.evaluate(
            """() => {
                const root = document.documentElement;
                const wide = [...document.body.querySelectorAll('*')]
                    .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
                    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                         + (el.className ? '.' + String(el.className).split(' ').join('.') : ''));
                return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 5)};
            }"""
        )
        if widths["scroll"] > widths["client"]:
            problems.append(
                f"at {name}: scrollWidth {widths['scroll']} > clientWidth {widths['client']}: {widths['wide']}"
            )
    page.set_viewport_size(original)
    return problems


FOCUS_STYLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const box = el.getBoundingClientRect();
    return {
        name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.innerText || '').slice(0, 30),
        visible: outlined || style.boxShadow !== 'none',
        onScreen: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
    };
}"""
# Records each focus stop in the page itself, so Tabbing through a long form costs one round
# trip per key, not two. It listens to keyup, not focusin: moving between the parts of a date
# field (day, month, year, calendar button) focuses no new element but is a stop all the same.
FOCUS_LOG = f"""() => {{
    const describe = {FOCUS_STYLE};
    window.__focusLog = [];
    addEventListener('keyup', () => window.__focusLog.push(describe()), true);
    const stops = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea');
    return stops.length + 3 * document.querySelectorAll('input[type=date]').length + 2;
}}"""


def focus_not_visible(page: Page) -> list[str]:
    """Tab through the whole page: every stop must show a focus ring, inside the viewport."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(page.evaluate(FOCUS_LOG)):
        page.keyboard.press("Tab")
    log = [stop for stop in page.evaluate("() => window.__focusLog") if stop]
    stops = log[: log.index(log[0], 1)] if log and log.count(log[0]) > 1 else log
    problems = [f"no visible focus on {stop['name']}" for stop in stops if not stop["visible"]]
    return problems + [f"focused {stop['name']} is off screen" for stop in stops if not stop["onScreen"]]


def title_problems(page: Page, expected: str) -> list[str]:
    """The title says where you are; the page has one h1."""
    problems = []
    if page.title() != expected + TITLE_SUFFIX:
        problems.append(f"title {page.title()!r}, expected {expected + TITLE_SUFFIX!r}")
    if page.locator("h1").count() != 1:
        problems.append(f"{page.locator('h1').count()} h1 elements")
    return problems


def screenshots(page: Page, name: str) -> list[Path]:
    """Desktop and phone pictures of the page, and the accessibility tree a screen reader
    reads (Chromium's ARIA snapshot), kept under test-artifacts/ (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ARIA.mkdir(parents=True, exist_ok=True)
    (ARIA / f"{name}.yml").write_text(page.locator("body").aria_snapshot(), encoding="utf-8")
    original = page.viewport_size or DESKTOP
    paths = []
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=path, full_page=True)
        paths.append(path)
    page.set_viewport_size(original)
    return paths


def audit(page: Page, name: str, title: str) -> list[str]:
    """Everything the issue asks of every page; returns the problems, each prefixed by the page."""
    problems = [
        *title_problems(page, title),
        *axe_violations(page),
        *unlabelled_fields(page),
        *sideways_scroll(page),
        *focus_not_visible(page),
    ]
    screenshots(page, name)
    return [f"{name}: {problem}" for problem in problems]


ERROR_STATE = """() => {
    const summary = document.querySelector('.error-summary');
    if (!summary) return null;
    const form = document.querySelector('main form');
    const links = [...summary.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    const messages = [...document.querySelectorAll('.field-error')].map((p) => {
        const field = document.getElementById(p.id.replace(/-error$/, ''));
        return {
            id: p.id,
            tied: !!field && (field.getAttribute('aria-describedby') || '').split(' ').includes(p.id),
            invalid: !!field && field.getAttribute('aria-invalid') === 'true',
        };
    });
    return {
        focused: document.activeElement === summary,
        beforeForm: !!form && !!(summary.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING),
        links: links.map((href) => ({href, exists: !!document.querySelector(href)})),
        messages,
    };
}"""


def error_state_problems(page: Page, fields: set[str]) -> list[str]:
    """The summary at the top has focus and links to each field; each message is tied to its field."""
    summary = page.locator(".error-summary")
    if summary.count():
        with contextlib.suppress(AssertionError):  # autofocus happens at a next frame, not at load
            expect(summary).to_be_focused(timeout=2000)
    state = page.evaluate(ERROR_STATE)
    if state is None:
        return ["no error summary"]
    problems = []
    if not state["focused"]:
        problems.append("the error summary does not receive focus")
    if not state["beforeForm"]:
        problems.append("the error summary is not above the form")
    linked = {link["href"].removeprefix("#f-") for link in state["links"]}
    if linked != fields:
        problems.append(f"summary links to {sorted(linked)}, expected {sorted(fields)}")
    problems += [f"summary link {link['href']} leads nowhere" for link in state["links"] if not link["exists"]]
    described = {m["id"].removeprefix("f-").removesuffix("-error") for m in state["messages"]}
    if described != fields:
        problems.append(f"messages next to {sorted(described)}, expected {sorted(fields)}")
    for message in state["messages"]:
        if not (message["tied"] and message["invalid"]):
            problems.append(f"{message['id']} is not tied to its field (aria-describedby, aria-invalid)")
    return problems + _summary_links_move_focus(page, [link["href"] for link in state["links"]])


def _summary_links_move_focus(page: Page, hrefs: list[str]) -> list[str]:
    """Following a summary link puts focus on the field, with its label in view."""
    problems = []
    for href in hrefs:
        page.locator(f'.error-summary a[href="{href}"]').click()
        landed = page.evaluate(
            """(href) => {
                const target = document.querySelector(href);
                if (!target) return {focused: false, labelInView: false};
                const label = target.matches('fieldset') ? target.querySelector('legend') : target.labels[0];
                const box = label.getBoundingClientRect();
                const inView = box.top >= 0 && box.bottom <= innerHeight;
                return {focused: document.activeElement === target, labelInView: inView};
            }""",
            href,
        )
        if not landed["focused"]:
            problems.append(f"summary link {href} does not move focus to the field")
        if not landed["labelInView"]:
            problems.append(f"after summary link {href} the field's label is off screen")
    return problems


def alert_problems(page: Page, says: str) -> list[str]:
    """An error that is not about one field: a message at the top, announced, with focus."""
    alert = page.locator(".message-error:visible")
    if alert.count() != 1 or says not in alert.inner_text():
        return [f"expected one error message saying {says!r}"]
    with contextlib.suppress(AssertionError):
        expect(alert).to_be_focused(timeout=2000)
    if not alert.evaluate("(el) => el === document.activeElement && el.getAttribute('role') === 'alert'"):
        return ["the error message is not focused, or not role=alert"]
    return []

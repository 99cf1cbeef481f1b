"""The secret phrase: chosen at the first start, asked at each start, changed, forgotten.

Every page but these stays behind the phrase while the key is locked. A wrong
phrase costs a growing wait: a copied file can be attacked offline anyway, so
the wait is for whoever tries phrases at the keyboard of an unlocked PC. The
passport locks itself after a while without activity (the launcher's watchdog
counts pages and the heartbeat of a page in use), and when it finishes:
"Terminer", or any of the watchdog's own stops.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from passport import phrase, vault
from passport.faults import KeyWriteError
from passport.store import LOCKED, OPEN, PENDING, Locked
from passport.watchdog import Watchdog
from passport.web.views import key_message, passport

bp = Blueprint("protection", __name__)
IDLE_LOCK_SECONDS = 10 * 60
# What a locked or not yet protected key may show: nothing of the person.
WHILE_LOCKED = {"static", "security.enter", "protection.unlock", "protection.forgotten", "privacy.about"}
WHILE_PENDING = {"static", "security.enter", "protection.first", "privacy.about"}
WRONG_PHRASE = "Ce n'est pas la bonne phrase. Vérifie chaque mot, puis réessaie."
WRONG_CODE = "Ce code de secours ne va pas avec cette clé. Vérifie chaque caractère, puis réessaie."
BAD_CODE = "Un code de secours a 25 caractères, en 5 groupes de 5 (par exemple 7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NV)."
KEY_AWAY = (
    "Je ne trouve pas tes fiches sur la clé : elle a été retirée ou ne répond plus. "
    "Rebranche-la sur cet ordinateur, puis écris à nouveau ta phrase."
)
WAIT = "Attends encore {seconds} avant de réessayer."
LOCKED_IDLE = (
    "Ton passeport s'est verrouillé parce que personne ne l'utilisait. Écris ta phrase secrète pour le rouvrir."
)
SAVED_PHRASE = "Ta phrase secrète est enregistrée. Retiens-la bien : elle ne sera plus jamais affichée."


def wait_after(failures: int) -> float:
    """Seconds to wait after ``failures`` wrong tries in a row: two typos are free, then it doubles."""
    return 0.0 if failures < 3 else float(min(5 * 2 ** (failures - 3), 300))


class Attempts:
    """Wrong phrases and codes in a row, and when the next try is allowed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self._not_before = 0.0

    def seconds_left(self) -> int:
        with self._lock:
            return max(0, math.ceil(self._not_before - self._clock()))

    def failed(self) -> int:
        """Count a wrong try; return the seconds to wait before the next."""
        with self._lock:
            self.failures += 1
            self._not_before = self._clock() + wait_after(self.failures)
        return self.seconds_left()

    def succeeded(self) -> None:
        with self._lock:
            self.failures, self._not_before = 0, 0.0


def state() -> str:
    found = current_app.extensions.get("passport")
    return found.store.protection if found is not None else ""


def _attempts() -> Attempts:
    return current_app.extensions["attempts"]


def lock_if_idle() -> bool:
    """Lock an open key nobody used for ``IDLE_LOCK_SECONDS``; say whether the key is locked now."""
    watchdog: Watchdog = current_app.extensions["watchdog"]
    if state() == OPEN and watchdog.idle_seconds() >= IDLE_LOCK_SECONDS:
        lock_now()
        flash(LOCKED_IDLE)
    return state() == LOCKED


def _gate() -> Response | None:
    """Before every page: a locked key shows the unlock page, a new protected key the phrase to choose.

    Runs before the watchdog hears of this request, so that the idle time is the one before it.
    """
    endpoint = request.endpoint or ""
    if endpoint not in ("static", "session.beat", "session.instance"):
        lock_if_idle()
    current = state()
    if current == LOCKED and endpoint not in WHILE_LOCKED:
        return redirect(url_for("protection.unlock"))
    if current == PENDING and endpoint not in WHILE_PENDING:
        return redirect(url_for("protection.first"))
    return None


def lock_now() -> None:
    """Forget the data and its key until the phrase is given again (Terminer, idle, the button)."""
    found = current_app.extensions.get("passport")
    if found is not None:
        found.store.lock()


def _wait(seconds: int) -> str:
    return WAIT.format(seconds=f"{seconds} seconde{'s' if seconds > 1 else ''}")


def _wait_message() -> str | None:
    seconds = _attempts().seconds_left()
    return _wait(seconds) if seconds else None


def _wrong(message: str) -> str:
    seconds = _attempts().failed()
    return f"{message} {_wait(seconds)}" if seconds else message


@bp.route("/deverrouiller", methods=["GET", "POST"])
def unlock() -> Response | str | tuple[str, int]:
    if state() != LOCKED:
        return redirect(url_for("home.index"))
    if request.method == "GET":
        return render_template("unlock.html", error=None)
    waiting = _wait_message()
    if waiting:
        return render_template("unlock.html", error=waiting), 429
    try:
        passport().store.unlock(request.form.get("phrase", ""))
    except vault.WrongSecret:
        return render_template("unlock.html", error=_wrong(WRONG_PHRASE)), 403
    except KeyWriteError:
        return render_template("unlock.html", error=KEY_AWAY), 503
    _opened()
    return redirect(url_for("home.index"))


def _opened() -> None:
    _attempts().succeeded()
    passport().refresh_indicators()


def _new_phrase_form(template: str, status: int = 200, **context: object) -> tuple[str, int]:
    proposal = request.form.get("new_phrase") if request.method == "POST" else phrase.propose()
    return render_template(template, proposal=proposal, **context), status


@bp.route("/premiere-ouverture", methods=["GET", "POST"])
def first() -> Response | tuple[str, int]:
    if state() != PENDING:
        return redirect(url_for("home.index"))
    if request.method == "GET":
        return _new_phrase_form("first_phrase.html", error=None)
    new, again = request.form.get("new_phrase", ""), request.form.get("again", "")
    problem = phrase.problem(new, again)
    if problem:
        return _new_phrase_form("first_phrase.html", 400, error=problem)
    return _set(lambda: passport().store.set_phrase(new), "first_phrase.html")


def _set(action: Callable[[], None], template: str) -> Response | tuple[str, int]:
    try:
        action()
    except KeyWriteError as error:
        return _new_phrase_form(template, 503, error=key_message(error))
    _opened()
    flash(SAVED_PHRASE)
    return redirect(url_for("home.index"))


@bp.route("/phrase-oubliee", methods=["GET", "POST"])
def forgotten() -> Response | tuple[str, int]:
    if state() != LOCKED:
        return redirect(url_for("home.index"))
    if request.method == "GET":
        return _new_phrase_form("forgotten.html", error=None)
    waiting = _wait_message()
    if waiting:
        return _new_phrase_form("forgotten.html", 429, error=waiting)
    code = request.form.get("code", "")
    new, again = request.form.get("new_phrase", ""), request.form.get("again", "")
    if not vault.valid_code(code):
        return _new_phrase_form("forgotten.html", 400, error=BAD_CODE)
    problem = phrase.problem(new, again)
    if problem:
        return _new_phrase_form("forgotten.html", 400, error=problem)
    try:
        return _set(lambda: passport().store.recover(code, new), "forgotten.html")
    except vault.WrongSecret:
        return _new_phrase_form("forgotten.html", 403, error=_wrong(WRONG_CODE))


@bp.route("/phrase", methods=["GET", "POST"])
def change() -> Response | tuple[str, int]:
    if state() != OPEN:
        return redirect(url_for("home.index"))
    if request.method == "GET":
        return _new_phrase_form("change_phrase.html", error=None)
    waiting = _wait_message()
    if waiting:
        return _new_phrase_form("change_phrase.html", 429, error=waiting)
    new, again = request.form.get("new_phrase", ""), request.form.get("again", "")
    problem = phrase.problem(new, again)
    if problem:
        return _new_phrase_form("change_phrase.html", 400, error=problem)
    try:
        return _set(lambda: passport().store.change_phrase(request.form.get("phrase", ""), new), "change_phrase.html")
    except vault.WrongSecret:
        return _new_phrase_form("change_phrase.html", 403, error=_wrong(WRONG_PHRASE))


@bp.post("/verrouiller")
def lock() -> Response:
    lock_now()
    return redirect(url_for("protection.unlock"))


def _lock_store_of(app: Flask) -> None:
    found = app.extensions.get("passport")
    if found is not None:
        found.store.lock()


def _locked_meanwhile(_: Locked) -> Response:
    """The key locked itself while a page was being made (idle): ask for the phrase again."""
    return redirect(url_for("protection.unlock"))


def init_app(app: Flask, watchdog: Watchdog) -> None:
    """Register before the watchdog's own request hook (see ``_gate``)."""
    app.extensions["attempts"] = Attempts()
    app.before_request(_gate)
    watchdog.also_when_finished(lambda _reason: _lock_store_of(app))
    app.register_error_handler(Locked, _locked_meanwhile)
    app.jinja_env.globals["protection_state"] = state
    app.register_blueprint(bp)

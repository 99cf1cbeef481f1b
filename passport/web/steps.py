"""The follow-up sheet: the young person's steps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from passport.faults import KeyWriteError
from passport.records import Entry
from passport.web.views import as_raw, key_message, old_answers, passport, save_form

bp = Blueprint("steps", __name__, url_prefix="/demarches")


def _step(step_id: int) -> Entry:
    return passport().step(step_id) or abort(404)


def _to_list(_: object) -> str:
    return url_for("steps.index")


@bp.get("/")
def index() -> str:
    return render_template("steps.html", steps=passport().steps())


@bp.get("/nouvelle")
def new() -> str:
    form = passport().forms.step
    raw = as_raw(form, {**form.defaults(), "date": date.today().isoformat()})
    return render_template("step_form.html", form=form, raw=raw, errors={}, step=None)


@bp.post("/nouvelle")
def create() -> Response | tuple[str, int]:
    return save_form("step_form.html", passport().save_step, _to_list, form=passport().forms.step, step=None)


@bp.get("/<int:step_id>")
def edit(step_id: int) -> str:
    step, form = _step(step_id), passport().forms.step
    return render_template(
        "step_form.html",
        form=form,
        raw=as_raw(form, step.answers),
        errors={},
        step=step,
        others=old_answers(step, form),
    )


@bp.post("/<int:step_id>")
def update(step_id: int) -> Response | tuple[str, int]:
    step = _step(step_id)
    return save_form(
        "step_form.html",
        lambda raw: passport().save_step(raw, step_id),
        _to_list,
        form=passport().forms.step,
        step=step,
        others=old_answers(step, passport().forms.step),
    )


@bp.post("/<int:step_id>/fait")
def mark_done(step_id: int) -> Response:
    _step(step_id)
    return _act(lambda: passport().mark_done(step_id), "Bravo ! La démarche est marquée comme faite.")


@bp.get("/<int:step_id>/supprimer")
def confirm_delete(step_id: int) -> str:
    return render_template("step_delete.html", step=_step(step_id))


@bp.post("/<int:step_id>/supprimer")
def delete(step_id: int) -> Response:
    _step(step_id)
    return _act(lambda: passport().delete_step(step_id), "La démarche a été supprimée.")


def _act(action: Callable[[], None], message: str) -> Response:
    try:
        action()
    except KeyWriteError as error:
        flash(key_message(error), "error")
    else:
        flash(message)
    return redirect(url_for("steps.index"))

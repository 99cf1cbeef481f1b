"""The intake sheet (*fiche bilan de l'accueil*), filled with a counsellor."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from werkzeug.wrappers import Response

from passport.records import Entry
from passport.web.views import as_raw, old_answers, passport, save_form

bp = Blueprint("intake", __name__, url_prefix="/bilans")


def _intake(intake_id: int) -> Entry:
    return passport().intake(intake_id) or abort(404)


def _to_sheet(intake_id: int) -> str:
    return url_for("intake.edit", intake_id=intake_id)


@bp.get("/")
def index() -> str:
    return render_template("intakes.html", intakes=passport().intakes())


@bp.get("/nouveau")
def new() -> str:
    form = passport().forms.intake
    raw = as_raw(form, {**form.defaults(), **passport().new_intake_answers()})
    return render_template("intake_form.html", form=form, raw=raw, errors={}, intake=None)


@bp.post("/nouveau")
def create() -> Response | tuple[str, int]:
    return save_form("intake_form.html", passport().save_intake, _to_sheet, form=passport().forms.intake, intake=None)


@bp.get("/<int:intake_id>")
def edit(intake_id: int) -> str:
    intake, form = _intake(intake_id), passport().forms.intake
    return render_template(
        "intake_form.html",
        form=form,
        raw=as_raw(form, intake.answers),
        errors={},
        intake=intake,
        others=old_answers(intake, form),
    )


@bp.post("/<int:intake_id>")
def update(intake_id: int) -> Response | tuple[str, int]:
    intake = _intake(intake_id)
    return save_form(
        "intake_form.html",
        lambda raw: passport().save_intake(raw, intake_id),
        _to_sheet,
        form=passport().forms.intake,
        intake=intake,
        others=old_answers(intake, passport().forms.intake),
    )

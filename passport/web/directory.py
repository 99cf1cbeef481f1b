"""The partner directory: where the young person can go next."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from werkzeug.wrappers import Response

from passport.web.views import passport, save_form

bp = Blueprint("directory", __name__, url_prefix="/structures")


@bp.get("/")
def index() -> str:
    return render_template("directory.html", form=passport().forms.structure, raw={}, errors={})


@bp.post("/")
def add() -> Response | tuple[str, int]:
    return save_form(
        "directory.html",
        passport().add_structure,
        lambda _: url_for("directory.index"),
        form=passport().forms.structure,
    )

"""The home page and the young person's profile."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from werkzeug.wrappers import Response

from passport.web.views import as_raw, passport, save_form

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    store = passport().store
    return render_template(
        "home.html",
        profile=passport().profile(),
        upcoming=passport().upcoming(),
        unreadable=store.unreadable,
        set_aside=store.moved_aside,
    )


@bp.get("/profil")
def profile() -> str:
    form = passport().forms.profile
    return render_template("profile.html", form=form, raw=as_raw(form, passport().profile()), errors={})


@bp.post("/profil")
def save_profile() -> Response | tuple[str, int]:
    return save_form(
        "profile.html", passport().save_profile, lambda _: url_for("home.index"), form=passport().forms.profile
    )

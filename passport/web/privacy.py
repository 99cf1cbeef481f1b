"""The young person's rights over their data: what is kept and why, erasing old sheets or everything."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from passport import export
from passport.faults import KeyWriteError
from passport.web.views import key_message, passport

bp = Blueprint("privacy", __name__)
CONFIRMATION = "TOUT EFFACER"
NOT_CONFIRMED = f"Pour confirmer, écris exactement : {CONFIRMATION}"
ERASED = "Tout a été effacé de ta clé."
SHEET_ERASED = {"bilan": "La fiche bilan a été effacée.", "suivi": "Ta fiche de suivi des démarches a été effacée."}


@bp.get("/vie-privee")
def about() -> str:
    return render_template("privacy.html")


@bp.route("/tout-effacer", methods=["GET", "POST"])
def erase_everything() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("erase.html", error=None, confirmation=CONFIRMATION)
    typed = " ".join(request.form.get("confirmation", "").split()).upper()
    if typed != CONFIRMATION:
        return render_template("erase.html", error=NOT_CONFIRMED, confirmation=CONFIRMATION), 400
    try:
        passport().erase_everything()
        export.erase_copies(current_app.config["KEY"].exports)
    except KeyWriteError as error:
        return render_template("erase.html", error=key_message(error), confirmation=CONFIRMATION), 503
    flash(ERASED)
    return redirect(url_for("home.index"))


def _old_sheet() -> tuple[str, int]:
    kind, sheet_id = request.form.get("kind", ""), request.form.get("sheet_id", type=int)
    if not any(old.kind == kind and old.id == sheet_id for old in passport().inactive()):
        abort(404)
    return kind, sheet_id or 0


@bp.post("/fiche-ancienne")
def erase_old() -> Response | str:
    """From the home page's list: first the confirmation page, then, confirmed, the erasing."""
    kind, sheet_id = _old_sheet()
    if not request.form.get("confirme"):
        return render_template("erase_old.html", kind=kind, sheet_id=sheet_id, intake=passport().intake(sheet_id))
    try:
        if kind == "bilan":
            passport().delete_intake(sheet_id)
        else:
            passport().delete_steps()
    except KeyWriteError as error:
        flash(key_message(error), "error")
    else:
        flash(SHEET_ERASED[kind])
    return redirect(url_for("home.index"))

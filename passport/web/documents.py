"""Word exports: made on request, saved in ``Exports/`` and downloaded from there."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from passport import export, wordtemplate
from passport.faults import KeyWriteError
from passport.web.views import key_message, passport

bp = Blueprint("documents", __name__, url_prefix="/documents")
CONSENT_NEEDED = (
    "Pour exporter la fiche bilan, il faut d'abord ton accord : coche « J'accepte que cette "
    "fiche soit transmise » dans la fiche bilan, puis enregistre."
)
NO_INTAKE = "Il n'y a pas encore de fiche bilan à exporter."
# The name of the document just made (it carries the first name) rides in the session,
# not in the address: addresses end up in the history of a PC that others use.
READY = "ready"
TEMPLATE_BROKEN = (
    "Le modèle Word de ta structure n'a pas pu être utilisé : le document a été fait avec la mise en page "
    "standard, il contient toutes tes réponses. Signale-le à ton conseiller ou ta conseillère."
)


def _exports() -> list[str]:
    folder = current_app.config["KEY"].exports
    try:
        return sorted((p.name for p in folder.glob("*.docx")), reverse=True) if folder.is_dir() else []
    except OSError:
        return []  # the key is out: nothing to list until it is back


@bp.get("/")
def index() -> str:
    return render_template(
        "documents.html", exports=_exports(), intakes=passport().intakes(), ready=session.pop(READY, "")
    )


@bp.post("/<any(suivi, bilan, dossier):kind>")
def make(kind: str) -> Response:
    intake_id = request.form.get("bilan", type=int)
    try:
        data = _render(kind, intake_id)
        name = export.file_name(passport(), kind, date.today())
        saved = export.save_copy(current_app.config["KEY"].exports, name, data)
    except export.ConsentMissing:
        flash(CONSENT_NEEDED, "error")
        return redirect(url_for("documents.index"))
    except LookupError:
        flash(NO_INTAKE, "error")
        return redirect(url_for("documents.index"))
    except KeyWriteError as error:
        flash(key_message(error), "error")
        return redirect(url_for("documents.index"))
    flash(f"Le document « {saved.name} » est prêt et enregistré sur ta clé, dans le dossier Exports.")
    session[READY] = saved.name
    return redirect(url_for("documents.index"))


def _render(kind: str, intake_id: int | None) -> bytes:
    """The structure's own layout when it has one that works, else the built-in one."""
    template = current_app.config.get("WORD_TEMPLATE") if kind == "bilan" else None
    if template is not None:
        try:
            return export.render(passport(), kind, intake_id, template.read_bytes())
        except (OSError, wordtemplate.TemplateFailed):
            flash(TEMPLATE_BROKEN, "error")
    return export.render(passport(), kind, intake_id)


@bp.get("/fichier/<name>")
def download(name: str) -> Response:
    if name not in _exports():
        abort(404)
    return send_from_directory(current_app.config["KEY"].exports, name, as_attachment=True)

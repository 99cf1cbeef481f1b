"""What every page shares: the passport of this key, form re-display, save errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from passport import dates
from passport.display import shown
from passport.faults import ELSEWHERE, FULL, GONE, READ_ONLY, KeyWriteError
from passport.forms import Form, ValidationError
from passport.records import Entry, Passport, other_answers

KEY_MESSAGES = {
    FULL: "Ta clé est pleine : rien n'a été enregistré. Libère de la place (par exemple en "
    "supprimant de vieux documents du dossier Exports), puis clique à nouveau sur « Enregistrer ».",
    READ_ONLY: "Ta clé est protégée en écriture : rien n'a été enregistré. Vérifie le petit "
    "bouton de verrouillage sur le côté de la clé, puis clique à nouveau sur « Enregistrer ».",
    GONE: "La clé a été retirée ou ne répond plus : rien n'a été enregistré. Rebranche-la, "
    "puis clique à nouveau sur « Enregistrer ».",
    ELSEWHERE: "Ton passeport a été ouvert ailleurs entre-temps (une autre fenêtre ou un autre "
    "ordinateur) : rien n'a été enregistré ici, pour ne rien écraser. Recopie ce que tu as écrit si "
    "tu veux le garder, ferme cette fenêtre et rouvre ton passeport.",
}
KEY_MESSAGE_OTHER = "Impossible d'enregistrer sur la clé pour le moment. Réessaie dans un instant."
SAVED = "C'est enregistré."


def passport() -> Passport:
    return current_app.extensions["passport"]


def key_message(error: KeyWriteError) -> str:
    return KEY_MESSAGES.get(error.reason, KEY_MESSAGE_OTHER)


def as_raw(form: Form, answers: dict[str, Any]) -> dict[str, list[str]]:
    """Stored answers in the shape of submitted input, so one template shows both."""
    raw: dict[str, list[str]] = {}
    for spec in form.fields():
        value = answers.get(spec.key, spec.default)
        if spec.type == "referrals":
            value = value or {}
            raw[spec.key] = list(value.get("structures", []))
            raw[f"{spec.key}__main"] = [value.get("main", "")]
        elif spec.type == "yesno":
            raw[spec.key] = ["on"] if value else []
        elif isinstance(value, list):
            raw[spec.key] = [str(v) for v in value]
        else:
            raw[spec.key] = [str(value)] if value not in (None, "") else []
    return raw


def old_answers(entry: Entry | None, form: Form) -> list[tuple[str, str]]:
    """Answers kept from an earlier form, shown read-only so that nothing seems lost."""
    if entry is None:
        return []
    return [(old.label, shown(old.type, old.value, passport().structure_name)) for old in other_answers(entry, form)]


def submitted() -> dict[str, list[str]]:
    return request.form.to_dict(flat=False)


def save_form(
    template: str, save: Callable[[dict[str, list[str]]], Any], done: Callable[[Any], str], **context: Any
) -> Response | tuple[str, int]:
    """Save what was submitted, or show the form again with the input and what went wrong."""
    raw = submitted()
    try:
        result = save(raw)
    except ValidationError as error:
        return render_template(template, raw=raw, errors=error.errors, **context), 400
    except KeyWriteError as error:
        return render_template(template, raw=raw, errors={}, key_error=key_message(error), **context), 503
    flash(SAVED)
    return redirect(done(result))


ERRORS = {
    400: ("Demande refusée", "Cette page a expiré ou la demande n'est pas valide. Reviens à l'accueil et recommence."),
    403: ("Demande refusée", "Cette demande ne vient pas de ton passeport. Reviens à l'accueil et recommence."),
    404: ("Page introuvable", "Cette page n'existe pas ou a été supprimée."),
    405: ("Demande refusée", "Cette action n'est pas possible ici. Reviens à l'accueil."),
    413: ("Trop long", "Ce que tu as envoyé est trop long. Raccourcis ton texte et réessaie."),
}


NEWER_VERSION = (
    "Mets à jour ton passeport",
    "Tes fiches ont été enregistrées par une version plus récente du passeport. Cette version-ci "
    "ne sait pas les lire sans risquer de les abîmer : elle n'y a pas touché. Ouvre ta clé avec la "
    "version plus récente, ou demande à ton conseiller ou à ta conseillère de mettre à jour le "
    "programme de ta clé. Tes fiches sont toujours là.",
)


def newer_version_page() -> tuple[str, int] | None:
    """Every page of a passport too old for the key: say so, touch nothing."""
    if request.endpoint == "static" or request.blueprint == "session":  # Terminer still works
        return None
    title, message = NEWER_VERSION
    return render_template("error.html", title=title, message=message, home=False), 409


def _error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    title, message = ERRORS.get(code, ("Erreur", "Quelque chose n'a pas marché. Reviens à l'accueil et réessaie."))
    return render_template("error.html", title=title, message=message), code


def init_app(app: Flask) -> None:
    app.jinja_env.filters["date_fr"] = dates.french
    app.jinja_env.globals["passport"] = passport
    app.context_processor(lambda: {"form_problems": current_app.config.get("FORM_PROBLEMS", ())})
    app.register_error_handler(HTTPException, _error_page)

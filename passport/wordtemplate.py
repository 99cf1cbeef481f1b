"""A structure's own Word layout for the intake sheet: a .docx template filled by docxtpl.

docxtpl renders the document's XML as Jinja text. With its defaults (no escaping,
lenient undefined, XML "recovered" after rendering) a ``&`` in an answer silently
made a whole table vanish. So the template is rendered here in a sandboxed,
autoescaping, strict environment, the ``safe`` filter is removed, control
characters are cleaned out of the data, and the rendered XML must parse strictly:
a template either gives the full document or fails with a French message.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from lxml import etree

from passport.display import Names, referrals, shown, training_duty
from passport.forms import FormSet
from passport.records import Entry, other_answers
from passport.text import clean

VARIABLES = (
    "titre",
    "date_export",
    "structure",
    "jeune",
    "bilan",
    "libelles",
    "sections",
    "autres",
    "orientations",
    "demarches",
    "obligation_formation",
)
_STRICT_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class TemplateFailed(Exception):
    """The template cannot give a complete document; the message says why, in French."""


def environment() -> SandboxedEnvironment:
    """Sandboxed (no reach into Python), autoescaping (``&`` stays text), strict (typos fail)."""
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    del env.filters["safe"]  # it would let raw text into the document's XML
    return env


class _StrictTemplate(DocxTemplate):
    """docxtpl parses the rendered XML with ``recover=True``, which drops what it cannot read."""

    def fix_tables(self, xml: str) -> Any:
        etree.fromstring(xml, parser=_STRICT_XML)
        return super().fix_tables(xml)


def render(template: bytes, context: dict[str, Any], finish: Callable[[Any], None] = lambda _doc: None) -> bytes:
    """Fill ``template`` (the .docx bytes); ``finish`` sets what the passport sets on every export."""
    document = _open(template)
    try:
        document.render(context, environment())
        finish(document.docx)
        buffer = io.BytesIO()
        document.save(buffer)
    except etree.XMLSyntaxError as error:
        raise TemplateFailed(f"le document produit n'est pas valide ({error}) : une balise est mal placée.") from None
    except TemplateError as error:
        raise TemplateFailed(_explain(error)) from None
    return buffer.getvalue()


def context(
    forms: FormSet, profile: dict[str, Any], intake: Entry, steps: list[Entry], names: Names, today: date
) -> dict[str, Any]:
    """Everything a template may show; the staff guide (docs/formulaires.md) lists it."""
    form = forms.intake
    bilan = {f.key: shown(f.type, intake.get(f.key, ""), names) for f in form.fields()}
    return {
        "titre": clean(form.title),
        "date_export": today.strftime("%d/%m/%Y"),
        "structure": bilan["structure"],
        "jeune": SimpleNamespace(
            **{f.key: shown(f.type, profile.get(f.key, ""), names) for f in forms.profile.fields()}
        ),
        "bilan": SimpleNamespace(**bilan),
        "libelles": SimpleNamespace(**{f.key: clean(f.label) for f in form.fields()}),
        "sections": [
            {
                "titre": clean(section.title),
                "champs": [{"cle": f.key, "libelle": clean(f.label), "valeur": bilan[f.key]} for f in section.fields],
            }
            for section in form.sections
        ],
        "autres": [
            {"libelle": clean(old.label), "valeur": shown(old.type, old.value, names)}
            for old in other_answers(intake, form)
        ],
        "orientations": [{"nom": name, "principale": main} for name, main in referrals(intake.get("referrals"), names)],
        "demarches": [
            SimpleNamespace(**{f.key: shown(f.type, step.get(f.key, ""), names) for f in forms.step.fields()})
            for step in steps
        ],
        "obligation_formation": training_duty(intake.get("birth_date"), intake.get("date")),
    }


def document_text(data: bytes) -> str:
    """All the text of a .docx, headers and footers included, to check what a render shows."""
    doc = Document(io.BytesIO(data))
    parts = [doc.element.body]
    for section in doc.sections:
        parts += [section.header._element, section.footer._element]
    return "\n".join(node.text or "" for part in parts for node in part.iter(qn("w:t")))


def _open(template: bytes) -> _StrictTemplate:
    try:
        document = _StrictTemplate(io.BytesIO(template))
        document.init_docx()
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError):
        raise TemplateFailed(NOT_WORD) from None
    return document


NOT_WORD = "ce fichier n'est pas un document Word (.docx). Dans Word : Fichier > Enregistrer sous, « Document Word »."


def _explain(error: TemplateError) -> str:
    if isinstance(error, UndefinedError):
        missing = re.findall(r"'([^']+)'", error.message or "")
        name = missing[-1] if missing else str(error)
        return (
            f"le modèle utilise « {name} », qui n'existe pas. Vérifiez l'orthographe ; les noms possibles "
            f"sont : {', '.join(VARIABLES)}, et pour jeune, bilan, libelles et demarches, les clés des champs."
        )
    if isinstance(error, SecurityError):
        return f"le modèle tente une opération interdite ({error})."
    if isinstance(error, TemplateSyntaxError):
        around = " / ".join(t.strip() for t in getattr(error, "docx_context", []) if t.strip())
        near = f" Texte autour : « {around} »." if around else ""
        return f"une balise {{{{ }}}} ou {{% %}} est mal écrite ({error.message}).{near}"
    return f"le modèle n'a pas pu être rempli ({error})."


def check(template: bytes, forms: FormSet) -> list[str]:
    """Test render with awkward data (``&``, ``<``, control characters, line breaks).

    Run before a template goes onto keys: it must give a valid document that still
    shows the common core, so a counsellor always finds who, where to and why.
    """
    profile, intake, steps = _sample(forms)
    try:
        rendered = render(template, context(forms, profile, intake, steps, _sample_name, SAMPLE_DAY))
    except TemplateFailed as error:
        return [str(error)]
    text = document_text(rendered)
    return [
        f"le modèle n'affiche pas « {spec.label} » (bilan.{spec.key}) : "
        "ce champ du socle commun doit figurer sur la fiche."
        for spec in forms.intake.fields()
        if spec.core
        and spec.type in SHOWN_CORE
        and shown(spec.type, intake.get(spec.key), _sample_name).split("\n")[0] not in text
    ]


SHOWN_CORE = ("text", "longtext", "structure", "referrals")
SAMPLE_DAY = date(2026, 11, 29)
_SAMPLE_NAMES = {"exemple": "Structure d'accueil & Cie <test>", "autre": 'Autre structure "B&B"'}


def _sample_name(structure_id: str) -> str:
    return _SAMPLE_NAMES.get(structure_id, structure_id)


def _sample(forms: FormSet) -> tuple[dict[str, Any], Entry, list[Entry]]:
    """Answers for every field, made to break an unescaped or lenient template."""
    intake = {f.key: _sample_value(f.key, f.type, f.choices) for f in forms.intake.fields()}
    intake["ancienne_question"] = "Réponse d'une ancienne version & <test>"
    old = {"ancienne_question": {"label": "Ancienne question & <test>", "type": "text"}}
    steps = [
        Entry(n, {f.key: _sample_value(f.key, f.type, f.choices) for f in forms.step.fields()}, 1, "") for n in (1, 2)
    ]
    profile = {f.key: _sample_value(f.key, f.type, f.choices) for f in forms.profile.fields()}
    return profile, Entry(1, intake, 1, "", old), steps


def _sample_value(key: str, kind: str, choices: tuple[str, ...]) -> Any:
    if kind == "date":
        return "2009-05-01" if key == "birth_date" else SAMPLE_DAY.isoformat()
    if kind == "yesno":
        return True
    if kind == "choice":
        return choices[0]
    if kind == "multichoice":
        return list(choices)
    if kind == "structure":
        return "exemple"
    if kind == "referrals":
        return {"structures": ["exemple", "autre"], "main": "exemple"}
    return f"Exemple {key} & <b>gras</b> \x01\x0b 'ok'\nsuite de {key}"

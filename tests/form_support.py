"""Helpers for the structure-form tests: a key carrying a structure's files, Word templates
made with python-docx the way staff would type them in Word, documents read back."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.shared import Cm
from flask.testing import FlaskClient

from passport.keyform import FORM_FILE, TEMPLATE_FILE
from passport.keyroot import REPOSITORY, KeyPaths
from passport.web import create_app

from conftest import Client

EXAMPLES = REPOSITORY / "docs" / "exemples"
CIO = (EXAMPLES / "formulaire-cio.toml").read_text(encoding="utf-8")
MISSION_LOCALE = (EXAMPLES / "formulaire-mission-locale.toml").read_text(encoding="utf-8")
# A CIO intake sheet answered in every field type.
GOOD = {
    "date": "2026-11-29",
    "structure": "cio",
    "counsellor": "Mme Martin & M. <Durand>",
    "reason": "Changer de voie",
    "with_family": "on",
    "first_name": "Léa",
    "last_class": "2de",
    "left_school_on": "2026-09-01",
    "favourite_subjects": "Dessin\nHistoire & géo",
    "obstacles": ["Argent", "Santé"],
    "solution": "Stage de découverte",
    "why": "Elle aime le <dessin> & la mode",
    "referrals": ["mission-locale", "cad"],
    "referrals__main": "mission-locale",
    "consent": "on",
}


def start(key: KeyPaths, form: str | None = None, template: bytes | None = None) -> FlaskClient:
    """The app on a key prepared with the structure's files in ``Data/``."""
    key.data.mkdir(parents=True, exist_ok=True)
    if form is not None:
        (key.data / FORM_FILE).write_text(form, encoding="utf-8")
    if template is not None:
        (key.data / TEMPLATE_FILE).write_bytes(template)
    app = create_app(key, port=5000)
    app.config["TESTING"] = True
    app.test_client_class = Client
    return app.test_client()


def docx_text(path: Path) -> str:
    """Paragraphs, then table cells row by row, one per line."""
    doc = Document(io.BytesIO(path.read_bytes()))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


# One row per form field, whatever the structure's form: the loops a staff template uses.
FIELD_ROWS = (
    ("Question", "Réponse"),
    ("{%tr for section in sections %}", ""),
    ("{%tr for champ in section.champs %}", ""),
    ("{{ champ.libelle }}", "{{ champ.valeur }}"),
    ("{%tr endfor %}", ""),
    ("{%tr endfor %}", ""),
)
REFERRAL_ROWS = (
    ("Structure", "Principale"),
    ("{%tr for o in orientations %}", ""),
    ("{{ o.nom }}", "{% if o.principale %}oui{% else %}non{% endif %}"),
    ("{%tr endfor %}", ""),
)
OTHERS = ("{%p for a in autres %}", "{{ a.libelle }} : {{ a.valeur }}", "{%p endfor %}")


def template(
    paragraphs: Sequence[str] = (),
    tables: Sequence[Sequence[tuple[str, str]]] = (FIELD_ROWS,),
    header: str = "{{ structure }} — {{ date_export }}",
    logo: bool = False,
) -> bytes:
    """A .docx whose text holds docxtpl tags, with an optional logo image in the header."""
    doc = Document()
    head = doc.sections[0].header.paragraphs[0]
    if logo:
        head.add_run().add_picture(io.BytesIO(png(120, 40)), width=Cm(3))
    head.add_run(header)
    for text in paragraphs:
        doc.add_paragraph(text)
    for rows in tables:
        table = doc.add_table(rows=len(rows), cols=2)
        table.style = "Table Grid"
        for row, (left, right) in zip(table.rows, rows, strict=True):
            row.cells[0].text, row.cells[1].text = left, right
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def full_template(logo: bool = False) -> bytes:
    """What a structure would make: title, core fields by name, every field, referrals, old answers."""
    paragraphs = (
        "{{ titre }} du {{ bilan.date }}",
        "Jeune : {{ jeune.first_name }} {{ jeune.last_name }}",
        "Pourquoi : {{ bilan.why }}",
        "{{ obligation_formation }}",
        *OTHERS,
    )
    return template(paragraphs, (FIELD_ROWS, REFERRAL_ROWS), logo=logo)


def png(width: int, height: int) -> bytes:
    """A plain blue PNG standing in for a structure's logo."""
    rows = b"".join(b"\x00" + b"\x1f\x4e\x9a" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

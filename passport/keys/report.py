"""The collected table as staff use it: a CSV for spreadsheets, a Word and an HTML report.

The reports lay the table out like the seed's hand-made one (month, number of
people directed, which structures) and add the bar chart; the CSV has one column
per destination. Every text comes from structure names and numbers: nothing
personal is in the summaries, so nothing personal can be here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape

from docx import Document
from docx.shared import Cm

from passport.dates import MONTHS
from passport.keys import chart
from passport.keys.tally import NOT_GIVEN, Row, Table

TITLE = "Orientations vers une autre structure"
TABLE_TITLE = "Nombre de personnes dirigées vers une autre structure, par mois"
BY_STRUCTURE = ("Structure", "Personnes orientées", "dont structure principale")
COLUMNS = ("Mois", "Nombre de personnes dirigées vers une autre structure", "Quelles structures")
WHAT_COUNTS = (
    "Une personne est une clé : deux fiches bilan de la même clé le même mois comptent pour une personne.",
    "Une personne orientée deux mois différents compte dans chacun de ces mois.",
    "« Non indiqué » : la fiche dit que la personne a été orientée, sans dire vers quelle structure.",
    "Une structure ajoutée sur la clé compte comme « Autre structure » : son nom n'est pas relevé.",
    "Aucun nom, aucun texte libre, aucune date précise : seuls le mois et les structures sont relevés.",
)


@dataclass(frozen=True)
class Report:
    table: Table
    names: dict[str, str]  # structure id -> name; NOT_GIVEN -> "Non indiqué"
    destinations: list[str]  # structure ids met in the table, in directory order
    keys: int
    scope: tuple[str, ...]  # the filters, in words

    @property
    def legend(self) -> list[tuple[str, str]]:
        given = [(s, self.names[s]) for s in self.destinations]
        return [*given, (NOT_GIVEN, self.names[NOT_GIVEN])] if self.table.total.destinations[NOT_GIVEN] else given


def month_name(month: str) -> str:
    """``2015-01`` -> ``Janvier 2015``."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1].capitalize()} {year}"


def combinations(row: Row, names: dict[str, str]) -> list[str]:
    """``CAD et Mission Locale : 2 personnes``, the most frequent first."""
    ranked = sorted(row.combinations.items(), key=lambda item: (-item[1], -len(item[0]), item[0]))
    return [f"{_join([names[s] for s in combo] or [names[NOT_GIVEN]])} : {_people(n)}" for combo, n in ranked]


def seed_rows(report: Report) -> list[tuple[str, str, list[str]]]:
    """The rows of the seed-style table, total last."""
    rows = [(month_name(r.month), str(r.directed), combinations(r, report.names)) for r in report.table.rows]
    total = report.table.total
    notes = [f"dont {_people(total.several)} vers plusieurs structures", f"{_people(report.table.people)} en tout"]
    return [*rows, ("Total", str(total.directed), notes)]


def csv_bytes(report: Report) -> bytes:
    """Semicolons and a byte-order mark: what a French spreadsheet opens without asking."""
    mains = [s for s in report.destinations if report.table.total.mains[s]]
    header = [
        "Mois",
        "Personnes accueillies (fiche bilan)",
        "Personnes dirigées vers une autre structure",
        "Dirigées vers plusieurs structures",
        *(report.names[s] for s in report.destinations),
        report.names[NOT_GIVEN],
        *(f"Principale : {report.names[s]}" for s in mains),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in [*report.table.rows, report.table.total]:
        writer.writerow(
            [
                "Total" if row is report.table.total else row.month,
                row.received,
                row.directed,
                row.several,
                *(row.destinations[s] for s in report.destinations),
                row.destinations[NOT_GIVEN],
                *(row.mains[s] for s in mains),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def by_structure(report: Report) -> list[tuple[str, str, str]]:
    """Per destination: people directed there, and for how many it was the main one."""
    total = report.table.total
    return [(name, str(total.destinations[s]), str(total.mains[s]) if s else "—") for s, name in report.legend]


def docx_bytes(report: Report, drawing: chart.Drawing) -> bytes:
    doc = Document()
    now = datetime.now(UTC).replace(microsecond=0)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = TITLE, "build_key.py", "build_key.py"
    props.created = props.modified = now
    props.revision, props.language, props.comments = 1, "fr-FR", ""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # the template's default is US Letter
    section.left_margin = section.right_margin = Cm(2)
    doc.add_heading(TITLE, level=0)
    for line in _context(report):
        doc.add_paragraph(line)
    doc.add_heading(TABLE_TITLE, level=1)
    rows = [(m, n, "\n".join(lines)) for m, n, lines in seed_rows(report)]
    _docx_table(doc, list(COLUMNS), rows, widths=(4.0, 4.0, 9.0))
    doc.add_heading(chart.TITLE, level=1)
    doc.add_picture(io.BytesIO(chart.png(drawing)), width=Cm(17))
    doc.add_heading("Par structure", level=1)
    _docx_table(
        doc,
        ["Structure", "Personnes orientées", "dont structure principale"],
        by_structure(report),
        widths=(9.0, 4.0, 4.0),
    )
    doc.add_heading("Ce qui est compté", level=1)
    for line in WHAT_COUNTS:
        doc.add_paragraph(line, style="List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _docx_table(doc: Document, header: list[str], rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> None:
    """A table with fixed column widths (centimetres): Word reads them per cell, LibreOffice per column."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            lines = text.split("\n")
            cell.text = lines[0]
            for line in lines[1:]:
                cell.add_paragraph(line)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def html_text(report: Report, drawing: chart.Drawing) -> str:
    month_names = {row.month: month_name(row.month) for row in report.table.rows}
    body = "\n".join(
        (
            *(f"<p>{escape(line)}</p>" for line in _context(report)),
            _html_table(TABLE_TITLE, COLUMNS, [(m, n, lines) for m, n, lines in seed_rows(report)]),
            f"<h2>{escape(chart.TITLE)}</h2>",
            f"<figure>{chart.svg(drawing, report.names, month_names)}</figure>",
            _html_table(
                "Par structure",
                BY_STRUCTURE,
                [(name, n, [main]) for name, n, main in by_structure(report)],
            ),
            "<h2>Ce qui est compté</h2>",
            "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in WHAT_COUNTS) + "</ul>",
        )
    )
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(TITLE)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; color: #1a1a1a; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
caption {{ text-align: left; font-weight: bold; font-size: 1.2rem; margin-bottom: .5rem; }}
th, td {{ border: 1px solid #595959; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
td.nombre {{ text-align: right; }}
figure {{ margin: 1rem 0; overflow-x: auto; }}
svg.graphique {{ width: 100%; min-width: 36rem; height: auto; }}
</style>
</head>
<body>
<h1>{escape(TITLE)}</h1>
{body}
</body>
</html>
"""


def _html_table(caption: str, header: tuple[str, ...], rows: list[tuple[str, str, list[str]]]) -> str:
    head = "".join(f'<th scope="col">{escape(text)}</th>' for text in header)
    lines = [f"<table>\n<caption>{escape(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>"]
    for first, number, cells in rows:
        detail = "<br>".join(escape(line) for line in cells)
        lines.append(f'<tr><th scope="row">{escape(first)}</th><td class="nombre">{number}</td><td>{detail}</td></tr>')
    lines.append("</tbody>\n</table>")
    return "\n".join(lines)


def _context(report: Report) -> list[str]:
    lines = [
        f"Compté à partir de {_plural(report.keys, 'clé')} ayant au moins une fiche bilan.",
        *report.scope,
        f"Créé le {date.today():%d/%m/%Y} avec build_key.py collect, sans aucune donnée personnelle.",
    ]
    if report.table.undated:
        lines.append(f"{_plural(report.table.undated, 'fiche')} sans date lisible, non comptée(s).")
    return lines


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def _people(count: int) -> str:
    return _plural(count, "personne")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"

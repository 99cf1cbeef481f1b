"""The anonymous summary each key keeps, and the monthly table ``build_key.py collect`` makes of it.

The keys are real key folders filled through ``Passport.save_intake``; the expected
table is the CIO's hand-made one from the 2015 meeting report (../shared/reference),
with the structures' 2026 names.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document

from passport import forms, indicators, keyroot
from passport.faults import KeyWriteError
from passport.keyroot import KeyPaths
from passport.records import Passport, load_directory
from passport.store import OsFiles, Store

from support import raw_answers

REPOSITORY = Path(__file__).resolve().parent.parent
FORMS = forms.load()
NAMES = {s.id: s.name for s in load_directory()}

# The CIO's table, "Nombre de personnes dirigées vers une autre structure" / "Quelles structures":
# per month, (destinations, people). PE is France Travail, ML Mission Locale, FONGECIF
# Transitions Pro, "FRETA" the GRETA; () is "Non indiqué". "Entre le 3 et le 13 novembre" is November.
SEED = {
    "2015-01": [(("cad", "mission-locale"), 2), (("mission-locale",), 1)],
    "2015-02": [(("france-travail", "mission-locale", "cci", "afpa"), 1), (("mission-locale",), 1)],
    "2015-03": [(("cad", "point-a"), 1)],
    "2015-04": [(("mission-locale",), 1)],
    "2015-06": [(("mission-locale",), 1), (("cad", "mission-locale"), 1)],
    "2015-07": [((), 3)],
    "2015-10": [(("mission-locale",), 1)],
    "2015-11": [
        (("numero-vert", "transitions-pro"), 1),
        (("france-travail", "point-a", "greta-cfa", "afpa"), 1),
        (("transitions-pro", "greta-cfa", "afpa"), 1),
        (("france-travail", "cad", "mission-locale"), 1),
        (("transitions-pro", "greta-cfa"), 1),
    ],
}
# The same table as the report must print it, written out by hand.
SEED_TABLE = [
    ("Janvier 2015", "3", {"Mission Locale et CAD (Chambre de métiers) : 2 personnes", "Mission Locale : 1 personne"}),
    ("Février 2015", "2", {"Mission Locale, France Travail, CCI et Afpa : 1 personne", "Mission Locale : 1 personne"}),
    ("Mars 2015", "1", {"Point A (CCI) et CAD (Chambre de métiers) : 1 personne"}),
    ("Avril 2015", "1", {"Mission Locale : 1 personne"}),
    ("Juin 2015", "2", {"Mission Locale : 1 personne", "Mission Locale et CAD (Chambre de métiers) : 1 personne"}),
    ("Juillet 2015", "3", {"Non indiqué : 3 personnes"}),
    ("Octobre 2015", "1", {"Mission Locale : 1 personne"}),
    (
        "Novembre 2015",
        "5",
        {
            "Transitions Pro et Numéro vert régional : 1 personne",
            "France Travail, Point A (CCI), GRETA-CFA et Afpa : 1 personne",
            "Transitions Pro, GRETA-CFA et Afpa : 1 personne",
            "Mission Locale, France Travail et CAD (Chambre de métiers) : 1 personne",
            "Transitions Pro et GRETA-CFA : 1 personne",
        },
    ),
]


def intake(day: str, destinations: tuple[str, ...] = (), marker: str = "Maëlys", structure: str = "cio", **more):
    """Every field answered (texts carry ``marker``), then the date and referral under test."""
    raw = raw_answers(FORMS.intake, marker)
    raw.update(date=[day], structure=[structure], referrals=list(destinations))
    raw["referrals__main"] = list(destinations[-1:])
    raw["directed"] = ["on"]
    raw.update(more)
    return raw


def make_key(root: Path, *sheets: dict) -> Passport:
    key = KeyPaths(root)
    keyroot.prepare(key)
    passport = Passport(Store(key.data), FORMS, load_directory())
    for raw in sheets:
        passport.save_intake(raw)
    return passport


@pytest.fixture(scope="module")
def seed_keys(tmp_path_factory) -> Path:
    """One key per person of the seed's table, plus keys that the CIO filter or the period leave out."""
    folder = tmp_path_factory.mktemp("keys")
    number = 0
    for month, people in SEED.items():
        for destinations, count in people:
            for _ in range(count):
                number += 1
                make_key(folder / f"cle-{number:02}", intake(f"{month}-1{number % 10}", destinations, f"Zoé{number}"))
    # The same young person also seen at the Mission Locale that month: not a CIO sheet.
    make_key(
        folder / "cle-ml",
        intake("2015-01-20", ("cad",), "Inès", "mission-locale"),
        intake("2015-04-02", (), "Inès", directed=[]),  # received by the CIO, directed nowhere
        intake("2016-02-03", ("mission-locale",), "Inès"),  # after the period asked for
    )
    keyroot.prepare(KeyPaths(folder / "cle-vide"))  # prepared, never used
    return folder


def collect(*args: str | Path, cwd: Path = REPOSITORY) -> subprocess.CompletedProcess:
    """The staff's real command line, run from the repository."""
    command = [sys.executable, str(REPOSITORY / "build_key.py"), "collect", *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def read_csv(folder: Path) -> list[dict[str, str]]:
    raw = (folder / "indicateurs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # French spreadsheets need the mark to read UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def docx_table(folder: Path) -> list[tuple[str, str, set[str]]]:
    doc = Document(str(folder / "indicateurs.docx"))
    rows = doc.tables[0].rows
    assert [c.text for c in rows[0].cells] == [
        "Mois",
        "Nombre de personnes dirigées vers une autre structure",
        "Quelles structures",
    ]
    return [(r.cells[0].text, r.cells[1].text, set(r.cells[2].text.split("\n"))) for r in rows[1:]]


class _Tables(HTMLParser):
    """Rows of each <table>, a cell's <br> read as a line break; and the SVG bars."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.bars: list[dict[str, str]] = []
        self.svg = 0
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")
        elif tag == "svg":
            self.svg += 1
        elif tag == "rect" and "data-valeur" in attributes:
            self.bars.append(attributes)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def html_report(folder: Path) -> _Tables:
    parser = _Tables()
    parser.feed((folder / "indicateurs.html").read_text(encoding="utf-8"))
    return parser


def html_table(folder: Path) -> list[tuple[str, str, set[str]]]:
    rows = html_report(folder).tables[0]
    assert rows[0] == ["Mois", "Nombre de personnes dirigées vers une autre structure", "Quelles structures"]
    return [(month, number, set(detail.split("\n"))) for month, number, detail in rows[1:]]


def seed_counts() -> dict[str, Counter]:
    """Per month, people per destination ("" for not given), from the seed transcription."""
    counts: dict[str, Counter] = {}
    for month, people in SEED.items():
        counter = counts.setdefault(month, Counter())
        for destinations, count in people:
            for structure in destinations or ("",):
                counter[structure] += count
    return counts


# The acceptance: the seed's table, from keys ------------------------------------------------


def test_keys_reproduce_the_seed_table_in_the_csv_word_and_html(seed_keys, tmp_path):
    out = tmp_path / "rapport"
    done = collect(seed_keys, "--structure", "CIO", "--depuis", "2015-01", "--jusqu-a", "2015-12", "--sortie", out)
    assert done.returncode == 0, done.stderr
    assert "1 clé(s) sans fiche bilan" in done.stdout
    assert "Compté : 18 personne(s) orientée(s) sur 8 mois" in done.stdout

    for table in (docx_table(out), html_table(out)):
        assert table[:-1] == SEED_TABLE
        total = table[-1]
        assert total[:2] == ("Total", "18")
        assert "dont 10 personnes vers plusieurs structures" in total[2]

    rows = read_csv(out)
    assert [row["Mois"] for row in rows] == [*SEED, "Total"]
    for row, (month, counts) in zip(rows, seed_counts().items(), strict=False):
        people = SEED[month]
        assert int(row["Personnes dirigées vers une autre structure"]) == sum(n for _, n in people), month
        assert int(row["Dirigées vers plusieurs structures"]) == sum(n for d, n in people if len(d) > 1), month
        assert int(row["Non indiqué"]) == counts[""], month
        for structure_id, name in NAMES.items():
            assert int(row.get(name) or 0) == counts[structure_id], (month, name)
    april = rows[3]
    assert (april["Mois"], april["Personnes accueillies (fiche bilan)"]) == (
        "2015-04",
        "2",
    )  # the sheet directed nowhere
    total = rows[-1]
    assert total["Personnes dirigées vers une autre structure"] == "18"
    assert total["Mission Locale"] == str(sum(c["mission-locale"] for c in seed_counts().values()))
    assert total["Principale : Mission Locale"] == str(sum(c.get("mission-locale", 0) for c in _mains().values()))


def _mains() -> dict[str, Counter]:
    """The main structure of each seed sheet: ``intake()`` marks the last destination as main."""
    mains: dict[str, Counter] = {}
    for month, people in SEED.items():
        for destinations, count in people:
            if destinations:
                mains.setdefault(month, Counter())[destinations[-1]] += count
    return mains


def test_filters_choose_the_structure_and_the_period(seed_keys, tmp_path):
    everything, mission_locale = tmp_path / "tout", tmp_path / "ml"
    assert collect(seed_keys, "--sortie", everything).returncode == 0
    assert collect(seed_keys, "--structure", "mission-locale", "--sortie", mission_locale).returncode == 0
    months = {row["Mois"]: row for row in read_csv(everything)}
    # The Mission Locale sheet of January joins the CIO's; the 2016 sheet is there without a period.
    assert months["2015-01"]["Personnes dirigées vers une autre structure"] == "4"
    assert months["2016-02"]["Mission Locale"] == "1"
    assert [row["Mois"] for row in read_csv(mission_locale)] == ["2015-01", "Total"]
    assert docx_table(mission_locale)[0] == ("Janvier 2015", "1", {"CAD (Chambre de métiers) : 1 personne"})


# Each key counted once ------------------------------------------------------------------------


def test_a_key_collected_twice_or_with_a_copy_of_its_summary_counts_once(tmp_path):
    passport = make_key(tmp_path / "cle", intake("2015-03-04", ("cad",)))
    copies = tmp_path / "copies"
    copies.mkdir()
    summary = tmp_path / "cle" / "Data" / indicators.FILE_NAME
    shutil.copy(summary, copies / "cle-mars.json")
    sheet = passport.intakes()[0].id
    passport.save_intake(intake("2015-03-04", ("cad", "mission-locale")), sheet)  # edited after the copy
    shutil.copy(summary, copies / "cle-avril.json")

    out = tmp_path / "rapport"
    done = collect(tmp_path / "cle", tmp_path / "cle", copies, summary, "--sortie", out)
    assert done.returncode == 0, done.stderr
    assert "Lu : 5 résumé(s), 1 clé(s) différente(s), 4 en double compté(s) une seule fois" in done.stdout
    assert docx_table(out)[0] == ("Mars 2015", "1", {"Mission Locale et CAD (Chambre de métiers) : 1 personne"})


def test_editing_a_sheet_replaces_its_record_and_keeps_the_key_id(tmp_path):
    passport = make_key(tmp_path / "cle", intake("2015-01-10", ("cad",)))
    path = tmp_path / "cle" / "Data" / indicators.FILE_NAME
    before = indicators.decode(path.read_bytes())
    sheet = passport.intakes()[0].id
    passport.save_intake(intake("2015-02-10", ("mission-locale",)), sheet)
    passport.save_intake(intake("2015-02-11", ()))
    after = indicators.decode(path.read_bytes())
    assert after.key == before.key and after.revision > before.revision
    assert len(after.sheets) == 2
    months = sorted((s.month, s.destinations, s.directed) for s in after.sheets.values())
    assert months == [("2015-02", (), True), ("2015-02", ("mission-locale",), True)]
    assert not list(path.parent.glob("*.tmp"))


def test_two_keys_get_different_ids(tmp_path):
    for name in ("a", "b"):
        make_key(tmp_path / name, intake("2015-01-10", ("cad",)))
    keys = {indicators.decode((tmp_path / n / "Data" / indicators.FILE_NAME).read_bytes()).key for n in "ab"}
    assert len(keys) == 2


# Nothing personal in the summary --------------------------------------------------------------


def personal_values(raw: dict[str, list[str]]) -> list[str]:
    """Every value a person typed or chose about themselves, and the forms a date takes."""
    values = [v for spec in FORMS.intake.fields() if spec.type in ("text", "longtext") for v in raw[spec.key]]
    values += raw["situation"] + raw["obstacles"]
    birth = raw["birth_date"][0]  # 2009-03-14
    values += [birth, "14/03/2009", birth[:7], "2009"]
    day = raw["date"][0]
    values += [day, day[-2:] + "/" + day[5:7]]  # the intake's day never leaves the data file
    return values


def test_the_summary_holds_none_of_the_personal_values(tmp_path):
    raw = intake("2026-11-29", ("cad", "mission-locale"), "Maëlys Zébulon-Ørsted")
    raw.update(first_name=["Maëlys"], last_name=["Zébulon-Ørsted"], solution=["Apprentissage en boulangerie"])
    passport = make_key(tmp_path / "cle", raw)
    passport.save_intake(raw, passport.intakes()[0].id)
    data = (tmp_path / "cle" / "Data" / indicators.FILE_NAME).read_bytes()
    summary = indicators.decode(data)
    assert [(s.month, s.origin, s.destinations, s.main) for s in summary.sheets.values()] == [
        ("2026-11", "cio", ("cad", "mission-locale"), "mission-locale")
    ]
    values = personal_values(raw)
    assert len(values) > 20
    for value in values:
        for encoded in (
            value.encode("utf-8"),
            value.encode("utf-16-le"),
            value.encode("utf-16-be"),
            json.dumps(value)[1:-1].encode(),
        ):
            assert encoded not in data, value


def test_a_structure_added_on_the_key_is_counted_without_its_name(tmp_path):
    passport = make_key(tmp_path / "cle")
    local = passport.add_structure({"name": ["Garage Dupont-Léonard"]})
    passport.save_intake(intake("2015-05-05", (local, "cad"), structure=local))
    data = (tmp_path / "cle" / "Data" / indicators.FILE_NAME).read_bytes()
    assert b"Dupont" not in data and local.encode() not in data
    sheet = next(iter(indicators.decode(data).sheets.values()))
    assert (sheet.origin, sheet.destinations) == (indicators.OTHER, (indicators.OTHER, "cad"))


# A full, pulled or damaged key ---------------------------------------------------------------


class SummaryFails(OsFiles):
    """The key fills up, or is pulled out, while the summary is written; the data still fits."""

    def __init__(self, at: str) -> None:
        self.at = at
        self.failing = False

    def replace_durably(self, path: Path, data: bytes) -> None:
        if not self.failing:
            return super().replace_durably(path, data)
        if self.at == "write":
            raise OSError(28, "No space left on device")
        path.with_name(path.name + ".tmp").write_bytes(data[: len(data) // 2])  # torn, never renamed
        raise OSError(5, "Input/output error")


@pytest.mark.parametrize("at", ["write", "replace"])
def test_a_failed_summary_write_keeps_the_sheet_and_the_old_summary_then_catches_up(tmp_path, at):
    data_dir = tmp_path / "Data"
    data_dir.mkdir()
    files = SummaryFails(at)
    passport = Passport(Store(data_dir, files), FORMS, load_directory())
    passport.save_intake(intake("2015-01-10", ("cad",)))
    old = (data_dir / indicators.FILE_NAME).read_bytes()
    files.failing = True
    passport.save_intake(intake("2015-02-10", ("mission-locale",)))  # no error: the sheet is saved
    assert len(passport.intakes()) == 2
    assert (data_dir / indicators.FILE_NAME).read_bytes() == old
    files.failing = False
    Passport(Store(data_dir), FORMS, load_directory()).refresh_indicators()  # the next start
    assert len(indicators.decode((data_dir / indicators.FILE_NAME).read_bytes()).sheets) == 2
    assert sorted(path.name for path in data_dir.iterdir()) == [
        "indicateurs.json",
        "passport-1.json",
        "passport-2.json",
        "passport.lock",
    ]


@pytest.mark.parametrize("damage", ["missing", "torn"])
def test_the_app_rewrites_a_missing_or_torn_summary_when_it_starts(tmp_path, damage):
    from passport.web import create_app

    make_key(tmp_path / "cle", intake("2015-01-10", ("cad",)))
    summary = tmp_path / "cle" / "Data" / indicators.FILE_NAME
    if damage == "missing":
        summary.unlink()
    else:
        summary.write_bytes(summary.read_bytes()[:50])
    create_app(KeyPaths(tmp_path / "cle"))
    assert len(indicators.decode(summary.read_bytes()).sheets) == 1


def test_a_full_key_still_raises_when_the_sheet_itself_cannot_be_saved(tmp_path):
    class Full(OsFiles):
        def write_durably(self, path: Path, data: bytes) -> None:
            raise OSError(28, "No space left on device")

    passport = Passport(Store(tmp_path, Full()), FORMS, load_directory())
    with pytest.raises(KeyWriteError):
        passport.save_intake(intake("2015-01-10", ("cad",)))


def test_a_damaged_summary_is_reported_and_the_others_still_count(tmp_path):
    make_key(tmp_path / "keys" / "a", intake("2015-01-10", ("cad",)))
    make_key(tmp_path / "keys" / "b", intake("2015-01-11", ("cad",)))
    damaged = tmp_path / "keys" / "b" / "Data" / indicators.FILE_NAME
    damaged.write_bytes(damaged.read_bytes()[:40])
    (tmp_path / "keys" / "notes.json").write_text('{"autre": "chose"}')  # not a summary: passed over
    done = collect(tmp_path / "keys", "--sortie", tmp_path / "out")
    assert done.returncode == 0
    assert f"Attention : {damaged} : ce fichier n'est pas un résumé d'indicateurs lisible" in done.stderr
    assert "notes.json" not in done.stderr
    assert docx_table(tmp_path / "out")[0][:2] == ("Janvier 2015", "1")


# The command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--depuis", "2015-13"], "« 2015-13 » n'est pas un mois : écrivez-le comme ceci : 2015-01"),
        (["--depuis", "2015-06", "--jusqu-a", "2015-01"], "--depuis 2015-06 est après --jusqu-a 2015-01"),
        (["--structure", "Boulangerie"], "structure inconnue : « Boulangerie »"),
        (["--inconnue"], "option inconnue : --inconnue"),
        ([], "indiquez au moins une clé"),
        (["nulle-part"], "introuvable : nulle-part"),
        (["vide"], "aucun résumé d'indicateurs trouvé"),
    ],
)
def test_bad_input_gets_a_french_message_and_nothing_is_written(tmp_path, monkeypatch, capsys, args, message):
    from passport.keys.collect import main

    keyroot.prepare(KeyPaths(tmp_path / "vide"))
    make_key(tmp_path / "cle", intake("2015-01-10", ("cad",)))
    monkeypatch.chdir(tmp_path)
    paths = args if args in ([], ["nulle-part"], ["vide"]) else ["cle", *args]
    try:
        code = main([*paths, "--sortie", str(tmp_path / "out")])
    except SystemExit as stopped:  # argparse's own checks
        code = stopped.code
    assert code != 0
    error = capsys.readouterr().err
    assert "Erreur : " in error and message in error
    assert not (tmp_path / "out").exists()


def test_help_is_in_french(tmp_path):
    done = collect("--aide")
    assert done.returncode == 0
    assert "Utilisation : build_key.py collect" in done.stdout
    assert "--jusqu-a AAAA-MM" in done.stdout and "usage" not in done.stdout
    top = subprocess.run([sys.executable, "build_key.py", "--aide"], cwd=REPOSITORY, capture_output=True, text=True)
    assert "collect" in top.stdout and top.returncode == 0


def test_collect_plugs_into_a_command_line_of_subcommands(tmp_path):
    import argparse

    from passport.keys import collect as command

    make_key(tmp_path / "cle", intake("2015-01-10", ("cad",)))
    top = argparse.ArgumentParser(prog="build_key.py")
    command.add_to(top.add_subparsers())
    args = top.parse_args(["collect", str(tmp_path / "cle"), "--depuis", "2015-01", "--sortie", str(tmp_path / "out")])
    assert args.run(args) == 0
    assert [row["Mois"] for row in read_csv(tmp_path / "out")] == ["2015-01", "Total"]


# The chart ----------------------------------------------------------------------------------


def png_size_and_colours(data: bytes) -> tuple[tuple[int, int], set[str]]:
    """Read our palette PNG back: its size and the colours its pixels use."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8].decode()
        chunks[kind] = chunks.get(kind, b"") + data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks["IHDR"][:10])
    assert (depth, colour_type) == (8, 3)
    pixels = zlib.decompress(chunks["IDAT"])
    used = {pixels[row * (width + 1) + 1 + column] for row in range(height) for column in range(0, width, 2)}
    palette = chunks["PLTE"]
    return (width, height), {"#" + palette[3 * i : 3 * i + 3].hex() for i in used}


def test_the_chart_is_in_the_word_file_and_the_html(seed_keys, tmp_path):
    from passport.keys import chart

    out = tmp_path / "rapport"
    assert collect(seed_keys, "--structure", "cio", "--jusqu-a", "2015-12", "--sortie", out).returncode == 0
    doc = Document(str(out / "indicateurs.docx"))
    assert len(doc.inline_shapes) == 1
    image = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    png = doc.part.related_parts[image].blob
    (width, height), used = png_size_and_colours(png)
    assert width > 1000 and height > 400
    # Nine destinations and "non indiqué", each a colour of its own in the bars and the legend.
    assert len(used & set(chart.PALETTE)) == 9 and chart.NOT_GIVEN_COLOUR in used

    report = html_report(out)
    assert report.svg == 1
    bars = {(bar["data-mois"], bar["data-structure"]): int(bar["data-valeur"]) for bar in report.bars}
    expected = {
        (month, structure): people for month, counts in seed_counts().items() for structure, people in counts.items()
    }
    assert bars == expected


@pytest.mark.slow
def test_libreoffice_opens_the_word_report(seed_keys, tmp_path):
    from test_libreoffice import to_text

    from support import need

    need("pdfimages")
    out = tmp_path / "rapport"
    assert collect(seed_keys, "--structure", "cio", "--jusqu-a", "2015-12", "--sortie", out).returncode == 0
    text = " ".join(to_text([out / "indicateurs.docx"], tmp_path)["indicateurs"].split())
    months = [month for month, _, _ in SEED_TABLE]
    assert all(month in text for month in months)
    for _, _, lines in SEED_TABLE:
        assert all(line in text for line in lines)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "indicateurs.pdf")], capture_output=True, text=True)
    assert len(images.stdout.strip().splitlines()) == 3  # two header lines, one image


@pytest.mark.slow
def test_a_real_fat_key_keeps_its_summary_and_is_collected(tmp_path):
    from support import fat_image, need_root

    need_root()
    with fat_image(tmp_path) as mount:
        # One save only: fusefat refuses to truncate a file of several clusters, which the
        # data file's slots do on their third write (the summary is replaced, never truncated).
        make_key(mount, intake("2015-01-10", ("cad", "mission-locale")))
        names = sorted(path.name for path in (mount / "Data").iterdir())
        assert indicators.FILE_NAME in names and not [name for name in names if name.endswith(".tmp")]
        done = collect(mount, "--sortie", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert docx_table(tmp_path / "out")[0] == (
        "Janvier 2015",
        "1",
        {"Mission Locale et CAD (Chambre de métiers) : 1 personne"},
    )

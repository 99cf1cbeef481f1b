"""Hostile text typed into every text field of every form stays plain text everywhere it goes.

Each round fills a passport through its pages with the corpus (every text field of every
form from ``passport.forms.load()``, rotating so that each field gets every piece), and a
twin passport with plain words. Every page and every Word export of the two must have
the same structure (same tags, attributes, fields and links), and each hostile text must
read back verbatim: shown, not run.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn

from passport import export, forms
from passport.forms import Form
from passport.keyroot import KeyPaths
from passport.text import clean, slug
from passport.web import create_app

from conftest import LAUNCH_SECRET, Client
from support import need, page_urls, raw_answers

CORPUS = (
    "../..\\Data/CON <script>alert('passeport')</script>",
    '<img src=x onerror="alert(1)">',
    '" autofocus onfocus="alert(1)" x="',
    "' onmouseover='alert(1)' data-x='",
    "javascript:alert(document.cookie)",
    "</textarea></title><script>alert(1)</script>",
    "{{ 7 * 7 }} {{ config.SECRET_KEY }}",
    "{% for x in range(3) %}boucle{% endfor %}",
    "{# commentaire #} ${7*7} #{7*7}",
    '{ DDEAUTO c:\\\\Windows\\\\System32\\\\cmd.exe "/k calc.exe" }',
    '{ HYPERLINK "http://evil.example" }',
    '{ INCLUDEPICTURE "http://evil.example/x.png" \\d }',
    "../../Data/passport-1.json",
    "..\\..\\..\\Windows\\win.ini NUL",
    "<![CDATA[ ]]> & &amp; &lt; <!-- -->",
    '=HYPERLINK("http://evil.example") @SUM(1)',
    "Ligne 1\nLigne 2\t<b>gras</b>",
)
LIMIT = 160  # leaves room for the field tag within a one-line field's 200 characters


def pieces() -> list[str]:
    """The corpus in groups that fit a one-line field."""
    groups, current = [], ""
    for payload in CORPUS:
        if current and len(current) + 1 + len(payload) > LIMIT:
            groups.append(current)
            current = payload
        else:
            current = f"{current} {payload}" if current else payload
    return [*groups, current]


ROUNDS = len(pieces())
NEW = {"profile": "/profil", "structure": "/structures/", "step": "/demarches/nouvelle", "intake": "/bilans/nouveau"}
TEXT = ("text", "longtext")
DANGEROUS = ("fldSimple", "fldChar", "instrText", "hyperlink", "object", "altChunk", "attachedTemplate", "script")


@dataclasses.dataclass
class Filled:
    """A passport filled through its pages, and the text each field was given."""

    client: Client
    app: object
    values: dict[str, dict[str, str]]  # form name -> field key -> text as stored
    error_pages: dict[str, str]
    exports: dict[str, bytes]


def fill(client: Client, app, text_for: Callable[[str, str, int], str]) -> Filled:
    form_set = forms.load()
    assert set(NEW) == {f.name for f in dataclasses.fields(form_set)}, "a new form: say where it is filled"
    counter = iter(range(10_000))
    values: dict[str, dict[str, str]] = {}
    error_pages: dict[str, str] = {}
    structures = ("cio", "mission-locale")
    for name in ("structure", *(n for n in NEW if n != "structure")):
        form: Form = getattr(form_set, name)
        raw = raw_answers(form, "", structures)
        for spec in form.fields():
            if spec.type in TEXT:
                raw[spec.key] = [text_for(name, spec.key, next(counter))]
        values[name] = {s.key: clean(raw[s.key][0]) for s in form.fields() if s.type in TEXT}
        error_pages[name] = page(client.post(NEW[name], data=_blank_one_required(form, raw)), 400)
        assert client.post(NEW[name], data=raw).status_code == 302, name
        if name == "structure":
            (local,) = [s for s in app.extensions["passport"].directory() if s.local]
            structures = (local.id, "cio")
    exports = {}
    for kind in ("suivi", "bilan", "dossier"):
        assert client.post(f"/documents/{kind}").status_code == 302
        (made,) = [p for p in app.config["KEY"].exports.iterdir() if p.name.startswith(kind + "-")]
        exports[kind] = made.read_bytes()
    page(client.get("/documents/"))  # shows, and so clears, the pending messages
    return Filled(client, app, values, error_pages, exports)


def _blank_one_required(form: Form, raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """The same input with one required text left empty: the form comes back with the rest."""
    required = next(spec.key for spec in form.fields() if spec.required and spec.type in TEXT)
    return {**raw, required: [""]}


def page(response, status: int = 200) -> str:
    assert response.status_code == status, response.request.path
    return response.get_data(as_text=True)


def all_pages(filled: Filled) -> dict[str, str]:
    """Every HTML page of the filled passport, by address, and the forms shown again with errors."""
    export_name = sorted(p.name for p in filled.app.config["KEY"].exports.iterdir())[0]
    values = {"step_id": 1, "intake_id": 1, "name": export_name, "filename": "style.css"}
    skipped = ("/static/", "/documents/fichier/", "/instance", "/battement")  # not pages: files, launcher JSON
    urls = [u for u in page_urls(filled.app, values) if not u.startswith(skipped)]
    pages = {url: page(filled.client.get(url)) for url in urls}
    with filled.client.session_transaction() as session:
        session["ready"] = CORPUS[0]
    pages["/documents/ (prêt)"] = page(filled.client.get("/documents/"))
    return {**pages, **{f"{name} (erreur)": html for name, html in filled.error_pages.items()}}


class Skeleton(HTMLParser):
    """A page's structure: its tags and attribute names, and the strings it shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shape: list[tuple] = []
        self.strings: list[str] = []
        self.hazards: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.shape.append((tag, tuple(sorted(name for name, _ in attrs))))
        for name, value in attrs:
            self.strings.append(value or "")
            if name.startswith("on") or (name in ("href", "src", "action") and _scheme_is_script(value or "")):
                self.hazards.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag):
        self.shape.append(("/" + tag,))

    def handle_data(self, data):
        self.strings.append(data)


def _scheme_is_script(url: str) -> bool:
    return re.sub(r"[\s\x00-\x1f]", "", url).lower().startswith(("javascript:", "vbscript:", "data:text"))


def parse(html: str) -> Skeleton:
    parser = Skeleton()
    parser.feed(html)
    parser.close()
    return parser


def tagged(piece: str) -> Callable[[str, str, int], str]:
    return lambda form, key, i: f"{piece} ¤{form}.{key}"


def hostile(round_: int) -> Callable[[str, str, int], str]:
    groups = pieces()
    return lambda form, key, i: f"{groups[(i + round_) % len(groups)]} ¤{form}.{key}"


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Filled:
    """The twin passport, filled with plain words: what every page and export should look like."""
    app = create_app(KeyPaths(tmp_path_factory.mktemp("twin") / "KEY"), port=5000, secret=LAUNCH_SECRET)
    app.config["TESTING"] = True
    app.test_client_class = Client
    return fill(app.test_client(), app, tagged("texte ordinaire"))


def test_every_field_gets_every_piece_of_the_corpus_over_the_rounds():
    seen = collections.defaultdict(set)
    for round_ in range(ROUNDS):
        text_for = hostile(round_)
        for i in range(20):
            seen[i].add(text_for("f", "k", i).split(" ¤")[0])
    assert all(set(pieces()) == got for got in seen.values())
    assert all(len(p) <= LIMIT for p in pieces())
    assert all(any(payload in piece for piece in pieces()) for payload in CORPUS)


def assert_inert_in_pages(hostile_passport: Filled, plain_passport: Filled) -> None:
    hostile_pages, plain_pages = all_pages(hostile_passport), all_pages(plain_passport)
    assert hostile_pages.keys() == plain_pages.keys() and len(hostile_pages) >= 14
    shown = []
    for url, html in hostile_pages.items():
        parsed = parse(html)
        assert parsed.shape == parse(plain_pages[url]).shape, f"{url}: the text changed the page's structure"
        assert parsed.hazards == [], url
        shown += parsed.strings
    everything = "\n".join(shown)
    for form_name, fields in hostile_passport.values.items():
        for key, value in fields.items():
            assert value in everything, f"{form_name}.{key} is not shown verbatim anywhere"


def docx_text(data: bytes) -> str:
    """Everything a reader sees in a Word document, read back with python-docx."""
    doc = Document(io.BytesIO(data))
    props = doc.core_properties
    texts = [props.title or "", props.author or "", props.subject or "", props.keywords or "", props.comments or ""]

    def paragraphs(container) -> Iterator[str]:
        for paragraph in container.paragraphs:
            yield paragraph.text
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    yield from paragraphs(cell)

    texts += paragraphs(doc)
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header, section.even_page_header):
            texts += paragraphs(part)
    return "\n".join(texts)


def docx_hazards(data: bytes) -> collections.Counter:
    """Fields, links, embedded objects and outside references anywhere in the package."""
    found: collections.Counter = collections.Counter()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            xml = package.read(name).decode("utf-8", "replace")
            for tag in DANGEROUS:
                found[tag] += len(re.findall(rf"<\w+:{tag}\b", xml))
            found["external"] += xml.count('TargetMode="External"')
    return found


EXPORTED = {"suivi": ("profile", "step"), "bilan": ("profile", "intake"), "dossier": ("profile", "step", "intake")}


def assert_inert_in_exports(hostile_passport: Filled, plain_passport: Filled) -> None:
    assert hostile_passport.exports.keys() == plain_passport.exports.keys() == EXPORTED.keys()
    for kind, data in hostile_passport.exports.items():
        assert docx_hazards(data) == docx_hazards(plain_passport.exports[kind]), kind
        text = docx_text(data)
        expected = [v for form in EXPORTED[kind] for v in hostile_passport.values[form].values()]
        expected.append(hostile_passport.values["structure"]["name"])
        for value in expected:
            assert value in text, f"{kind}: {value!r} not read back verbatim"


@pytest.mark.parametrize("round_", range(ROUNDS), ids=lambda r: f"round{r}")
def test_the_corpus_is_inert_in_every_page_and_every_export(client, app, plain, round_):
    hostile_passport = fill(client, app, hostile(round_))
    assert_inert_in_pages(hostile_passport, plain)
    assert_inert_in_exports(hostile_passport, plain)


def test_export_file_names_made_from_the_corpus_are_plain(client, app):
    fill(client, app, hostile(0))
    names = [p.name for p in app.config["KEY"].exports.iterdir()]
    assert len(names) == 3
    for name in names:
        assert re.fullmatch(r"(suivi|bilan|dossier)-[a-z0-9]+(-[a-z0-9]+)*-\d{4}-\d{2}-\d{2}\.docx", name), name
        assert client.get(f"/documents/fichier/{name}").status_code == 200


def libreoffice_text(document: Path, workdir: Path) -> str:
    """The document as LibreOffice Writer reads it, saved as plain text."""
    profile = (workdir / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "txt:Text (encoded):UTF8",
         "--outdir", str(workdir), str(document)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return (workdir / f"{document.stem}.txt").read_text(encoding="utf-8-sig")


@pytest.mark.slow
def test_libreoffice_reads_the_corpus_as_plain_text(client, app, tmp_path):
    """A real consumer: field codes and markup come out as the very characters typed."""
    need("soffice")
    filled = fill(client, app, hostile(2))  # the round that puts the Word field codes in the first fields
    document = tmp_path / "dossier.docx"
    document.write_bytes(filled.exports["dossier"])
    text = libreoffice_text(document, tmp_path)
    values = [v for form in EXPORTED["dossier"] for v in filled.values[form].values()]
    assert any("DDEAUTO" in v for v in values)
    for value in values:
        assert value in text, value


def test_the_word_checker_sees_fields_links_and_outside_references():
    doc = Document()
    paragraph = doc.add_paragraph("page ")
    field = paragraph._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): "PAGE"})
    paragraph._p.append(field)
    doc.part.relate_to("http://evil.example/", RT.HYPERLINK, is_external=True)
    buffer = io.BytesIO()
    doc.save(buffer)
    found = docx_hazards(buffer.getvalue())
    assert found["fldSimple"] == 1 and found["external"] == 1


SLUG_CORPUS = [
    "../../Data/passport-1.json",
    "..\\..\\Windows\\win.ini",
    "/etc/passwd",
    "C:\\Users\\Public",
    "．．／．．／etc",  # fullwidth dots and slash
    "CON",
    "con",
    "Nul",
    "PRN",
    "aux",
    "COM1",
    "lpt9",
    "COM¹",
    "CON.txt",
    "",
    "...",
    " ",
    "<script>",
    "Léa-Maëlys Ñoño",
    "x" * 300,
    "\x00\x1f",
    "😀",
]
RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}


@pytest.mark.parametrize("value", SLUG_CORPUS)
def test_a_name_part_made_from_any_text_is_a_plain_file_name(value, tmp_path):
    part = slug(value, "passeport")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", part)
    assert part not in RESERVED and len(part) <= 50
    name = f"suivi-{part}-2026-11-29.docx"
    saved = export.save_copy(tmp_path / "Exports", name, b"docx")
    assert saved.parent == tmp_path / "Exports" and saved.name == name


@pytest.mark.parametrize(
    "path",
    [
        "/documents/fichier/..%2FData%2Fpassport-1.json",
        "/documents/fichier/../Data/passport-1.json",
        "/documents/fichier/..%5CData%5Cpassport-1.json",
        "/documents/fichier/%2E%2E",
        "/documents/fichier/passport-1.json",
        "/documents/fichier/CON",
        "/documents/fichier/%2Fetc%2Fpasswd",
        "/documents/fichier/..",
        "/documents/fichier/suivi.docx%00.json",
    ],
)
def test_the_download_route_serves_nothing_but_an_export(client, key, path):
    client.post("/profil", data={"first_name": "Léa"})
    client.post("/documents/suivi")
    (key.data / "passport-1.json").write_text("secret data")
    response = client.get(path)
    assert response.status_code == 404
    assert b"secret data" not in response.data

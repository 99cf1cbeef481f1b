"""A structure's own form: each kind of mistake is told in French, with its line; the core stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from passport import forms, keyform
from passport.formfile import FormFileError, parse_structure, read_structure

from form_support import CIO, EXAMPLES, MISSION_LOCALE

DEFAULT = forms.load()
TOWN, REFERRALS, STATUS = 'key = "town"', 'key = "referrals"', 'key = "status"'


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    """The line (from 1) of the ``occurrence``-th line (not a comment) containing ``needle``."""
    lines = enumerate(text.splitlines(), 1)
    found = [number for number, line in lines if needle in line and not line.lstrip().startswith("#")]
    return found[occurrence]


def problems(text: str) -> list[str]:
    with pytest.raises(FormFileError) as caught:
        parse_structure(text, "formulaire.toml", DEFAULT)
    return [str(p) for p in caught.value.problems]


def only(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def add_field(text: str, block: str) -> str:
    """Append a field block to the last intake section, as staff would paste one."""
    return text.rstrip("\n") + "\n\n[[intake.sections.fields]]\n" + block.strip("\n") + "\n"


def test_examples_are_valid_and_adapt_the_default():
    cio = parse_structure(CIO, "formulaire-cio.toml", DEFAULT)
    assert cio.intake.title == "Fiche bilan de l'accueil au CIO"
    assert cio.step == DEFAULT.step  # the CIO only adapts the intake sheet
    labels = {f.key: f.label for f in cio.intake.fields()}
    assert labels["why"] == "Pourquoi cette proposition"  # a core field relabelled
    assert labels["reason"] == "Pourquoi tu viens au CIO"  # a field of its own
    assert "occasion" not in labels  # a field it does not use
    assert [s.title for s in cio.intake.sections][:2] == ["L'entretien", "Toi"]
    ml = parse_structure(MISSION_LOCALE, "formulaire-mission-locale.toml", DEFAULT)
    assert [f.key for f in ml.step.fields()][:6] == ["date", "action", "kind", "structure", "status", "documents"]
    assert next(f for f in ml.intake.fields() if f.key == "driving_licence").default == "Aucun"
    assert ml.profile == DEFAULT.profile and ml.structure == DEFAULT.structure


def test_reordering_sections_and_fields_is_the_file_order():
    text = CIO.replace('title = "Toi"', 'title = "Toi d\'abord"')
    start = text.index('[[intake.sections]]\ntitle = "Toi d\'abord"')
    end = text.index('[[intake.sections]]\ntitle = "Ta scolarité"')
    moved = text[start:end]
    first = text.index("[[intake.sections]]")
    text = text[:first] + moved + text[first:start] + text[end:]
    form = parse_structure(text, "f.toml", DEFAULT).intake
    assert [s.title for s in form.sections][:2] == ["Toi d'abord", "L'entretien"]


@pytest.mark.parametrize(
    ("mistake", "expected", "at"),
    [
        pytest.param(
            lambda t: t.replace('label = "Date du premier accueil"', 'label = "Date du premier accueil'),
            "le fichier n'est pas du TOML valide : un texte n'est pas fermé",
            'label = "Date du premier accueil',
            id="toml-syntax",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "permis"\nlabel = "Permis"\ntype = "oui_non"'),
            "fiche bilan [intake], champ « permis » : le type « oui_non » n'existe pas. Types possibles : text, "
            "longtext, date, yesno, choice, multichoice, structure, referrals.",
            'type = "oui_non"',
            id="unknown-type",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "permis"\nlabel = "Permis"\ntype = "longtxt"'),
            "le type « longtxt » n'existe pas (vouliez-vous écrire « longtext » ?)",
            'type = "longtxt"',
            id="type-typo-suggestion",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "town"\nlabel = "Ville"\ntype = "text"'),
            "fiche bilan [intake], champ « town » : cette clé est utilisée deux fois (déjà utilisée ligne "
            f"{line_of(MISSION_LOCALE, TOWN)}) ; chaque champ a sa propre clé.",
            (TOWN, 1),
            id="duplicate-key",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "permis"\ntype = "text"'),
            "fiche bilan [intake], champ « permis » : le libellé (label) est absent ou vide.",
            ("[[intake.sections.fields]]", -1),
            id="missing-label",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "permis"\nlabel = "  "\ntype = "text"'),
            "champ « permis » : le libellé (label) est absent ou vide.",
            'label = "  "',
            id="empty-label",
        ),
        pytest.param(
            lambda t: add_field(t, 'label = "Permis"\ntype = "text"'),
            "fiche bilan [intake], champ sans clé : la clé (key) est absente",
            ("[[intake.sections.fields]]", -1),
            id="missing-key",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "Permis B"\nlabel = "Permis"\ntype = "text"'),
            "champ « Permis B » : la clé 'Permis B' n'est pas valable : lettres minuscules sans accent",
            'key = "Permis B"',
            id="bad-key",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "mobilite"\nlabel = "Mobilité"\ntype = "multichoice"'),
            "fiche bilan [intake], champ « mobilite » : un champ de type « multichoice » a besoin de ses choix : "
            'ajoutez choices = ["…", "…"].',
            ("[[intake.sections.fields]]", -1),
            id="choice-without-choices",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "mobilite"\nlabel = "Mobilité"\ntype = "choice"\nchoices = []'),
            "champ « mobilite » : choices doit être une liste de textes non vides",
            "choices = []",
            id="empty-choices",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "permis"\nlabel = "Permis"\ntype = "text"\nchoices = ["A", "B"]'),
            "champ « permis » : choices ne sert qu'aux types choice et multichoice, pas au type « text ».",
            'choices = ["A", "B"]',
            id="choices-on-text",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "permis"\nlabel = "Permis"\ntype = "choice"\nchoices = ["A", "A"]'),
            "champ « permis » : le choix « A » est écrit deux fois.",
            'choices = ["A", "A"]',
            id="choice-twice",
        ),
        pytest.param(
            lambda t: t.replace('default = "Aucun"', 'default = "Permis C"'),
            "fiche bilan [intake], champ « driving_licence » : valeur par défaut impossible : « Permis C » ne fait "
            "pas partie des choix.",
            'default = "Permis C"',
            id="default-not-a-choice",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "vu_le"\nlabel = "Vu le"\ntype = "date"\ndefault = "31/12/2026"'),
            "champ « vu_le » : valeur par défaut impossible : « 31/12/2026 » n'est pas une date au format AAAA-MM-JJ",
            'default = "31/12/2026"',
            id="default-bad-date",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "cej"\nlabel = "CEJ"\ntype = "yesno"\ndefault = "oui"'),
            "champ « cej » : valeur par défaut impossible : écrivez true ou false, sans guillemets (trouvé : 'oui').",
            'default = "oui"',
            id="default-yesno-text",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "cej"\nlabel = "CEJ"\ntype = "yesno"\nrequired = "oui"'),
            "champ « cej » : required vaut true ou false, sans guillemets (trouvé : 'oui').",
            'required = "oui"',
            id="required-not-boolean",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "cej"\nlable = "CEJ"\nlabel = "CEJ"\ntype = "yesno"'),
            "champ « cej » : la propriété « lable » n'existe pas (vouliez-vous écrire « label » ?).",
            'lable = "CEJ"',
            id="unknown-property",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "cej"\nlabel = "CEJ\\u0001"\ntype = "yesno"'),
            "champ « cej » : le libellé (label) contient un caractère invisible interdit",
            'label = "CEJ\\u0001"',
            id="control-character",
        ),
        pytest.param(
            lambda t: add_field(t, 'key = "cej"\nlabel = "CEJ"\ntype = "yesno"\ncore = true'),
            "champ « cej » : seuls les champs du socle commun (date, structure, solution, why, referrals, consent) "
            "portent core = true.",
            'key = "cej"',
            id="core-invented",
        ),
        pytest.param(
            lambda t: t.replace("[intake]\nversion = 1\n", "[intake]\n"),
            "fiche bilan [intake], le numéro de version est absent : ajoutez par exemple « version = 1 ».",
            "[intake]",
            id="missing-version",
        ),
        pytest.param(
            lambda t: t.replace("[intake]\nversion = 1\n", "[intake]\nversion = 0\n"),
            "fiche bilan [intake], la version doit être un nombre entier à partir de 1 (trouvé : 0).",
            "version = 0",
            id="bad-version",
        ),
        pytest.param(
            lambda t: t + '\n[profile]\nversion = 2\ntitle = "Moi"\n',
            "la fiche [profile] ne peut pas être adaptée par une structure ; seules [step] et [intake] le peuvent.",
            "[profile]",
            id="profile-not-adaptable",
        ),
        pytest.param(
            lambda t: t.replace("[intake]", "[intke]").replace("[[intake.", "[[intke."),
            "[intke] n'est pas une fiche connue (vouliez-vous écrire « intake » ?)",
            "[intke]",
            id="unknown-sheet",
        ),
        pytest.param(
            lambda t: t.replace(
                '[[intake.sections]]\ntitle = "Ton accord"\n', '[[intake.sections]]\ntitle = "Fin"\n'
            ).replace(t[t.index('[[intake.sections.fields]]\nkey = "consent"') :], ""),
            "fiche bilan [intake], rubrique « Fin » : aucun champ",
            ("[[intake.sections]]", -1),
            id="empty-section",
        ),
    ],
)
def test_each_mistake_gives_its_message_and_line(mistake, expected, at):
    text = mistake(MISSION_LOCALE)
    needle, occurrence = at if isinstance(at, tuple) else (at, 0)
    found = problems(text)
    line = line_of(text, needle, occurrence)
    assert any(p.startswith(f"formulaire.toml, ligne {line}") and expected in p for p in found), found


def test_removing_a_core_field_is_refused():
    start = MISSION_LOCALE.index('[[intake.sections.fields]]\nkey = "why"')
    end = MISSION_LOCALE.index('[[intake.sections.fields]]\nkey = "referrals"')
    text = MISSION_LOCALE[:start] + MISSION_LOCALE[end:]
    assert only(text) == (
        f"formulaire.toml, ligne {line_of(text, '[intake]')} : fiche bilan [intake], le champ « why » (Pourquoi "
        "cette solution) fait partie du socle commun : il ne peut pas être retiré. Remettez son bloc (son libellé "
        "peut changer)."
    )


def test_a_core_field_of_the_follow_up_sheet_cannot_be_removed_either():
    start = MISSION_LOCALE.index('[[step.sections.fields]]\nkey = "action"')
    end = MISSION_LOCALE.index('[[step.sections.fields]]\nkey = "kind"')
    assert "le champ « action » (Ce que j'ai fait ou ce que je vais faire) fait partie du socle commun" in only(
        MISSION_LOCALE[:start] + MISSION_LOCALE[end:]
    )


def test_retyping_a_core_field_is_refused():
    text = MISSION_LOCALE.replace('type = "referrals"', 'type = "text"')
    assert only(text) == (
        f"formulaire.toml, ligne {line_of(text, REFERRALS)} : fiche bilan [intake], champ « referrals » : "
        "il fait partie du socle commun et doit rester de type « referrals » (trouvé « text ») ; seuls son libellé "
        "et son aide peuvent changer."
    )


def test_a_core_field_keeps_its_required_flag_and_its_choices():
    loose = MISSION_LOCALE.replace('label = "Ce que je fais"', 'label = "Ce que je fais"\nrequired = false', 1)
    loose = loose.replace('type = "text"\nrequired = true\ncore = true', 'type = "text"\ncore = true', 1)
    assert "champ « action » : il fait partie du socle commun et doit rester obligatoire" in only(loose)
    renamed = MISSION_LOCALE.replace('choices = ["À faire", "En cours", "Fait", "Abandonné"]', 'choices = ["Oui"]')
    renamed = renamed.replace('default = "À faire"\n', "")
    message = only(renamed)
    assert message.startswith(f"formulaire.toml, ligne {line_of(renamed, STATUS)} :")
    assert 'champ « status » : il fait partie du socle commun ; ses choix doivent rester ["À faire", "En' in message


def test_a_core_field_with_a_mistake_is_not_also_called_removed():
    text = MISSION_LOCALE.replace('label = "Pourquoi cette solution"', 'label = ""')
    assert "champ « why » : le libellé (label) est absent ou vide." in only(text)


def test_every_mistake_is_told_at_once_in_line_order():
    text = add_field(MISSION_LOCALE.replace('type = "referrals"', 'type = "text"'), 'key = "x"\ntype = "nombre"')
    found = problems(text)
    assert len(found) == 3  # retyped core field, missing label, unknown type
    lines = [int(p.split("ligne ")[1].split(" ")[0].rstrip(",")) for p in found]
    assert lines == sorted(lines)


def test_a_file_not_saved_as_utf8_is_explained(tmp_path: Path):
    path = tmp_path / "formulaire.toml"
    path.write_bytes(MISSION_LOCALE.encode("cp1252"))
    with pytest.raises(FormFileError) as caught:
        read_structure(path, DEFAULT)
    assert str(caught.value.problems[0]).startswith("formulaire.toml : le fichier n'est pas enregistré en UTF-8.")


def test_a_file_describing_no_sheet_is_refused():
    expected = "formulaire.toml : le fichier ne décrit aucune fiche : ajoutez une table [intake] ou [step]."
    assert only("# rien\n") == expected


def test_check_for_prepare_reports_problems_with_the_file_name(tmp_path: Path):
    path = tmp_path / "cio.toml"
    path.write_text(CIO.replace('type = "yesno"', 'type = "booleen"', 1), encoding="utf-8")
    found = keyform.check(path)
    assert [str(p) for p in found] == [
        f"cio.toml, ligne {line_of(path.read_text(), 'booleen')} : fiche bilan [intake], champ « with_family » : le "
        "type « booleen » n'existe pas. Types possibles : text, longtext, date, yesno, choice, multichoice, structure, "
        "referrals."
    ]
    assert keyform.check(EXAMPLES / "formulaire-cio.toml") == []
    assert keyform.check(None) == []  # the default form


def test_command_line_check_for_staff(tmp_path: Path, capsys):
    bad = tmp_path / "formulaire.toml"
    bad.write_text(MISSION_LOCALE.replace('type = "referrals"', 'type = "text"'), encoding="utf-8")
    assert keyform.main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert "champ « referrals » : il fait partie du socle commun" in out
    assert "1 erreur(s) : corrigez le fichier puis relancez la vérification." in out
    assert keyform.main([str(EXAMPLES / "formulaire-mission-locale.toml")]) == 0
    assert "Tout est bon" in capsys.readouterr().out


def test_key_form_loading_falls_back_to_the_default(tmp_path: Path):
    assert keyform.load(tmp_path).forms == DEFAULT
    (tmp_path / keyform.FORM_FILE).write_text(CIO, encoding="utf-8")
    assert keyform.load(tmp_path).forms.intake.title == "Fiche bilan de l'accueil au CIO"
    (tmp_path / keyform.FORM_FILE).write_text(CIO.replace("[intake]", "[intake"), encoding="utf-8")
    loaded = keyform.load(tmp_path)
    assert loaded.forms == DEFAULT
    assert str(loaded.problems[0]).startswith(f"Data/formulaire.toml, ligne {line_of(CIO, '[intake]')}, colonne")


def test_a_key_both_sheets_use_is_located_in_its_own_sheet():
    """``date`` is in [step] and in [intake]; a mistake in the step's one is told at the step's line."""
    text = MISSION_LOCALE.replace(
        'key = "date"\nlabel = "Date"\ntype = "date"', '"key" = "date"\nlabel = "Date"\ntype = "text"'
    )
    header = line_of(text, "[[step.sections.fields]]")
    assert only(text).startswith(
        f"formulaire.toml, ligne {header} : fiche de suivi [step], champ « date » : il fait partie du socle commun "
        "et doit rester de type « date » (trouvé « text »)"
    )

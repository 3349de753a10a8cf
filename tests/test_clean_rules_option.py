"""`clean-comments --rules FILE`: FILE replaces the packaged rules, and a file that could not
mean what its author wanted (no rules, half the rules, not TOML) is a one-line error."""

import json

import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli

COMMENT = "Ringde Anna 12/5. Bla bla. Tror de vill ha LIA."
# A rule only this file has (svammel), and none of the packaged drops (tror is a guess there).
TUNED = """
[[fact]]
name = "datum"
patterns = ['\\d{1,2}/\\d{1,2}']

[[drop]]
name = "svammel"
words = ["bla bla"]
"""


def crm(make_crm):
    return make_crm(Leads=[{"ID": "L-1", "Företag": "Volvo AB", "Kommentar": COMMENT}])


def run(*args):
    return CliRunner().invoke(cli, ["--today", "2027-05-12", "clean-comments", *map(str, args)])


def rules_file(tmp_path, text):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cleaned(result) -> tuple[str, list[str]]:
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["rows_changed"]
    return row["after"], [d["rule"] for d in row["decisions"]]


def test_the_file_replaces_the_packaged_rules_entirely(make_crm, tmp_path):
    path = crm(make_crm)
    packaged_after, packaged_rules = cleaned(run(path, "--json"))
    assert packaged_after == "Ringde Anna 12/5. Bla bla." and "svammel" not in packaged_rules

    tuned_after, tuned_rules = cleaned(run(path, "--json", "--rules", rules_file(tmp_path, TUNED)))
    # The file's own rule applies, and the packaged guess rule no longer does: nothing merged.
    assert tuned_after == "Ringde Anna 12/5. Tror de vill ha LIA."
    assert "svammel" in tuned_rules and "gissning" not in tuned_rules


def test_help_says_the_file_replaces_the_packaged_rules():
    result = CliRunner().invoke(cli, ["clean-comments", "--help"])
    text = " ".join(result.output.split())
    assert "instead of the packaged templates/clean_rules.toml" in text and "replaces them entirely" in text
    assert "tries" not in text


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "[split]\ncontrasting = ['men']\n", "fact = []\ndrop = []\n"])
def test_a_file_with_no_rules_is_refused_not_run_as_zero_to_clean(make_crm, tmp_path, text):
    rules = rules_file(tmp_path, text)
    line = one_line_error(run(crm(make_crm), "--rules", rules))
    assert f"{rules} defines no rules: no [[fact]] and no [[drop]] groups" in line
    assert "to clean" not in line


@pytest.mark.parametrize("kept, missing", [("fact", "drop"), ("drop", "fact")])
def test_a_file_with_half_the_rules_names_the_missing_half(make_crm, tmp_path, kept, missing):
    """Most likely written to add one group to the packaged rules, which it would replace."""
    rules = rules_file(tmp_path, f"[[{kept}]]\nname = 'x'\nwords = ['bla bla']\n")
    line = one_line_error(run(crm(make_crm), "--rules", rules))
    assert f"{rules} has no [[{missing}]] groups" in line and "replaces the packaged rules entirely" in line


def test_a_misspelt_section_is_named_not_ignored(make_crm, tmp_path):
    rules = rules_file(tmp_path, TUNED + "\n[[drops]]\nname = 'y'\nwords = ['lol']\n")
    line = one_line_error(run(crm(make_crm), "--rules", rules))
    assert f"{rules}: unknown section 'drops'" in line


def test_malformed_toml_names_the_file_and_the_line(make_crm, tmp_path):
    rules = rules_file(tmp_path, "[[fact]]\nname = 'datum'\nwords = [datum]\n")
    line = one_line_error(run(crm(make_crm), "--rules", rules))
    assert f"{rules}, line 3: not valid TOML" in line

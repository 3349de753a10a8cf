"""scripts/demo_wishes.py: the demo's members mark their wishes, so the harvest can be tried."""

import importlib.util
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from chas_sheets.cli import cli

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "demo_wishes.py"
TODAY = "2027-04-03"


def load_script():
    spec = importlib.util.spec_from_file_location("demo_wishes", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY, *[str(a) for a in args]])


def marks(path):
    sheet = openpyxl.load_workbook(path)["Skörd"]
    top = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Företag")  # the rule above
    header = [c.value for c in sheet[top]]
    members = header[1:header.index("Antal leads")]
    return {m: [sheet.cell(r, header.index(m) + 1).value for r in range(top + 1, sheet.max_row + 1)
                if sheet.cell(r, header.index(m) + 1).value] for m in members}


def test_members_mark_wishes_and_the_split_draws_lots(tmp_path):
    assert run("demo", tmp_path / "demo").exit_code == 0
    group = tmp_path / "demo" / "grupper" / "stockholm-1.xlsx"
    script = load_script()
    assert script.main(group) == 1  # no Skörd yet: says to prepare first
    assert run("harvest", group, "--prepare", "--apply").exit_code == 0

    assert script.main(group) == 0
    wishes = marks(group)
    *markers, last = wishes
    assert wishes[last] == []
    for member in markers:
        assert len(wishes[member]) in script.WISHES_EACH
        assert sorted(wishes[member])[:3] == ["1", "2", "3"]

    script.main(group)  # again: marks already made stay, nothing added
    assert marks(group) == wishes

    split = run("--lang", "sv", "harvest", group, "--seed", "demo")  # what the group reads, in Swedish
    assert split.exit_code == 0, split.output
    assert "Lottade företag" in split.output  # popular companies are wanted by more than three
    assert "Rättvisekontroll: OK" in split.output

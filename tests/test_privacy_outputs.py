"""No command prints a contact person's phone number or e-mail: not in its report, its --json,
its warnings or its errors, in a dry run or with --apply.

One small workspace holds known numbers and addresses in the contact columns AND inside
comments and contact-log notes; every command runs over it through the CLI and its stdout
and stderr are searched for them (as typed, and as bare digits).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest
from click.testing import CliRunner
from workbooks import write_rows

from chas_sheets.cli import cli
from chas_sheets.privacy import mask_text

TODAY = "2027-05-12"
PHONES = ["070-123 45 67", "+46 8 555 123 45", "0701234599", "08-765 43 21", "073 111 22 33"]
EMAILS = ["anna.svensson@volvocars.com", "lisa.berg@ericsson.com", "per@kontakt.se", "maja.ek@spotify.com",
          "kalle.karlsson@gmailcom"]  # the last one malformed: check reports it, and must not print it
SECRETS = PHONES + EMAILS

LEADS = [
    {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson", "Telefon": PHONES[0],
     "E-post": EMAILS[0], "Status": "Ny", "Temperatur": "Varm", "Tillagd av": "Ada", "Tillagd": dt.date(2027, 3, 1),
     "Kommentar": f"Ring {PHONES[3]} efter lunch. Kanske intresserade? Tror de anställer, mejla {EMAILS[1]}"},
    {"ID": "L-BBBBBB", "Företag": "Ericsson AB", "Kontaktperson": "Lisa Berg", "Telefon": PHONES[1],
     "E-post": EMAILS[1], "Status": "Kontaktad", "Tillagd av": "Bo", "Tillagd": dt.date(2027, 3, 2),
     "Kommentar": f"Bytt nummer till {PHONES[4]}!!! lol"},
    {"Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Per Ek", "Telefon": PHONES[2], "E-post": EMAILS[2],
     "Status": "Ny", "Tillagd av": "Ada", "Tillagd": dt.date(2027, 3, 3), "Kommentar": "Dubblett? vet ej"},
    {"ID": "L-DDDDDD", "Företag": "Klarna Bank AB", "Kontaktperson": "Kalle Karlsson", "E-post": EMAILS[4],
     "Status": "Ny", "Tillagd av": "Bo", "Tillagd": dt.date(2027, 3, 5)},
    {"ID": "L-CCCCCC", "Företag": "Spotify AB", "Kontaktperson": "Maja Ek", "E-post": EMAILS[3], "Status": "Dialog",
     "Temperatur": "Varm", "Tillagd av": "Bo", "Tillagd": dt.date(2027, 3, 4), "Bearbetad": "2027-03-01"},
]
LOG = [
    {"Datum": dt.date(2027, 4, 20), "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson",
     "Kanal": "Telefon", "Utfall": "Svar", "Av": "Ada", "Anteckning": f"Ring tillbaka på {PHONES[0]}"},
    {"Datum": dt.date(2027, 4, 22), "Företag": "Spotify AB", "Kontaktperson": "Maja Ek", "Kanal": "Mejl",
     "Utfall": "Ja", "Av": "Bo", "Anteckning": f"Svar från {EMAILS[3]}: välkommen på intervju"},
]


@pytest.fixture
def workspace(make_crm, tmp_path):
    """A register, a group CRM with two members and their individual CRMs, all holding secrets."""
    group = make_crm("group", name="grupp.xlsx", Leads=LEADS, Kontaktlogg=LOG, Medlemmar=[
        {"Namn": "Ada", "E-post": "ada@student.chas.se", "Individuellt CRM": "ada.xlsx"},
        {"Namn": "Bo", "E-post": "bo@student.chas.se", "Individuellt CRM": "bo.xlsx"}])
    ada = make_crm("student", name="ada.xlsx", Leads=LEADS[:2], Kontaktlogg=LOG[:1])
    make_crm("student", name="bo.xlsx", Leads=LEADS[3:], Kontaktlogg=LOG[1:])
    register = make_crm("register", name="register.xlsx")
    write_rows(register, "Grupper", [{"Grupp": "Grupp Nord", "Gruppens CRM": "grupp.xlsx"}])
    write_rows(register, "Studerande", [
        {"Namn": "Ada", "Grupp": "Grupp Nord", "E-post": "ada@student.chas.se", "Individuellt CRM": "ada.xlsx"},
        {"Namn": "Bo", "Grupp": "Grupp Nord", "E-post": "bo@student.chas.se", "Individuellt CRM": "bo.xlsx"}])
    return {"group": str(group), "student": str(ada), "register": str(register), "dir": tmp_path}


def leaks(text: str) -> list[str]:
    """Every secret found in `text`, as typed or as its bare digits."""
    digits = re.sub(r"\D", "", text)
    found = [s for s in SECRETS if s.lower() in text.lower()]
    found += [p for p in PHONES if re.sub(r"\D", "", p) in digits and p not in found
              and re.sub(r"\D", "", p) in re.sub(r"[^\d\n ]", "", text).replace(" ", "")]
    return found


def run(*args: str):
    result = CliRunner().invoke(cli, ["--today", TODAY, *args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def assert_private(result, what: str) -> None:
    output = result.stdout + result.stderr
    assert leaks(output) == [], f"{what} printed contact details:\n{output}"


def test_the_leak_finder_finds_what_it_must():
    """The detector itself: it sees a number however it is spaced, and not a masked one."""
    assert leaks(f"x {PHONES[0]} y") == [PHONES[0]]
    assert leaks("tel 0701234567") == [PHONES[0]]
    assert leaks(EMAILS[0].upper()) == [EMAILS[0]]
    assert leaks(mask_text(f"{PHONES[0]} {EMAILS[0]} {PHONES[1]}")) == []


READ_ONLY = [
    ("check", "{group}"), ("check", "{student}"), ("check", "{register}"),
    ("status", "{student}"), ("audit-sharing", "{register}"),
]
WRITING = [
    ("mark-processed", "{group}"), ("mark-processed", "{student}"),
    ("clean-comments", "{group}"), ("clean-comments", "{student}"),
    ("harvest", "{group}", "--prepare"),
    ("nightly", "{register}"),
]
WRITING.append(("dedupe", "{group}"))


def _args(spec, workspace) -> list[str]:
    return [part.format(**workspace) for part in spec]


@pytest.mark.parametrize("spec", READ_ONLY + WRITING, ids=lambda s: " ".join(s))
def test_dry_runs_and_json_never_print_contact_details(workspace, spec):
    for extra in ([], ["--json"]):
        assert_private(run(*_args(spec, workspace), *extra), " ".join(spec + tuple(extra)))


@pytest.mark.parametrize("spec", WRITING, ids=lambda s: " ".join(s))
def test_apply_and_its_undo_never_print_contact_details(workspace, spec):
    applied = run(*_args(spec, workspace), "--apply")
    assert_private(applied, " ".join(spec) + " --apply")
    target = _args(spec, workspace)[1]
    listed = run("undo", target, "--list", "--json")
    assert_private(listed, "undo --list")
    runs = json.loads(listed.stdout)
    assert runs, "the run was logged"
    for logged in runs[-1:]:
        run_id = logged["id"]
        for extra in ([], ["--json"], ["--apply"]):
            assert_private(run("undo", target, run_id, *extra), f"undo {run_id} {' '.join(extra)}")


def test_the_harvest_split_and_its_copies_never_print_contact_details(workspace):
    run("harvest", workspace["group"], "--prepare", "--apply")
    from chas_sheets.backends.local import LocalWorkbook
    from chas_sheets.runner import read_tables

    skord = read_tables(LocalWorkbook(workspace["group"]), ["Skörd"])["Skörd"]
    wishes = [{"Företag": skord.text(row_id, "Företag"), "Ada": "x", "Bo": "x"} for row_id in skord.df.index]
    assert wishes, "the group has warm companies to split"
    _mark_wishes(workspace["group"], wishes)
    for extra in ([], ["--json"], ["--apply"], ["--apply", "--json"]):
        assert_private(run("harvest", workspace["group"], "--seed", "privacy", *extra), f"harvest {extra}")


def _mark_wishes(path: str, wishes: list[dict]) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["Skörd"]
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Företag")  # the rule stands above
    headers = [c.value for c in ws[top]]
    for row in ws.iter_rows(min_row=top + 1):
        company = row[headers.index("Företag")].value
        for member in ("Ada", "Bo"):
            if member in headers and any(w["Företag"] == company for w in wishes):
                row[headers.index(member)].value = "x"
    wb.save(path)


def test_errors_and_warnings_mask_contact_details(workspace, tmp_path):
    """A value that cannot be used is named in the message, masked."""
    broken = tmp_path / "trasig.xlsx"
    shutil.copy(workspace["group"], broken)
    from workbooks import write_rows as add

    add(broken, "Leads", [{"ID": "L-AAAAAA", "Företag": "Dubbel-ID", "Telefon": PHONES[1], "E-post": EMAILS[1],
                          "Kommentar": f"nr {PHONES[2]}"}])
    for command in ("check", "mark-processed", "clean-comments", "status"):
        for extra in ([], ["--json"], ["--apply"] if command not in ("check", "status") else []):
            assert_private(run(command, str(broken), *extra), f"{command} {extra} on duplicate IDs")


def test_the_dashboard_shows_counts_not_contact_details(workspace):
    run("nightly", workspace["register"], "--apply")
    from chas_sheets.backends.local import LocalWorkbook

    raw = LocalWorkbook(workspace["register"]).read()
    text = "\n".join(" ".join("" if c is None else str(c) for c in row) for grid in raw.grids.values() for row in grid)
    assert leaks(text) == []

"""The output boundary, attacked: phone numbers and e-mail addresses in any spelling, in any
column (known or not) and in free text, through every command that reads a CRM (check, status,
mark-processed, dedupe and dedupe --across, clean-comments, harvest, nightly, audit-sharing,
undo), as text and as --json. Nothing may come out whole.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import write_rows

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli

TODAY = "2027-05-12"
SEPARATORS = ["", " ", "-", ".", "–", "/", "  "]
LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéü"
LEAD_COLUMNS = ["Telefon", "E-post", "Kommentar", "Kontaktperson", "Roll", "Källa", "Mobil (22)", "Privat mejl",
                "Status"]


@st.composite
def phones(draw) -> tuple[str, str]:
    """(as typed, its national digits): 070-123 45 67, +46 70 123 45 67, 0046 8 555 12 34, (08) ..."""
    area = draw(st.sampled_from(["70", "72", "73", "76", "8", "31", "40", "90"]))
    rest = draw(st.text("0123456789", min_size=9 - len(area), max_size=9 - len(area)))
    national = area + rest
    groups, i = [], 0
    while i < len(national):
        size = draw(st.integers(1, 4))
        groups.append(national[i:i + size])
        i += size
    joined = groups[0] + "".join(draw(st.sampled_from(SEPARATORS)) + g for g in groups[1:])
    prefix = draw(st.sampled_from(["0", "+46 ", "+46", "0046 ", "(0)"]))
    if prefix == "(0)":  # (08) 123 45 67
        typed = f"(0{groups[0]}) " + "".join(draw(st.sampled_from(SEPARATORS)) + g for g in groups[1:]).lstrip()
    else:
        typed = prefix + joined
    return typed, national


@st.composite
def emails(draw) -> str:
    local = draw(st.text(LETTERS, min_size=2, max_size=8)) + draw(st.sampled_from(["", ".", "_"])) + \
        draw(st.text(LETTERS, min_size=1, max_size=8))
    domain = draw(st.text(LETTERS, min_size=2, max_size=10))
    return f"{local}@{domain}.{draw(st.sampled_from(['se', 'com', 'nu']))}"


def _leaks(output: str, typed_phones: list[tuple[str, str]], addresses: list[str]) -> list[str]:
    found = [a for a in addresses if a.lower() in output.lower() or a.split("@")[0].lower() + "@" in output.lower()]
    # A number however it is spaced: the digits of every run of digits and separators.
    spans = [re.sub(r"\D", "", s) for s in re.findall(r"\d(?:[ .\-\u2013/()]{0,4}\d)*", output)]
    for typed, national in typed_phones:
        if typed in output or any(national in span for span in spans):
            found.append(typed)
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(phones(), emails(), st.sampled_from(LEAD_COLUMNS), st.sampled_from(LEAD_COLUMNS)),
                min_size=1, max_size=3))
def test_no_command_prints_a_phone_or_an_address_whole(secrets):
    typed_phones = [phone for phone, _, _, _ in secrets]
    addresses = [address for _, address, _, _ in secrets]
    with tempfile.TemporaryDirectory() as folder:
        crm = Path(folder) / "crm.xlsx"
        LocalWorkbook(crm).create("student")
        leads, log = [], []
        for n, ((phone, _), address, phone_column, address_column) in enumerate(secrets):
            row = {"ID": f"L-{n:06d}", "Företag": f"Bolag {n} AB", "Status": "Ny", "Tillagd": dt.date(2027, 3, 1)}
            # after a line break too: in --json that is the letter n of '\n' right before the number
            row[phone_column] = f"ring\n{phone}" if phone_column in ("Kommentar", "Status", "Roll") else phone
            row[address_column] = (row.get(address_column, "") + f" mejla {address}").strip()
            leads.append(row)
            log.append({"Datum": dt.date(2027, 4, 2), "Företag": f"Bolag {n} AB", "Kanal": "Telefon",
                        "Utfall": "Inget svar", "Anteckning": f"nytt nummer\n{phone}\t{address}"})
        write_rows(crm, "Leads", leads)
        write_rows(crm, "Kontaktlogg", log)
        register = Path(folder) / "register.xlsx"
        LocalWorkbook(register).create("register")
        write_rows(register, "Studerande", [{"Namn": "Ada", "Individuellt CRM": "crm.xlsx"}])
        group = Path(folder) / "grupp.xlsx"
        LocalWorkbook(group).create("group")
        write_rows(group, "Leads", [{**row, "Temperatur": "Varm"} for row in leads])
        write_rows(group, "Kontaktlogg", log)
        write_rows(group, "Medlemmar", [{"Namn": "Ada", "E-post": addresses[0], "Individuellt CRM": "crm.xlsx"}])
        CliRunner().invoke(cli, ["--today", TODAY, "mark-processed", str(crm), "--apply"])  # a run to undo
        commands = [["check", crm], ["status", crm], ["mark-processed", crm], ["dedupe", crm],
                    ["clean-comments", crm], ["nightly", register], ["check", group], ["harvest", group, "--prepare"],
                    ["audit-sharing", register], ["undo", crm, "--list"], ["dedupe", "--across", register]]
        for command in commands:
            for extra in ([], ["--json"]):
                result = CliRunner().invoke(cli, ["--today", TODAY, *map(str, command), *extra])
                assert "Traceback" not in result.output
                output = result.stdout + result.stderr
                assert _leaks(output, typed_phones, addresses) == [], (command, extra, output)


def test_the_leak_check_itself_sees_a_whole_number_however_it_is_spaced():
    phone = ("+46 70-12 34.567", "701234567")
    assert _leaks("x 070 123 45 67 y", [phone], []) == [phone[0]]
    assert _leaks("x 070 *** ** 67 y", [phone], []) == []
    assert _leaks("(070*****34) [L-000000]", [("0700000000", "700000000")], []) == []
    assert _leaks("mejla Åsa@x.se", [], ["åsa@x.se"]) == ["åsa@x.se"]

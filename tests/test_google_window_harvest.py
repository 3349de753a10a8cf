"""The harvest writing a member's Google CRM while the member sorts its Leads in the instant
between the run's verify read and its write: every copied lead arrives once, the member's own
leads keep every value, and the member's Ändringslogg holds only what is true."""

from __future__ import annotations

from test_harvest_google import ANNA, BO, LEADS, mark_everything, member_rows, run, ws  # noqa: F401 (fixture)

from chas_sheets.sheet.changelog import LOG_TAB

OWN = [{"ID": "L-OWN001", "Företag": "Öresundskraft AB", "Kontaktperson": "Eva Öst", "Status": "Dialog",
        "Kommentar": "Möte 4/4"},
       {"ID": "L-OWN002", "Företag": "Alfa Laval AB", "Kontaktperson": "Per Al", "Status": "Ny"}]


def test_a_member_who_sorts_while_the_harvest_writes_keeps_every_lead(ws, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    anna = ws.fill("student", {})
    bo = ws.fill("student", {"Leads": OWN})
    group = ws.fill("group", {"Leads": LEADS, "Medlemmar": [{"Namn": ANNA, "Individuellt CRM": anna.target},
                                                             {"Namn": BO, "Individuellt CRM": bo.target}]})
    assert run("harvest", group.target, "--prepare", "--apply").exit_code == 0
    mark_everything(group)
    ws.app.faults.person_sorts(bo.key, "Leads", column=1, method="batchUpdate")  # Företag A..Ö, after the take
    before = ws.app.stats()["bySpreadsheet"].get(bo.key, 0)
    result = run("harvest", group.target, "--seed", "möte", "--apply")
    assert result.exit_code == 0, result.output
    assert ws.app.faults.pending() == []
    assert ws.app.stats()["bySpreadsheet"].get(bo.key, 0) - before <= 5  # 3, or 5 if the write was put back
    rows = member_rows(bo, "Leads")
    own = {r["ID"]: r for r in rows if r["ID"] in ("L-OWN001", "L-OWN002")}
    assert own["L-OWN001"]["Kommentar"] == "Möte 4/4" and own["L-OWN001"]["Status"] == "Dialog"
    assert own["L-OWN002"]["Status"] == "Ny"
    copied = [(r["Företag"], r["Kontaktperson"]) for r in rows if r["ID"] not in own]
    assert copied and len(set(copied)) == len(copied)  # each copied lead once
    assert set(copied) <= {(lead["Företag"], lead["Kontaktperson"]) for lead in LEADS}
    log = member_rows(bo, LOG_TAB)
    logged_new = sorted(r["Rad-ID"] for r in log if r["Kolumn"] == "(ny rad)")
    assert logged_new == sorted(r["ID"] for r in rows if r["ID"] not in own)  # the log: exactly the rows there

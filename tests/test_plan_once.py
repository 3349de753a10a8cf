"""Each CRM is planned once a night: the contact log is linked once per read, whichever jobs ask."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from chas_sheets.cli import cli
from chas_sheets.processed import contactlog
from chas_sheets.sheet.tables import RawWorkbook, load_tables

TODAY = dt.date(2027, 5, 12)


def tables():
    raw = RawWorkbook(["Leads", "Kontaktlogg"], {
        "Leads": [["ID", "Företag", "Kontaktperson"], ["L-AAAAAA", "Volvo Cars", "Anna"]],
        "Kontaktlogg": [["Datum", "Företag", "Kontaktperson", "Kanal", "Utfall"],
                        ["2027-05-02", "Volvo Cars", "Anna", "Telefon", "Inget svar"]]}, "crm.xlsx")
    return load_tables(raw, ["Leads", "Kontaktlogg"])


def test_the_log_is_linked_once_per_read_and_again_for_other_tables_or_days():
    one = tables()
    first = contactlog.link_log(one["Leads"], one["Kontaktlogg"], TODAY)
    assert contactlog.link_log(one["Leads"], one["Kontaktlogg"], TODAY) is first
    assert [row.lead_ids for row in first.rows] == [("L-AAAAAA",)]
    assert contactlog.link_log(one["Leads"], one["Kontaktlogg"], TODAY + dt.timedelta(days=1)) is not first
    other = tables()  # another read: never the first read's answer
    assert contactlog.link_log(other["Leads"], one["Kontaktlogg"], TODAY) is not first


def test_a_nightly_links_each_crm_s_log_once(tmp_path, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(cli, ["--today", TODAY.isoformat(), "demo", str(tmp_path / "demo")]).exit_code == 0
    calls = []
    real = contactlog._link_log
    monkeypatch.setattr(contactlog, "_link_log", lambda leads, log, today: calls.append(log.title) or
                        real(leads, log, today))
    result = runner.invoke(cli, ["--today", TODAY.isoformat(), "nightly", str(tmp_path / "demo" / "register.xlsx")])
    assert result.exit_code in (0, 1), result.output
    crms = len(list((tmp_path / "demo").rglob("*.xlsx"))) - 1  # every CRM but the register
    assert 0 < len(calls) <= crms


def test_a_crm_the_night_wrote_is_not_read_again_the_next_night_but_a_persons_save_is(tmp_path):
    from workbooks import write_rows

    runner = CliRunner()
    demo = tmp_path / "demo"
    assert runner.invoke(cli, ["--today", TODAY.isoformat(), "demo", str(demo)]).exit_code == 0
    night = ["--today", TODAY.isoformat(), "nightly", str(demo / "register.xlsx"), "--apply", "--json"]
    import json

    first = runner.invoke(cli, night)
    assert first.exit_code in (0, 1), first.output
    assert sum(c["read"] for c in json.loads(first.stdout)["crms"].values()) == 21
    write_rows(demo / "studerande" / "sara-nilsson.xlsx", "Leads", [{"ID": "L-NYNYNY", "Företag": "Nytt AB"}])
    second = runner.invoke(cli, night)
    crms = json.loads(second.stdout)["crms"]
    assert [t for t, c in crms.items() if c["read"]] == [str(demo / "studerande" / "sara-nilsson.xlsx")]
    assert sum(c["unchanged"] for c in crms.values()) == 20  # only the one a person saved is read


def test_a_table_made_from_another_does_not_share_its_caches():
    import dataclasses

    one = tables()["Leads"]
    assert one.text("L-AAAAAA", "Företag") == "Volvo Cars"  # fills the cache
    copy = dataclasses.replace(one, df=one.df.assign(Företag=["Spotify"]))
    assert copy.text("L-AAAAAA", "Företag") == "Spotify"

"""A run handing out new IDs checks them against an index of the IDs Ändringslogg names
(spreadsheet-level developer metadata written with the log rows it covers), so its verify
read takes the log's last rows only, not the whole log; and when the index cannot vouch for
the log (none yet, rows deleted or inserted by hand) the log is read whole once and a new
index written. Never an ID the log names."""

from __future__ import annotations

import json
import random

import gspread
import pytest
from test_google_ranged_read import new_crm

from chas_sheets.backends import google as google_backend
from chas_sheets.backends import google_ids
from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet import id_index
from chas_sheets.sheet.id_index import IdIndex


@pytest.fixture
def app():
    return make_app()


@pytest.fixture(autouse=True)
def short_tail(monkeypatch):
    monkeypatch.setattr(google_backend, "LOG_TAIL_ROWS", 20)  # a long log, made small


def sheet(app, key):
    return gspread.Client(auth=None, session=emulator_session(app)).open_by_key(key)


def add_lead(app, key, company):
    leads = sheet(app, key).worksheet("Leads")
    headers = leads.row_values(1)
    leads.append_row([{"Företag": company, "Status": "Ny"}.get(h, "") for h in headers], value_input_option="RAW")


def long_crm(app, rows):
    """A CRM whose Ändringslogg fills its grid (as a log past init's 1,000 rows does: the tool
    grows the grid by the rows it appends), so its verify read takes the log's last rows only."""
    backend = new_crm(app, log_rows=rows)
    fit(app, backend.key)
    return backend


def fit(app, key):
    log = sheet(app, key).worksheet("Ändringslogg")
    log.resize(rows=len(log.get_all_values()))


def log_rows(app, key, rows):
    """Rows typed into Ändringslogg by hand (or by an older version), at its end."""
    log = sheet(app, key).worksheet("Ändringslogg")
    log.append_rows([["20270101-000000-abcd", "2027-01-01 00:00:00", "dedupe", "Leads", rad_id, "(rad borttagen)",
                      "{}", ""] for rad_id in rows], value_input_option="RAW")
    fit(app, key)


def new_id_run(app, key, sent=None):
    """Give every lead without an ID one (the plan every writing command starts with)."""
    session = emulator_session(app)
    if sent is not None:
        session.hooks["response"].append(lambda r, *a, **k: sent.append((r.request, r)))
    writer = GoogleSpreadsheet(key, session=session)
    tables = read_tables(writer, ["Leads"])
    planned = [a.new for a in tables["Leads"].id_assignments]
    outcome = execute(writer, tables.id_changes(), "clean", True)
    return writer, outcome, planned


def written_ids(app, key):
    return [r["ID"] for r in sheet(app, key).worksheet("Leads").get_all_records()]


def logged(app, key):
    return {r["Rad-ID"] for r in sheet(app, key).worksheet("Ändringslogg").get_all_records()}


def index_of(app, key):
    book = app.store.get_spreadsheet(key)
    return google_ids.index_in({"developerMetadata": book.developer_metadata})


def derived_id(app, key, company):
    """The ID a lead typed as `company` is derived (its row's cells, wherever it stands)."""
    add_lead(app, key, company)
    tables = read_tables(GoogleSpreadsheet(key, session=emulator_session(app)), ["Leads"])
    (new,) = [a.new for a in tables["Leads"].id_assignments]
    leads = sheet(app, key).worksheet("Leads")
    leads.delete_rows(len(leads.get_all_values()))
    return new


def test_a_run_handing_out_ids_reads_the_logs_tail_once_an_index_is_kept(app):
    backend = long_crm(app, 200)
    add_lead(app, backend.key, "Volvo")
    writer, outcome, planned = new_id_run(app, backend.key)
    assert writer.requests_sent == 3 and outcome.written == 1
    index = index_of(app, backend.key)
    assert index is not None and index.ids == logged(app, backend.key)  # kept with the rows it covers
    add_lead(app, backend.key, "Scania")
    sent: list = []
    writer, outcome, planned = new_id_run(app, backend.key, sent)
    assert writer.requests_sent == 3 and outcome.written == 1
    take = json.loads(sent[1][0].body)
    assert "'Ändringslogg'" not in take["responseRanges"]  # not the whole log: its header and last rows
    assert any(r.startswith("'Ändringslogg'!A") for r in take["responseRanges"])
    answer = json.loads(sent[1][1].content)["updatedSpreadsheet"]
    log = next(s for s in answer["sheets"] if s["properties"]["title"] == "Ändringslogg")
    assert sum(len(block.get("rowData") or ()) for block in log["data"]) < 60
    assert planned[0] in written_ids(app, backend.key)
    assert index_of(app, backend.key).ids == logged(app, backend.key)


def test_an_id_the_log_named_long_ago_is_not_given_again_from_the_index(app):
    """The row's derived ID is named in the log's first row, far above the rows the verify
    read takes: the index knows it, and the row gets the next ID derived for it."""
    backend = long_crm(app, 1)
    taken = derived_id(app, backend.key, "Volvo")
    log_rows(app, backend.key, [taken] + [f"L-{n:06d}" for n in range(100)])
    add_lead(app, backend.key, "Scania")
    new_id_run(app, backend.key)  # no index yet: the log read whole, the index written
    assert taken in index_of(app, backend.key).ids
    add_lead(app, backend.key, "Volvo")
    sent: list = []
    writer, outcome, planned = new_id_run(app, backend.key, sent)
    assert writer.requests_sent == 3
    assert "'Ändringslogg'" not in json.loads(sent[1][0].body)["responseRanges"]
    volvo = written_ids(app, backend.key)[-1]
    assert planned == [taken] and volvo != taken and volvo.startswith("L-")


def test_rows_a_person_typed_into_the_log_after_the_index_count(app):
    backend = long_crm(app, 50)
    add_lead(app, backend.key, "Scania")
    new_id_run(app, backend.key)
    taken = derived_id(app, backend.key, "Volvo")
    log_rows(app, backend.key, [taken])  # under the rows the index covers
    add_lead(app, backend.key, "Volvo")
    writer, outcome, planned = new_id_run(app, backend.key)
    assert writer.requests_sent == 3  # read in the log's last rows, with the index
    assert planned == [taken] and written_ids(app, backend.key)[-1] not in (taken, "")


@pytest.mark.parametrize("how", ["deleted", "inserted", "index gone"])
def test_a_log_changed_under_its_index_is_read_whole_once_and_indexed_again(app, how):
    backend = long_crm(app, 100)
    taken = derived_id(app, backend.key, "Volvo")
    log_rows(app, backend.key, [taken])
    add_lead(app, backend.key, "Scania")
    new_id_run(app, backend.key)
    log = sheet(app, backend.key).worksheet("Ändringslogg")
    if how == "deleted":
        log.delete_rows(2, 6)  # the index's last row moves up
    elif how == "inserted":
        log.insert_rows([["20270101-000000-abcd", "2027-01-01 00:00:00", "dedupe", "Leads", "L-XXXXXX", "ID"]], 2,
                        value_input_option="RAW")
    else:
        book = app.store.get_spreadsheet(backend.key)
        book.developer_metadata[:] = [m for m in book.developer_metadata if m["metadataKey"] != google_ids.INDEX_KEY]
    add_lead(app, backend.key, "Volvo")
    writer, outcome, planned = new_id_run(app, backend.key)
    # read, take (the log's tail), the log whole, write; an index gone is seen by the first
    # read already, and the take reads the log whole
    assert writer.requests_sent == (3 if how == "index gone" else 4)
    assert planned == [taken] and written_ids(app, backend.key)[-1] != taken
    assert index_of(app, backend.key).ids == logged(app, backend.key)  # rebuilt from the log as it is
    add_lead(app, backend.key, "Saab")
    writer, outcome, planned = new_id_run(app, backend.key)
    assert writer.requests_sent == 3


def test_a_run_without_new_ids_keeps_the_index_up_to_date(app):
    backend = long_crm(app, 30)
    add_lead(app, backend.key, "Scania")
    new_id_run(app, backend.key)
    writer = GoogleSpreadsheet(backend.key, session=emulator_session(app))
    df = read_tables(writer, ["Leads"])["Leads"].df
    from chas_sheets.sheet.changes import ChangeSet

    changes = ChangeSet()
    changes.set_cell("Leads", "L-000001", "Status", df.loc["L-000001", "Status"], "Kontaktad")
    execute(writer, changes, "mark-processed", True)
    assert writer.requests_sent == 3
    index = index_of(app, backend.key)
    assert index.row == len(sheet(app, backend.key).worksheet("Ändringslogg").get_all_values())


def test_an_index_too_long_to_keep_is_dropped_and_the_log_read_whole(app, monkeypatch):
    backend = long_crm(app, 40)
    add_lead(app, backend.key, "Scania")
    new_id_run(app, backend.key)
    assert index_of(app, backend.key) is not None
    monkeypatch.setattr(id_index, "MAX_CHARS", 200)
    log_rows(app, backend.key, [f"K-{n:06d}" for n in range(30)])
    add_lead(app, backend.key, "Volvo")
    writer, outcome, planned = new_id_run(app, backend.key)
    assert outcome.written == 1
    assert not any(m["metadataKey"] == google_ids.INDEX_KEY
                   for m in app.store.get_spreadsheet(backend.key).developer_metadata)  # no stale one left
    add_lead(app, backend.key, "Saab")
    sent: list = []
    writer, outcome, planned = new_id_run(app, backend.key, sent)
    assert writer.requests_sent == 3 and "'Ändringslogg'" in json.loads(sent[1][0].body)["responseRanges"]


# The index's text --------------------------------------------------------------------------
def test_the_index_text_gives_back_exactly_the_ids_it_was_made_of():
    rng = random.Random(7)
    ids = {f"{p}-" + "".join(rng.choice(id_index.ALPHABET) for _ in range(6)) for p in "LKLLR" for _ in range(400)}
    ids |= {"L-000001", "domän:volvo.se", "r12", "L-222222", "L-ZZZZZZ", "Ö-ÅÄÖ;,\"x"}
    index = IdIndex(frozenset(ids), 1234, "abc")
    assert id_index.decode(id_index.encode(index)) == index
    assert id_index.decode(id_index.encode(IdIndex(frozenset(), 1, "x"))) == IdIndex(frozenset(), 1, "x")


@pytest.mark.parametrize("text", [None, "", "{", '{"v": 2}', '{"v":1,"row":3,"last":"x","ids":{"L":[5,3,"AA=="]},'
                                  '"other":[]}', '{"v":1,"row":3,"last":"x","ids":{"L":[1,0,"!"]},"other":[]}'])
def test_an_unreadable_index_is_none_not_a_guess(text):
    assert id_index.decode(text) is None


def test_the_index_holds_about_7000_tool_ids_within_its_share_of_googles_metadata_limit():
    rng = random.Random(1)

    def text(n):
        ids = {"L-" + "".join(rng.choice(id_index.ALPHABET) for _ in range(6)) for _ in range(n)}
        return id_index.encode(IdIndex(frozenset(ids), n + 1, "0123456789abcdef"))

    assert text(7000) is not None and len(text(7000)) <= id_index.MAX_CHARS
    assert text(20_000) is None  # 20,000 distinct IDs: about 60,000 characters, not kept


class RefusesTheIndex:
    """The emulator as a Google whose metadata limit is lower than the index: a batch creating
    the index is refused whole (400), as Google refuses a batch with one bad request."""

    def __init__(self, app):
        self.app, self.refused = app, 0

    def __call__(self, environ, start_response):
        import io

        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if b"createDeveloperMetadata" in body and google_ids.INDEX_KEY.encode() in body and any(
                (r.get("createDeveloperMetadata") or {}).get("developerMetadata", {}).get("metadataKey")
                == google_ids.INDEX_KEY for r in json.loads(body).get("requests") or ()):
            self.refused += 1
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                          "message": "Invalid requests[9].createDeveloperMetadata: too large"}}).encode()]
        environ = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        return self.app(environ, start_response)


def test_a_write_refused_for_its_index_is_made_without_it_and_no_stale_index_stays(app):
    backend = long_crm(app, 40)
    add_lead(app, backend.key, "Scania")
    new_id_run(app, backend.key)
    assert index_of(app, backend.key) is not None
    wrapped = RefusesTheIndex(app)
    log_rows(app, backend.key, ["L-ZZZZZZ"])
    add_lead(app, backend.key, "Volvo")
    writer = GoogleSpreadsheet(backend.key, session=emulator_session(wrapped))
    tables = read_tables(writer, ["Leads"])
    outcome = execute(writer, tables.id_changes(), "clean", True)
    assert outcome.written == 1 and wrapped.refused == 1
    assert written_ids(app, backend.key)[-1].startswith("L-")
    assert not any(m["metadataKey"] == google_ids.INDEX_KEY  # the old one would miss the new rows
                   for m in app.store.get_spreadsheet(backend.key).developer_metadata)

"""The replay's normalisation (tests/conformance_replay.py): what it maps and what it still
compares. Ids the emulator cannot know (generated ones, and the recording account's own: its
permission id, its My Drive folder, its user id in a link) are learned where the two answers
put them; a value compared by shape still differs when the shape does. No recording needed."""

from __future__ import annotations

from conformance_replay import IdMap, first_difference, strip_volatile

from chas_sheets.emulator import emulator_session, make_app

GOOGLE_LINK = "https://docs.google.com/spreadsheets/d/1GoogleSpreadsheetId/htmlembed?ouid=101377741449911561961"
OUR_LINK = "https://docs.google.com/spreadsheets/d/1EmulatorSpreadsheet/htmlembed?ouid=100000000000000000001"


def compared(google: dict, emulator: dict) -> str:
    ids = IdMap()
    ids.learn(google, emulator)
    return first_difference(strip_volatile(ids.json(google)), strip_volatile(emulator))


def test_the_accounts_ids_are_learned_where_both_answers_put_them():
    google = {"id": "1GoogleSpreadsheetId", "embedLink": GOOGLE_LINK,
              "owners": [{"permissionId": "05027979280415927516"}], "parents": [{"id": "0AGIJ7XFn4BojUk9PVA"}]}
    ours = {"id": "1EmulatorSpreadsheet", "embedLink": OUR_LINK,
            "owners": [{"permissionId": "00000000000000000001"}], "parents": [{"id": "0AAAAAAAAAAAAUk9PVA"}]}
    assert compared(google, ours) == ""


def test_a_link_whose_account_id_has_another_shape_still_differs():
    google = {"id": "1GoogleSpreadsheetId", "embedLink": GOOGLE_LINK}
    for link in (OUR_LINK.replace("ouid=100000000000000000001", "ouid=12345"),
                 OUR_LINK.replace("?ouid=100000000000000000001", ""),
                 OUR_LINK.replace("htmlembed", "edit")):
        assert compared(google, {"id": "1EmulatorSpreadsheet", "embedLink": link}).startswith(".embedLink")


def test_drives_version_is_compared_as_a_count():
    assert compared({"version": "5"}, {"version": "2"}) == ""
    assert compared({"version": "5"}, {"version": "v2"}).startswith(".version")
    assert compared({"version": "5"}, {}).startswith(".version: missing")


def test_the_emulators_v2_answer_names_its_own_account_and_counts_changes():
    from chas_sheets.emulator.drive_api import ACCOUNT_USER_ID, ROOT_FOLDER_ID

    app = make_app()
    session = emulator_session(app)
    key = session.post("https://www.googleapis.com/drive/v3/files", json={
        "name": "Import", "mimeType": "application/vnd.google-apps.spreadsheet"}).json()["id"]
    url = f"https://www.googleapis.com/upload/drive/v2/files/{key}?uploadType=media&convert=true"
    first = session.put(url, data=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"}).json()
    second = session.put(url, data=b"a,b\n3,4\n", headers={"Content-Type": "text/csv"}).json()
    assert first["embedLink"].endswith(f"/d/{key}/htmlembed?ouid={ACCOUNT_USER_ID}")
    assert [p["id"] for p in first["parents"]] == [ROOT_FOLDER_ID] and first["parents"][0]["isRoot"] is True
    assert int(second["version"]) > int(first["version"]) > 1  # up with every change, as Drive documents
    assert app.store.get_spreadsheet(key).sheets[0].cells  # the import itself still happened

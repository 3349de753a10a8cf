"""Attack: a student filters Leads in LibreOffice Calc and saves as .xlsx.

LibreOffice writes an EMPTY drawing part for a sheet with an autofilter
(`<xdr:wsDr/>`, no anchor in it: nothing drawn). chas-sheets' guard against losing charts and
images (backends/xlsx_parts.py, `_WORDS["drawing"]`) takes any drawing relationship as content,
so every write to that CRM is refused, naming "charts, images or shapes" the person cannot find
or remove: a filter, the most ordinary thing a student does, locks the CRM out of
mark-processed, clean-comments, dedupe, harvest copies and the nightly run.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TODAY = "2027-05-12"
EMPTY_DRAWING = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
                 b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
                 b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"></xdr:wsDr>')
LEADS = [{"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson", "Status": "Ny",
          "Tillagd": dt.date(2027, 3, 1)}]
LOG = [{"Datum": dt.date(2027, 5, 3), "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson",
        "Kanal": "Telefon", "Utfall": "Nej"}]


def _filtered(make_crm):
    path = make_crm("student", Leads=LEADS, Kontaktlogg=LOG)
    wb = openpyxl.load_workbook(path)
    wb["Leads"].auto_filter.ref = "A1:U2"
    wb.save(path)
    return path


def _add_empty_drawing(path, sheet_part="xl/worksheets/sheet1.xml"):
    """What LibreOffice's .xlsx export adds to a sheet with an autofilter."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    assert b"<autoFilter" in parts[sheet_part]  # it is the Leads sheet
    rels_part = sheet_part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rel = (b'<Relationship Id="rIdLO1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           b'drawing" Target="../drawings/drawing1.xml"/>')
    if rels_part in parts:
        parts[rels_part] = parts[rels_part].replace(b"</Relationships>", rel + b"</Relationships>")
    else:
        parts[rels_part] = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.'
                            b'openxmlformats.org/package/2006/relationships">' + rel + b"</Relationships>")
    sheet = parts[sheet_part]
    anchor = re.search(rb"<(legacyDrawing|tableParts|extLst)\b", sheet)
    at = anchor.start() if anchor else sheet.rindex(b"</worksheet>")
    if b'xmlns:r="' not in sheet[:300]:
        sheet = sheet.replace(b"<worksheet ", b'<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                                              b'officeDocument/2006/relationships" ', 1)
        at = (re.search(rb"<(legacyDrawing|tableParts|extLst)\b", sheet) or re.search(rb"</worksheet>", sheet)).start()
    parts[sheet_part] = sheet[:at] + b'<drawing r:id="rIdLO1"/>' + sheet[at:]
    parts["xl/drawings/drawing1.xml"] = EMPTY_DRAWING
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/'
                     b'vnd.openxmlformats-officedocument.drawing+xml"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_filtered_leads_tab_with_an_empty_drawing_is_still_written(make_crm):
    path = _filtered(make_crm)
    _add_empty_drawing(path)
    assert openpyxl.load_workbook(path)["Leads"].auto_filter.ref == "A1:U2"  # still a valid workbook
    before = _contents(path)
    result = CliRunner().invoke(cli, ["--today", TODAY, "mark-processed", str(path), "--apply"])
    assert result.exit_code == 0, result.output
    assert "charts, images or shapes" not in result.output
    _assert_kept(before, path)


def _contents(path):
    """Every tab's values and the Leads filter, as openpyxl reads them."""
    wb = openpyxl.load_workbook(path)
    return {"filter": wb["Leads"].auto_filter.ref,
            "tabs": {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb}}


def _assert_kept(before, path):
    """The write kept the filter and every value it found: but for Leads' Status and Bearbetad
    (what mark-processed decides) it only filled blank cells (IDs, links) and logged itself."""
    after = _contents(path)
    assert after["filter"] == before["filter"] and after["filter"]
    assert set(after["tabs"]) == set(before["tabs"])
    for title, rows in before["tabs"].items():
        if title == "Ändringslogg":
            continue
        if title in ("Leads", "Kontaktlogg"):
            assert len(after["tabs"][title]) == len(rows), title
        assert len(after["tabs"][title]) >= len(rows), title  # Körningar: the run is listed
        written = {"Status", "Bearbetad"} if title == "Leads" else set()  # what mark-processed decides
        for old, new in zip(rows, after["tabs"][title]):
            assert all(a == b for h, a, b in zip(rows[0], old, new) if a is not None and h not in written), title
    assert len(after["tabs"]["Ändringslogg"]) > len(before["tabs"]["Ändringslogg"])  # the write was logged


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed on this machine")
def test_a_crm_filtered_and_saved_in_libreoffice_is_still_written(make_crm, tmp_path):
    path = _filtered(make_crm)
    out = tmp_path / "saved"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    saved = out / path.name
    with zipfile.ZipFile(saved) as archive:  # what this test is about: LibreOffice's empty drawing
        drawings = [n for n in archive.namelist() if n.startswith("xl/drawings/")]
    before = _contents(saved)
    result = CliRunner().invoke(cli, ["--today", TODAY, "mark-processed", str(saved), "--apply"])
    assert result.exit_code == 0, result.output
    assert drawings, "LibreOffice no longer writes a drawing part for a filtered sheet"
    _assert_kept(before, saved)


def test_a_drawing_part_that_places_something_is_still_refused(make_crm):
    """Only an EMPTY drawing is harmless: one anchor (a chart, an image, a shape) would be lost."""
    from chas_sheets.backends.xlsx_parts import drawings_by_sheet

    path = _filtered(make_crm)
    _add_empty_drawing(path)
    assert drawings_by_sheet(path) == {}
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/drawings/drawing1.xml"] = EMPTY_DRAWING.replace(
        b"</xdr:wsDr>", b"<xdr:twoCellAnchor><xdr:from/><xdr:to/><xdr:sp/><xdr:clientData/></xdr:twoCellAnchor>"
                        b"</xdr:wsDr>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert drawings_by_sheet(path) == {"Leads": ["drawing"]}

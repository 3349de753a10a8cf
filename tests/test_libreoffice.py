"""`init` workbooks open in LibreOffice with their dropdowns (when LibreOffice is installed;
.ci/run installs it where it can)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed on this machine")
@pytest.mark.parametrize("kind, tabs", [
    ("student", ["Leads", "Kontaktlogg", "Event", "Att göra", "Körningar", "Ändringslogg"]),
    ("group", ["Leads", "Kontaktlogg", "Event", "Medlemmar", "Skörd", "Körningar", "Ändringslogg"]),
])
def test_libreoffice_opens_init_workbooks_with_their_dropdowns(tmp_path, kind, tabs):
    path = tmp_path / f"{kind}.xlsx"
    assert CliRunner().invoke(cli, ["init", kind, str(path)]).exit_code == 0
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "ods", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    content = zipfile.ZipFile(tmp_path / f"{kind}.ods").read("content.xml").decode("utf-8")
    assert re.findall(r'table:table table:name="([^"]+)"', content) == tabs
    lists = re.findall(r"cell-content-is-in-list\(([^)]*)\)", content)
    assert any("Kontaktad" in choices and "Ingen respons" in choices for choices in lists)
    assert any("Varm" in choices and "Kall" in choices for choices in lists)

"""templates/ is read at run time, so a plain (non-editable) install must carry it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_built_wheel_carries_the_templates_and_reads_the_contract(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    wheel = next(wheels.glob("chas_sheets-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    shipped = {p.name for p in (target / "chas_sheets" / "templates").iterdir()}
    assert {p.name for p in (ROOT / "templates").glob("*.toml")} <= shipped
    # -S: no site-packages, so not the editable checkout: only the installed copy is importable
    probe = ("import chas_sheets.sheet.schema as s; c = s.contract(); "
             "print(s.__file__); print(sorted(c.kinds)); print(len(c.tab('Leads').columns))")
    out = subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target)},
                         check=True, capture_output=True, text=True).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1] == "['group', 'register', 'student']"
    assert int(out[2]) >= 20

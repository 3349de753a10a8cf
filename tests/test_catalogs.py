"""One language for people: every message a person reads is in the catalogs, and the
catalogs match the code (see chas_sheets/i18n)."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

pytest.importorskip("babel")

from chas_sheets.i18n import catalogs  # noqa: E402 - after the skip: it needs Babel

PACKAGE = Path(__file__).resolve().parents[1] / "chas_sheets"
NOT_FOR_PEOPLE = ("emulator", "i18n")  # the emulator answers as Google does, in English
TRANSLATORS = {"_", "ngettext", "sheet_", "sheet_ngettext"}
# Calls whose message argument a person reads.
SPEAKING_CALLS = {"echo", "secho", "info", "fail", "UsageError", "BadParameter", "ClickException",
                  "NoSuchOption", "Abort"}
_LETTERS = re.compile(r"[A-Za-zÅÄÖåäö]{2,}")


def test_catalogs_match_the_code():
    """Every marked message is in its package's catalog, translated, compiled; none is stale."""
    assert catalogs.problems() == []


@lru_cache(maxsize=None)
def _user_errors() -> frozenset[str]:
    """ChasSheetsError and every class derived from it anywhere in the package."""
    bases = {"ChasSheetsError"}
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in bases and any(
                        _name(b) in bases for b in node.bases):
                    bases.add(node.name)
                    grew = True
    return frozenset(bases)


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _bare_text(node: ast.AST | None) -> bool:
    """A literal people would read that no catalog saw: "text", f"text {x}", "text" + x,
    "text {x}".format(...), "text %s" % x."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(_LETTERS.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_bare_text(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _bare_text(node.left) or _bare_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _bare_text(node.func.value)
    return False


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    speaking = SPEAKING_CALLS | _user_errors()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        # `_(CONSTANT)` is the convention for a constant marked N_() where defined; text made at
        # run time (f-string, concatenation, .format, a call) is what no catalog can hold
        if _name(node.func) in TRANSLATORS and node.args and not isinstance(
                node.args[0], (ast.Constant, ast.Name, ast.Attribute, ast.Subscript)):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: a catalog sees only literals: "
                         f"{ast.unparse(node.args[0])[:60]}")
            continue
        if _name(node.func) not in speaking:
            continue
        for arg in [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("message", "hint"))]:
            if _bare_text(arg):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {ast.unparse(arg)[:80]}")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if not any(part in NOT_FOR_PEOPLE for part in p.relative_to(PACKAGE).parts[:-1]))


def test_no_message_for_people_outside_the_catalogs():
    """Errors and printed lines are written `_("...")`: a bare literal would reach people in
    English whatever their language."""
    offences = [line for path in _modules() for line in _offences(path)]
    assert offences == [], f"{len(offences)} messages outside the catalogs:\n" + "\n".join(offences)


def test_the_lint_sees_what_it_must():
    """The check above catches each way a bare message is written, and lets a translated one pass."""
    source = '''
raise InvalidInput("no such tab")
raise InvalidInput(f"no tab {name}")
raise InvalidInput("no tab {name}".format(name=name))
click.echo("done " + str(n))
raise InvalidInput(_("no such tab"))
raise InvalidInput(_("no tab {name}").format(name=name))
click.echo(ngettext("{n} change", "{n} changes", n).format(n=n))
raise InvalidInput(message)
raise ValueError("internal")
raise InvalidInput(_(f"no tab {name}"))
raise InvalidInput(_(MISSING_TAB).format(name=name))
raise InvalidInput(_("no tab " + name))
'''
    path = PACKAGE / "_lint_probe.py"
    path.write_text(source, encoding="utf-8")
    try:
        offences = _offences(path)
    finally:
        path.unlink()
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in offences] == ["2", "3", "4", "5", "11", "13"]

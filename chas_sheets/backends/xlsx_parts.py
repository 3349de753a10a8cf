"""What saving through openpyxl would lose, found in a workbook's parts before anything is written.

openpyxl rewrites a workbook from what it understood and drops the parts it does not model.
Cell notes it models (kept on their cells, redrawn in a default box); macros it keeps when loaded
with keep_vba. Charts, images, shapes, form controls, threaded comments and a macro signature it
drops: those are found here so the write can be refused instead.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from xml.etree import ElementTree

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_DRAWING_PARTS = ("xl/drawings/", "xl/charts/", "xl/media/", "xl/diagrams/", "xl/threadedComments/")
_LOST_KINDS = ("drawing", "vmlDrawing", "chart", "image", "threadedComment")
VBA_PART = "xl/vbaProject.bin"
# A signed project's signature hangs off vbaProject.bin by a relationship openpyxl does not copy.
_VBA_SIGNATURE = ("xl/_rels/vbaProject.bin.rels", "xl/vbaProjectSignature")

_VML_SHAPE = re.compile(rb"<(?:\w+:)?shape[\s>/]")
_VML_OBJECT = re.compile(rb"ObjectType\s*=\s*[\"'](\w+)[\"']")

def _part(base: str, target: str) -> str:
    """A relationship's target as a part name in the archive."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _notes_only(vml: bytes) -> bool:
    """A legacy (VML) drawing that holds nothing but cell notes: openpyxl redraws those itself.
    Anything else in it (a button, a checkbox, a picture) would be lost."""
    kinds = _VML_OBJECT.findall(vml)
    return (bool(kinds) and all(kind == b"Note" for kind in kinds)
            and len(_VML_SHAPE.findall(vml)) == len(kinds) and b"imagedata" not in vml)


def drawings_by_sheet(source) -> dict[str, list[str]]:
    """Sheet title -> drawing parts (charts, images, shapes, threaded comments) openpyxl would drop
    on save. A sheet's notes are not among them."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist())
        if not any(n.startswith(_DRAWING_PARTS) for n in names):
            return found
        notes: set[str] = set()
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels.findall("p:Relationship", NS)}
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        for sheet in book.iter(f"{{{NS['m']}}}sheet"):
            part = _part("xl/workbook.xml", targets.get(sheet.get(f"{{{NS['r']}}}id"), ""))
            if _rels_of(part) not in names:
                continue
            for rel in ElementTree.fromstring(archive.read(_rels_of(part))).findall("p:Relationship", NS):
                kind = rel.get("Type", "").rsplit("/", 1)[-1]
                if kind not in _LOST_KINDS:
                    continue
                target = _part(part, rel.get("Target", ""))
                if kind == "vmlDrawing" and target in names and _notes_only(archive.read(target)):
                    notes.add(target)
                    continue
                found.setdefault(sheet.get("name"), []).append(kind)
        if not found and any(n.startswith(_DRAWING_PARTS) and n not in notes for n in names):
            found["(workbook)"] = ["drawing"]  # drawing parts not tied to a sheet we can name: still refuse
    return found


def has_macros(names: set[str]) -> bool:
    return VBA_PART in names


def macro_signature(names: set[str]) -> bool:
    return any(n.startswith(_VBA_SIGNATURE) for n in names)


_WORDS = {"drawing": "charts, images or shapes", "chart": "charts", "image": "images",
          "vmlDrawing": "shapes or form controls", "threadedComment": "threaded comments"}


def describe(lost: dict[str, list[str]]) -> str:
    """`Leads (threaded comments), Dashboard (charts, images or shapes)`"""
    return ", ".join(f"{sheet} ({', '.join(sorted({_WORDS.get(k, k) for k in kinds}))})" for sheet, kinds in lost.items())

"""What saving through openpyxl would lose, found in a workbook's parts before anything is written.

openpyxl rewrites a workbook from what it understood and drops the parts it does not model.
Cell notes it models (kept on their cells, redrawn in a default box); macros it keeps when loaded
with keep_vba; rich text when loaded with rich_text. Charts, images, shapes, form controls,
threaded comments, a macro signature and a sheet's Excel 2010+ extensions (dropdowns listing
another tab, data bars, sparklines, slicers) it drops: those are found here so the write can be
refused instead, naming what would be lost.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from xml.etree import ElementTree

from chas_sheets.i18n import _

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


def _extension_words() -> dict[str, str]:
    """A worksheet's <extLst> children by uri (openpyxl.xml.constants.EXT_TYPES), in words people
    know (built when asked: in the language of the moment)."""
    return {
        "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": _("dropdowns listing another tab (Excel 2010 data validation)"),
        "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": _("Excel 2010 conditional formats (data bars, icon sets)"),
        "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": _("sparklines"),
        "{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}": _("slicers"),
        "{3A4CF648-6AED-40F4-86FF-DC5316D8AED3}": _("slicers"),
        "{FC87AEE6-9EDD-4A0A-B7FB-166176984837}": _("protected ranges"),
        "{F7C9EE02-42E1-4005-9D12-6889AFFD525C}": _("Office add-ins"),
        "{7E03D99C-DC04-49D9-9315-930204A7B6E9}": _("timelines"),
    }


# Green error triangles a person chose to hide come back; nothing they made is lost, and refusing
# would block every run on such a workbook for a mark no one sees.
_HARMLESS_EXTENSIONS = {"{01252117-D84E-4E92-8308-4BE1C098FCBB}"}

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


# What a drawing part places on its sheet: each chart, image or shape sits in one anchor.
_ANCHOR = re.compile(rb"<(?:\w+:)?(?:twoCellAnchor|oneCellAnchor|absoluteAnchor)[\s>/]")


def _empty_drawing(xml: bytes) -> bool:
    """A drawing part that places nothing (no anchor): LibreOffice writes `<xdr:wsDr/>` for every
    sheet with an autofilter. Refusing it would lock a filtered CRM out of every write."""
    return _ANCHOR.search(xml) is None


def drawings_by_sheet(source) -> dict[str, list[str]]:
    """Sheet title -> drawing parts (charts, images, shapes, threaded comments) openpyxl would drop
    on save. A sheet's notes are not among them."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist())
        if not any(n.startswith(_DRAWING_PARTS) for n in names):
            return found
        harmless: set[str] = set()
        for title, part in _sheets(archive):
            if _rels_of(part) not in names:
                continue
            for rel in ElementTree.fromstring(archive.read(_rels_of(part))).findall("p:Relationship", NS):
                kind = rel.get("Type", "").rsplit("/", 1)[-1]
                if kind not in _LOST_KINDS:
                    continue
                target = _part(part, rel.get("Target", ""))
                if kind == "vmlDrawing" and target in names and _notes_only(archive.read(target)):
                    harmless.add(target)
                    continue
                if kind == "drawing" and target in names and _empty_drawing(archive.read(target)):
                    harmless.update({target, _rels_of(target)})  # nothing drawn: nothing to lose
                    continue
                found.setdefault(title, []).append(kind)
        if not found and any(n.startswith(_DRAWING_PARTS) and n not in harmless for n in names):
            found["(workbook)"] = ["drawing"]  # drawing parts not tied to a sheet we can name: still refuse
    return found


def _sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(title, part name) of every worksheet."""
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("p:Relationship", NS)}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    return [(sheet.get("name"), _part("xl/workbook.xml", targets.get(sheet.get(f"{{{NS['r']}}}id"), "")))
            for sheet in book.iter(f"{{{NS['m']}}}sheet")]


def extensions_by_sheet(source, skip: set[str] = frozenset()) -> dict[str, list[str]]:
    """Sheet title -> the Excel 2010+ features in its <extLst> that openpyxl drops on save."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist())
        for title, part in _sheets(archive):
            if title in skip or part not in names:
                continue
            data = archive.read(part)
            if b"extLst" not in data:  # most sheets: no parse needed
                continue
            ext_list = ElementTree.fromstring(data).find("m:extLst", NS)
            for ext in [] if ext_list is None else ext_list:
                uri = (ext.get("uri") or "").upper()
                if uri in _HARMLESS_EXTENSIONS:
                    continue
                word = _extension_words().get(uri) or _("an Excel extension chas-sheets cannot keep ({uri})").format(
                    uri=uri or "-")
                if word not in found.get(title, []):
                    found.setdefault(title, []).append(word)
    return found


def note_cells_by_sheet(source) -> dict[str, list[str]]:
    """Sheet title -> the cells (A1 references) that carry a note in the file."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist())
        for title, part in _sheets(archive):
            if _rels_of(part) not in names:
                continue
            for rel in ElementTree.fromstring(archive.read(_rels_of(part))).findall("p:Relationship", NS):
                target = _part(part, rel.get("Target", ""))
                if rel.get("Type", "").endswith("/comments") and target in names:
                    comments = ElementTree.fromstring(archive.read(target))
                    found.setdefault(title, []).extend(c.get("ref") for c in comments.iter(f"{{{NS['m']}}}comment"))
    return found


def has_macros(names: set[str]) -> bool:
    return VBA_PART in names


def macro_signature(names: set[str]) -> bool:
    return any(n.startswith(_VBA_SIGNATURE) for n in names)


def _lost_words() -> dict[str, str]:
    return {"drawing": _("charts, images or shapes"), "chart": _("charts"), "image": _("images"),
            "vmlDrawing": _("shapes or form controls"), "threadedComment": _("threaded comments")}


def describe(lost: dict[str, list[str]]) -> str:
    """`Leads (threaded comments), Dashboard (charts, images or shapes)`"""
    return ", ".join(f"{sheet} ({', '.join(sorted({_lost_words().get(k, k) for k in kinds}))})"
                     for sheet, kinds in lost.items())


def describe_extensions(lost: dict[str, list[str]]) -> str:
    return "; ".join(f"{sheet}: {', '.join(words)}" for sheet, words in lost.items())

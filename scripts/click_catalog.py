"""Bring the Swedish catalog of Click's own messages in step with the installed Click (a
developer's tool; needs Babel, from the test extras):

    python scripts/click_catalog.py          # add Click's new msgids (untranslated), drop gone ones, compile
    python scripts/click_catalog.py --check  # list Click's msgids the catalog lacks or leaves untranslated

The catalog is chas_sheets/locale/sv/LC_MESSAGES/click.po; chas_sheets.cli.click_i18n puts it to
use while the command line runs. Translate what --check lists, then run the first form again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import write_po

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chas_sheets.i18n import catalogs  # noqa: E402 - after the path

DOMAIN = "click"


def clicks_messages() -> Catalog:
    template = Catalog(fuzzy=False)
    for path in sorted(Path(click.__file__).parent.glob("*.py")):
        for lineno, message, _comments, context in extract_from_file(
                "python", str(path), keywords={"_": None, "ngettext": (1, 2)}):
            template.add(message, locations=[(f"click/{path.name}", lineno)], context=context)
    return template


def missing() -> list[str]:
    catalog = catalogs.read(catalogs.po_path("sv", DOMAIN), "sv")
    found = []
    for message in clicks_messages():
        have = catalog.get(message.id, message.context)
        if message.id and (have is None or not catalogs._translated(have)):
            found.append(repr(message.id))
    return found


def update() -> None:
    path = catalogs.po_path("sv", DOMAIN)
    catalog = catalogs.read(path, "sv")
    catalog.update(clicks_messages(), no_fuzzy_matching=True)
    catalog.fuzzy = False
    with open(path, "wb") as handle:
        write_po(handle, catalog, ignore_obsolete=True, omit_header=False, width=100, sort_output=False)
    catalogs.compile_all([DOMAIN])


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        lines = missing()
        print("\n".join(lines))
        sys.exit(1 if lines else 0)
    update()

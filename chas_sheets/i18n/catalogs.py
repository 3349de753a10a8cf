"""Keep the message catalogs in step with the code (a developer's tool; needs Babel, from the
test extras): `python -m chas_sheets.i18n.catalogs update|compile|check [PACKAGE...]`.

One catalog per package, named after it (`core` for the modules at the package's top):
`update` adds the code's new msgids to every language's .po (empty, to be translated) and
drops those the code no longer has; `compile` writes each .mo; `check` lists what is missing,
untranslated or stale, and exits 1 if anything is (tests/test_catalogs.py runs it).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from chas_sheets.i18n import LOCALE_DIR, help_msgid

PACKAGE_DIR = LOCALE_DIR.parent
TRANSLATED = ("sv",)  # English is the msgids themselves
# Not for people: the emulator answers as Google does (in English), whatever our language.
NOT_TRANSLATED = {"emulator", "i18n", "locale", "__pycache__"}
KEYWORDS = {"_": None, "ngettext": (1, 2), "sheet_": None, "sheet_ngettext": (1, 2), "N_": None}
# A function decorated with one of these (`@command()`, `@click.group()`, `@cohort.command()`) is a
# Click command: its docstring is its --help, a message (option help is marked `N_()` where written).
COMMAND_DECORATORS = {"command", "group"}
HEADER = {
    "sv": "Plural-Forms: nplurals=2; plural=(n != 1);",
}


def domains() -> dict[str, list[Path]]:
    """Each catalog and the source files whose messages it holds."""
    found: dict[str, list[Path]] = {"core": sorted(PACKAGE_DIR.glob("*.py"))}
    for folder in sorted(p for p in PACKAGE_DIR.iterdir() if p.is_dir() and p.name not in NOT_TRANSLATED):
        if (folder / "__init__.py").exists():
            found[folder.name] = sorted(folder.rglob("*.py"))
    return found


def template(files: list[Path]):
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    catalog = Catalog(fuzzy=False)
    for path in files:
        for lineno, message, comments, context in extract_from_file(
                "python", str(path), keywords=KEYWORDS, comment_tags=("Translators:",)):
            where = [(str(path.relative_to(PACKAGE_DIR.parent)).replace("\\", "/"), lineno)]
            catalog.add(message, locations=where, auto_comments=comments, context=context)
        for lineno, message in command_docstrings(path):
            where = [(str(path.relative_to(PACKAGE_DIR.parent)).replace("\\", "/"), lineno)]
            catalog.add(message, locations=where)
    return catalog


def command_docstrings(path: Path) -> list[tuple[int, str]]:
    """(line, msgid) of each Click command's docstring in `path`: the text its --help shows
    (`help_msgid`, as the command looks it up when it is shown)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                _decorator_name(d) in COMMAND_DECORATORS for d in node.decorator_list):
            docstring = ast.get_docstring(node, clean=False)
            if docstring and help_msgid(docstring):
                found.append((node.body[0].lineno, help_msgid(docstring)))
    return found


def _decorator_name(node) -> str | None:
    import ast

    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def po_path(lang: str, domain: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path, lang: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.exists():
        return Catalog(locale=lang, domain=path.stem, fuzzy=False)
    with open(path, "rb") as handle:
        return read_po(handle, locale=lang, domain=path.stem)


def _chosen(only: list[str] | None) -> dict[str, list[Path]]:
    found = domains()
    return {domain: files for domain, files in found.items() if not only or domain in only}


def update(only: list[str] | None = None) -> None:
    from babel.messages.pofile import write_po

    for domain, files in _chosen(only).items():
        tmpl = template(files)
        for lang in TRANSLATED:
            path = po_path(lang, domain)
            if not len(tmpl) and not path.exists():
                continue
            catalog = read(path, lang)
            catalog.update(tmpl, no_fuzzy_matching=True)
            catalog.fuzzy = False
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                write_po(handle, catalog, ignore_obsolete=True, omit_header=False, width=100, sort_output=False)


def compiled(path: Path, lang: str) -> bytes:
    from babel.messages.mofile import write_mo

    catalog = read(path, lang)
    catalog.fuzzy = False
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all(only: list[str] | None = None) -> None:
    for lang in TRANSLATED:
        for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
            if only and po.stem not in only:
                continue
            po.with_suffix(".mo").write_bytes(compiled(po, lang))


def problems(only: list[str] | None = None) -> list[str]:
    """What keeps the catalogs from matching the code, one line each."""
    found = []
    for domain, files in _chosen(only).items():
        tmpl = template(files)
        for lang in TRANSLATED:
            path = po_path(lang, domain)
            catalog = read(path, lang)
            for message in tmpl:
                if not message.id:
                    continue
                have = catalog.get(message.id, message.context)
                if have is None:
                    found.append(f"{lang}/{domain}: not in the catalog: {message.id!r}")
                elif have.fuzzy or not _translated(have):
                    found.append(f"{lang}/{domain}: not translated: {message.id!r}")
            for message in catalog:
                if message.id and tmpl.get(message.id, message.context) is None:
                    found.append(f"{lang}/{domain}: no longer in the code: {message.id!r}")
            if path.exists() and (not path.with_suffix(".mo").exists()
                                  or path.with_suffix(".mo").read_bytes() != compiled(path, lang)):
                found.append(f"{lang}/{domain}: {path.with_suffix('.mo').name} is not compiled from its .po")
    return found


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return all(s for s in strings)


def main(argv: list[str]) -> int:
    command, only = (argv[0], argv[1:] or None) if argv else ("check", None)
    if command == "update":
        update(only)
    elif command == "compile":
        compile_all(only)
    elif command == "check":
        lines = problems(only)
        for line in lines:
            print(line)
        return 1 if lines else 0
    else:
        print("usage: python -m chas_sheets.i18n.catalogs update|compile|check [PACKAGE...]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

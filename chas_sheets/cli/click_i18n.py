"""Click's own words ("Usage:", "Error:", "Options:", "Missing argument", ...) in the language
of our messages.

Click marks its messages for gettext with the stdlib's module-level functions, bound into each
of its modules when imported (`from gettext import gettext as _`, `from gettext import
ngettext`). Those look in the process-wide default domain, in the language the environment
says. The way the gettext documentation gives (`gettext.bindtextdomain` + `gettext.textdomain`)
changes that default domain for everything else in the process and ignores `--lang` (Click's
issue #2706 describes the trap). So instead, while our command line runs, the `_` and
`ngettext` names in Click's modules are chas_sheets.i18n's translators, and they are put back
when it returns: Click speaks the language `--lang`/`CHAS_SHEETS_LANG`/the locale chose (its
Swedish is the `click` catalog beside ours, chas_sheets/locale/sv/LC_MESSAGES/click.po), and
nothing outside the run changes, other Click programs in the process included.
"""

from __future__ import annotations

import contextlib
import gettext
import importlib
import sys
from typing import Iterator

from chas_sheets import i18n

# Click's modules that translate (a module Click imports later, e.g. on Windows only, is patched
# too if it is loaded when the run starts).
CLICK_MODULES = ("click.core", "click.exceptions", "click.decorators", "click.types", "click.formatting",
                 "click.parser", "click.termui", "click.utils", "click.shell_completion", "click._termui_impl")


def _click_modules() -> list:
    for name in CLICK_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    return [module for name, module in sorted(sys.modules.items())
            if (name == "click" or name.startswith("click.")) and module is not None]


@contextlib.contextmanager
def click_speaks_our_language() -> Iterator[None]:
    """Within the block, Click's messages go through our catalogs; afterwards, as before."""
    saved = []
    for module in _click_modules():
        for name, stdlib, ours in (("_", gettext.gettext, i18n._), ("ngettext", gettext.ngettext, i18n.ngettext)):
            if getattr(module, name, None) is stdlib:
                saved.append((module, name, stdlib))
                setattr(module, name, ours)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)

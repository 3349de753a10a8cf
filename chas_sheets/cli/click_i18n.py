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

import click

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


# --------------------------------------------------------------------------- --help
# Click builds a command's help from its docstring and each option's `help=` when the module is
# imported, before `--lang` is read. So the commands and options below keep that English text
# (the msgid) and look it up in the catalogs each time Click reads it, when it writes `--help`
# or the group's list of commands: the help is in the language of the run that shows it.

class _InOurLanguage:
    """An attribute set to English help text (a msgid, marked where it is written) that reads
    as that text in the language people read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_msgid"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return help_in_our_language(obj.__dict__.get(self.slot))

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.slot] = value


def help_in_our_language(text: str | None) -> str | None:
    """`text` (a docstring or `help=`) as the catalogs word it; its msgid is the text Click shows
    in English (i18n.help_msgid: cleaned like a docstring, cut at Click's form feed)."""
    if not text:
        return text
    msgid = i18n.help_msgid(text)  # marked where written: N_() for help=, the catalogs tool for docstrings
    return i18n._(msgid)


class HelpOption(click.Option):
    help = _InOurLanguage()


class HelpArgument(click.Argument):
    help = _InOurLanguage()


# Click's own help option: Click words it when first asked and keeps it, in the language of that
# moment (a later run in the same process, another language, would show it stale). Its msgid is
# Click's, translated in the `click` catalog.
CLICK_HELP_OPTION = "Show this message and exit."


class HelpCommand(click.Command):
    """A command whose help, short help and epilog are looked up when shown."""

    help = _InOurLanguage()
    short_help = _InOurLanguage()
    epilog = _InOurLanguage()

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = i18n._(CLICK_HELP_OPTION)
        return option


class HelpGroup(HelpCommand, click.Group):
    """A group like HelpCommand; the commands and groups made with its decorators are too."""

    command_class = HelpCommand
    group_class = type  # its own class


def command(*args, **kwargs):
    """click.command, with its help in our language (see HelpCommand)."""
    return click.command(*args, cls=kwargs.pop("cls", HelpCommand), **kwargs)


def group(*args, **kwargs):
    return click.group(*args, cls=kwargs.pop("cls", HelpGroup), **kwargs)


def option(*param_decls, **kwargs):
    """click.option whose `help=` (marked `N_()`) is shown in our language."""
    return click.option(*param_decls, cls=kwargs.pop("cls", HelpOption), **kwargs)

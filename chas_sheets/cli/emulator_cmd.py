"""`chas-sheets emulator [--host H] [--port N] [--state FILE] [--read-quota N] [--write-quota N]`."""

import errno

import click

from chas_sheets.cli.click_i18n import command, option
from chas_sheets.i18n import N_, _

# Why the server could not listen, said as what to do about it (errno from bind()).
_CANNOT_LISTEN = {
    errno.EADDRINUSE: N_("port {port} is in use (another emulator?): choose another with --port"),
    errno.EACCES: N_("port {port} needs administrator rights: choose one above 1023 with --port"),
    errno.EADDRNOTAVAIL: N_("{host} is not an address of this machine: use --host 127.0.0.1"),
}


@command("emulator")
@option("--host", default="127.0.0.1", show_default=True,
        help=N_("Address to listen on. Keep loopback unless you know why not."))
@option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
        help=N_("Port to listen on (0 picks a free one)."))
@option("--state", "state_file", type=click.Path(dir_okay=False),
        help=N_("JSON file keeping the spreadsheets across restarts (created on first write)."))
@option("--read-quota", type=click.IntRange(1), default=None,
        help=N_("Read requests allowed per minute before answering 429, like Google (default: no limit; Google's is 60 per user)."))
@option("--write-quota", type=click.IntRange(1), default=None,
        help=N_("Write requests allowed per minute before answering 429 (default: no limit)."))
def emulator(host: str, port: int, state_file: str | None, read_quota: int | None, write_quota: int | None):
    """Serve a Google Sheets API emulator on your machine, for trying things offline.

    It answers Google's own paths (/v4/spreadsheets/..., /drive/v3/files...) with Google's
    JSON, keeping spreadsheets in memory (or in --state FILE). Point chas-sheets at it with

    \b
        CHAS_SHEETS_API_URL=http://127.0.0.1:8765 chas-sheets check SPREADSHEET_KEY

    Request counts: GET /_emulator/stats. Faults for tests: POST /_emulator/faults with
    {"kind": "error"|"drop"|"slow"|"edit", ...}. Stop with Ctrl+C.
    """
    from chas_sheets.emulator import make_app, serve
    from chas_sheets.emulator.discovery import DescriptionsMissing, require_documents

    try:
        require_documents()
    except DescriptionsMissing as exc:
        raise click.ClickException(str(exc)) from exc
    app = make_app(state_file=state_file, read_quota_per_minute=read_quota, write_quota_per_minute=write_quota)
    try:
        serve(host=host, port=port, app=app)
    except OSError as exc:
        if exc.errno not in _CANNOT_LISTEN:
            raise
        raise click.ClickException(_(_CANNOT_LISTEN[exc.errno]).format(host=host, port=port)) from exc

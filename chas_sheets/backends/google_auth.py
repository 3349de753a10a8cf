"""Google credentials: a service account (backoffice) or a person's own login (students).

- A service-account key file from `--credentials FILE` or GOOGLE_APPLICATION_CREDENTIALS.
- Otherwise the installed-app OAuth flow (google-auth-oauthlib): a browser opens once, the
  token is cached in the user's config dir (`~/.config/chas-sheets/token.json`, mode 0600)
  and refreshed from there. The OAuth client file (`client_secret.json`, handed out by the
  school) is given with `--credentials` or kept next to the token.
Only the scopes a job needs are asked for. Nothing here ever prints a key or a token.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from chas_sheets.errors import BackendError
from chas_sheets.i18n import _

SPREADSHEETS = "https://www.googleapis.com/auth/spreadsheets"
# Files this app creates or shares (init, --share): not the user's whole Drive.
DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
# Read-only file metadata: the changes feed and the sharing audit of CRMs shared with us.
DRIVE_METADATA = "https://www.googleapis.com/auth/drive.metadata.readonly"
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
TOKEN_FILE = "token.json"
CLIENT_FILE = "client_secret.json"


@dataclass
class Identity:
    """Credentials and who they act as, for messages like 'share it with <e-mail>'."""

    credentials: Any
    who: str


def on_windows() -> bool:
    return os.name == "nt"


def config_dir() -> Path:
    """Where the token and the OAuth client file live: $XDG_CONFIG_HOME or ~/.config, and on
    Windows the user's own %APPDATA% (private to them by the profile's permissions)."""
    base = os.environ.get("XDG_CONFIG_HOME")
    if not base and on_windows() and os.environ.get("APPDATA"):
        base = os.environ["APPDATA"]
    base = base or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "chas-sheets"


def write_private(path: Path, text: str) -> None:
    """Write a secret so that only its owner can read it, whatever the umask (0600).

    Portable on purpose: students run Windows, where os.fchmod exists only from Python 3.13.
    mkstemp makes the file 0600 on POSIX; chmod by path says so again on every platform."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackendError(_("credentials file {path} not found").format(path=path)) from None
    except (OSError, ValueError) as exc:  # never echo the content: it is a secret
        raise BackendError(_("credentials file {path} is not readable JSON ({reason})").format(
            path=path, reason=type(exc).__name__)) from None
    if not isinstance(data, dict):
        raise BackendError(_("credentials file {path} is not a Google credentials file").format(path=path))
    return data


def login_prompt() -> str:
    """What the browser login prints (google-auth-oauthlib fills in {url})."""
    return _("Log in to Google in the browser; if none opened, open this address in one "
             "(chas-sheets waits here):\n{url}")


def has_browser() -> bool:
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _installed_app_flow(client_config: dict, scopes: Sequence[str]):
    from google_auth_oauthlib.flow import InstalledAppFlow

    return InstalledAppFlow.from_client_config(client_config, scopes=list(scopes))


def user_login(client_config: dict | None, scopes: Sequence[str], *, token_path: Path | None = None,
               flow_factory: Callable[[dict, Sequence[str]], Any] = _installed_app_flow) -> Identity:
    """A person's own Google login: the cached token, refreshed, or the browser flow once."""
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    token_path = token_path or config_dir() / TOKEN_FILE
    creds = None
    if token_path.exists():
        try:
            creds = Credentials.from_authorized_user_info(_read_json(token_path))
        except (BackendError, ValueError):
            creds = None  # a damaged cache: log in again
    wanted = set(scopes)
    if creds is not None and wanted <= set(creds.scopes or ()):
        if creds.valid:
            return Identity(creds, _("your Google account"))
        if creds.refresh_token:
            try:
                creds.refresh(Request())
                write_private(token_path, creds.to_json())
                return Identity(creds, _("your Google account"))
            except RefreshError:
                pass  # revoked or expired for good: log in again
    if client_config is None:
        client_path = config_dir() / CLIENT_FILE
        if not client_path.exists():
            raise BackendError(_("no Google credentials: give --credentials FILE (a service-account key or the "
                                 "school's OAuth client file), or put the OAuth client file at {path}").format(
                                     path=client_path))
        client_config = _read_json(client_path)
    all_scopes = sorted(wanted | set(creds.scopes or ()) if creds is not None else wanted)
    flow = flow_factory(client_config, all_scopes)
    # Without a browser here (a server, a locked-down laptop) the address is printed instead,
    # to open in any browser that can reach this machine; the login then goes on as usual.
    creds = flow.run_local_server(port=0, open_browser=has_browser(), authorization_prompt_message=login_prompt())
    write_private(token_path, creds.to_json())
    return Identity(creds, _("your Google account"))


def service_account_email(credentials_file: str | os.PathLike | None) -> str | None:
    """The `client_email` of a service-account key (the file, else GOOGLE_APPLICATION_CREDENTIALS);
    None for a login, no file, or a file that cannot be read (opening a spreadsheet says why)."""
    path = credentials_file or os.environ.get(CREDENTIALS_ENV)
    try:
        info = _read_json(Path(path)) if path else {}
    except BackendError:
        return None
    email = info.get("client_email") if info.get("type") == "service_account" else None
    return email if isinstance(email, str) and "@" in email else None


def load_identity(credentials_file: str | os.PathLike | None, scopes: Sequence[str], **login_options) -> Identity:
    """Credentials for `scopes` from a file (or GOOGLE_APPLICATION_CREDENTIALS), else a login."""
    path = credentials_file or os.environ.get(CREDENTIALS_ENV)
    if not path:
        return user_login(None, scopes, **login_options)
    info = _read_json(Path(path))
    kind = info.get("type")
    if kind == "service_account":
        from google.oauth2 import service_account

        try:
            creds = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
        except (ValueError, KeyError) as exc:
            raise BackendError(_("{path}: not a usable service-account key ({reason})").format(
                path=path, reason=type(exc).__name__)) from None
        return Identity(creds, info.get("client_email") or _("the service account"))
    if kind == "authorized_user":
        from google.oauth2.credentials import Credentials

        return Identity(Credentials.from_authorized_user_info(info, scopes=list(scopes)), _("your Google account"))
    if "installed" in info or "web" in info:
        return user_login(info, scopes, **login_options)
    raise BackendError(_("{path}: neither a service-account key nor an OAuth client file").format(path=path))

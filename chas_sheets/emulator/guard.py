"""What a local server must refuse that Google's servers need not: requests a web page in the
person's browser can make.

- DNS rebinding: a page on `evil.example` whose name resolves to 127.0.0.1 reaches the
  emulator with `Host: evil.example`. Rebinding needs a name, so an address (127.0.0.1, a
  LAN address for `--host 0.0.0.0`) is always answered; of names, only `localhost`, the name
  the server was told to listen on and Google's own API hosts (the in-process client).
- Cross-site requests to the controls: a page can POST `text/plain` or a form anywhere
  without asking; it cannot send `application/json` cross-site without a CORS preflight, which
  the emulator never grants. So a control that changes state takes JSON only.
"""

from __future__ import annotations

import ipaddress

from chas_sheets.emulator.errors import ApiError

LOOPBACK_NAMES = frozenset({"localhost"})
GOOGLE_SUFFIX = ".googleapis.com"


def host_name(environ: dict) -> str:
    """The name the client asked for, without its port (`[::1]:8765` -> `::1`)."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_safe(name: str) -> bool:
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def check_host(environ: dict, also_allowed: frozenset[str] = frozenset()) -> None:
    name = host_name(environ)
    if _is_safe(name) or name in also_allowed or name.endswith(GOOGLE_SUFFIX):
        return
    raise ApiError(403, f"The emulator answers only requests for this machine, not for host {name!r} "
                        "(a web page may be trying to reach it).")


def check_control(environ: dict, method: str) -> None:
    if method in ("GET", "HEAD"):
        return
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "Emulator controls that change state take Content-Type: application/json "
                            f"(got {content_type or 'none'}).")

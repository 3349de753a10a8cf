"""Who may call: Google's 401 without a valid access token and 403 when its scopes do not
cover the method (the scopes each method accepts come from the discovery documents).

Tokens are self-describing: `emulator-token:<scope> <scope> ...` (google_http.emulator_token
makes them from the scopes a client asks for, the token endpoint from a service account's
assertion). The older fixed token `emulator-access-token` stands for gspread's default
scopes (spreadsheets + the whole Drive), what a gspread client logs in with.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

from chas_sheets.backends.google_http import EMULATOR_TOKEN_PREFIX, emulator_token
from chas_sheets.emulator import discovery
from chas_sheets.emulator.errors import ApiError

AUTH = "https://www.googleapis.com/auth/"
GSPREAD_TOKEN = "emulator-access-token"
GSPREAD_SCOPES = frozenset({AUTH + "spreadsheets", AUTH + "drive"})
_SEE = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
MISSING = ("Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
           "or other valid authentication credential. " + _SEE)
INVALID = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
           "or other valid authentication credential. " + _SEE)
INSUFFICIENT = "Request had insufficient authentication scopes."


def scopes_of(token: str) -> frozenset[str] | None:
    "The scopes a token carries; None for a token the emulator never issued."
    if token == GSPREAD_TOKEN:
        return GSPREAD_SCOPES
    if token.startswith(EMULATOR_TOKEN_PREFIX):
        return frozenset(token[len(EMULATOR_TOKEN_PREFIX):].split())
    return None


def _unauthenticated(message: str, drive: bool) -> ApiError:
    error = ApiError(401, message, drive=drive, headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
    if drive:
        error.drive_errors = [{"message": "Login Required.", "domain": "global", "reason": "required",
                               "location": "Authorization", "locationType": "header"}]
    return error


def check(environ: dict, api: str, method_id: str) -> None:
    """Raise Google's 401 or 403 unless the request's bearer token may call `method_id`."""
    drive = api.startswith("drive.")
    header = environ.get("HTTP_AUTHORIZATION", "").strip()
    if not header:
        raise _unauthenticated(MISSING, drive)
    kind, _, token = header.partition(" ")
    scopes = scopes_of(token.strip()) if kind.lower() == "bearer" else None
    if scopes is None:
        raise _unauthenticated(INVALID, drive)
    spec = discovery.method(api, method_id) or {}
    accepted = set(spec.get("scopes") or ())
    if accepted and not accepted & scopes:
        error = ApiError(403, INSUFFICIENT, drive=drive, details=None if drive else [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
            "metadata": {"service": "drive.googleapis.com" if drive else "sheets.googleapis.com",
                         "method": method_id}}])
        if drive:
            error.drive_errors = [{"message": "Insufficient Permission", "domain": "global",
                                   "reason": "insufficientPermissions"}]
        raise error


def token_answer(body) -> dict:
    """POST /token: a token for the scopes asked (`scope=`, or the `scope` claim of a service
    account's JWT assertion); gspread's default scopes when none are named."""
    form = body if isinstance(body, dict) else {}
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        form = {k: v[-1] for k, v in parse_qs(text).items()}
    scope = form.get("scope") or _assertion_scope(form.get("assertion"))
    token = emulator_token(scope.split()) if scope else GSPREAD_TOKEN
    return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}


def _assertion_scope(assertion) -> str | None:
    "The `scope` claim of an (unverified) JWT: the emulator trusts any key, as it has no accounts."
    if not isinstance(assertion, str) or assertion.count(".") != 2:
        return None
    payload = assertion.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims.get("scope") if isinstance(claims, dict) else None

"""The one HTTP layer of the Google backend: bounded, jittered retries and clear errors.

gspread's `BackOffHTTPClient` never gives up, has no jitter and ignores `Retry-After`, and it
retries writes whose outcome is unknown. This subclass of gspread's `HTTPClient` (so gspread
objects accept it too) retries:
- any request on 429 (a quota refuses it before doing anything) and when the connection
  could not even be opened (nothing was sent);
- reads (GET), and writes the caller marks `repeatable`, also on 5xx, 408, timeouts and
  dropped connections;
- any other write whose outcome is unknown (500, 502, 503, 504, 408, a timeout or a dropped
  connection after sending) is never repeated blindly: `WriteOutcomeUnknown` lets the caller
  find out what happened (the Google backend looks for the run's rows in Ändringslogg).
  503 included: Google's own definition of UNAVAILABLE (google.rpc.Code, the status a Sheets
  503 carries) says it "is most likely a transient condition ... Note that it is not always
  safe to retry non-idempotent operations" (googleapis/google/rpc/code.proto; the gRPC status
  docs add "there is NOT A GUARANTEE that the server has not seen anything"; Google Cloud's
  C++ retry-policies guide: "some operations are not safe to retry, regardless of the nature
  of the error"). A batchUpdate that deletes a row by position or appends rows is such an
  operation: repeated, it deletes the next row too and doubles the appended ones.
Everything stops after `RetryPolicy.total_seconds`, with a one-line `BackendError`.

`CHAS_SHEETS_API_URL` (or `api_url=`) sends every request to an emulator instead: only scheme
and host change, Google's paths stay as they are. A refused connection there is not retried:
nothing listens at a configured emulator address (it was not started), and 35 s of silent
retries would look like an outage; it is one line naming the address and what to do. Google's
own failures are retried as above, and the first retry says so on stderr (once per process).
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import requests
from gspread.http_client import HTTPClient

from chas_sheets.errors import BackendError, InvalidInput
from chas_sheets.i18n import _

API_URL_ENV = "CHAS_SHEETS_API_URL"
RETRY_SECONDS_ENV = "CHAS_SHEETS_RETRY_SECONDS"
SHEETS_HOST = "https://sheets.googleapis.com"
DRIVE_HOST = "https://www.googleapis.com"
SHEETS_URL = SHEETS_HOST + "/v4/spreadsheets"
DRIVE_URL = DRIVE_HOST + "/drive/v3"
_GOOGLE_HOSTS = (SHEETS_HOST, DRIVE_HOST)
_ALWAYS_RETRIED = (429,)  # RESOURCE_EXHAUSTED: refused by the quota before anything was done
_READ_RETRIED = (408, 500, 502, 503, 504)  # a write answered so may have been applied: see above
_DRIVE_RATE_REASONS = ("userRateLimitExceeded", "rateLimitExceeded")


class GoogleApiError(BackendError):
    "Google answered with an error (status, Google's one-line message)."

    def __init__(self, status: int, message: str, url: str = ""):
        super().__init__(_("Google API error {status}: {message}").format(status=status, message=message))
        self.status = status
        self.message = message
        self.url = url


class WriteOutcomeUnknown(BackendError):
    "A write was sent but its answer was lost: it may or may not have been applied."

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message  # short: 'error 500', 'connection dropped'


# Scheme and host (and port) only: Google's paths are appended to it as they are.
_API_URL = re.compile(r"^https?://([^/\s:?#@\[\]]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?/?$")


# Requests to the emulator act as its owner, this account, with a token naming the scopes the
# client asked for (the emulator refuses a call those scopes do not cover, as Google does): the
# client side of that contract lives here, so production code never imports the emulator.
EMULATOR_ACCOUNT = "emulator@chas-sheets-emulator.iam.gserviceaccount.com"
EMULATOR_TOKEN_PREFIX = "emulator-token:"


def emulator_token(scopes) -> str:
    "The bearer token the emulator grants for `scopes`."
    return EMULATOR_TOKEN_PREFIX + " ".join(sorted(scopes))


def api_url_from_env() -> str | None:
    """CHAS_SHEETS_API_URL, checked up front: a mistyped one (no scheme, a path) is one clear
    error instead of a minute of retries that look like an outage."""
    value = os.environ.get(API_URL_ENV, "").strip()
    if value and not _API_URL.match(value):
        raise InvalidInput(_("{env}={value} is not an emulator address: it must look like "
                             "http://127.0.0.1:8765 (scheme, host and port only)").format(env=API_URL_ENV, value=value))
    return value.rstrip("/") or None


def unused_credentials_note(given_as: str) -> str | None:
    """Why a credentials file given as `given_as` ('--credentials key.json') is never read, if it is not.

    The emulator needs no credentials, so with CHAS_SHEETS_API_URL set the file is skipped:
    said out loud, a wrong path or key is not taken for a working one.
    """
    api_url = api_url_from_env()
    if not api_url:
        return None
    return _("note: {given_as} is not used: {env} sends requests to the emulator at {url}").format(
        given_as=given_as, env=API_URL_ENV, url=api_url)


def rewrite_url(url: str, api_url: str | None) -> str:
    """Google's URL with scheme and host replaced by the emulator's (paths unchanged)."""
    if not api_url:
        return url
    for host in _GOOGLE_HOSTS:
        if url.startswith(host):
            return api_url + url[len(host):]
    return url


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter, bounded in attempts and in total time."""

    total_seconds: float = 60.0
    max_attempts: int = 8
    base_seconds: float = 1.0
    cap_seconds: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random
    # Pacing: at least this long between requests (1.0 keeps a long nightly run inside
    # Google's 60 requests per minute per user instead of running into 429s).
    pace_seconds: float = 0.0
    waits: list[float] = field(default_factory=list)  # every retry wait taken, for reports and tests
    # Told once, before the first wait, that a request is being retried (from_env: stderr, so a
    # person does not take a minute of backoff for a hang); None: silent (tests, libraries).
    announce: Callable[[str], None] | None = None
    announced: bool = False
    _last_request: float | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> "RetryPolicy":
        seconds = os.environ.get(RETRY_SECONDS_ENV)
        return cls(total_seconds=float(seconds), announce=to_stderr) if seconds else cls(announce=to_stderr)

    def pace(self) -> None:
        """Wait until `pace_seconds` have passed since the previous request (shared by every
        client given this policy)."""
        if self.pace_seconds and self._last_request is not None:
            gap = self._last_request + self.pace_seconds - self.clock()
            if gap > 0:
                self.sleep(gap)
        self._last_request = self.clock()

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Wait before retry number `attempt` (0-based): Google's min(2^n + jitter, cap),
        never shorter than what the server asked for in Retry-After."""
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** min(attempt, 30) + self.rand() * self.base_seconds)
        return max(backoff, retry_after or 0.0)


_told: list[str] = []  # what to_stderr said: once per process, however many clients retry


def to_stderr(line: str) -> None:
    """The announcer of `RetryPolicy.from_env`: the first retry of the process, on stderr."""
    if not _told:
        _told.append(line)
        print(line, file=sys.stderr, flush=True)  # sys.stderr looked up now: the CLI's masking wraps it


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from Google; the backoff alone is used


def _error_message(response: requests.Response) -> tuple[str, str]:
    """(message, Drive reason) from Google's error body, whatever its shape."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return (response.text.strip()[:200] or response.reason or "no message"), ""
    if not isinstance(error, dict):
        return str(error)[:200], ""
    errors = error.get("errors") or [{}]
    return str(error.get("message") or response.reason), str(errors[0].get("reason", ""))


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request never left: connection refused, DNS failure, connect timeout."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    text = f"{type(reason).__name__} {reason}"
    return "NewConnectionError" in text or "NameResolutionError" in text or "Connection refused" in text


def refused(exc: requests.RequestException) -> bool:
    """True when the other end refused the connection: nothing listens at that address."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    text = f"{reason} {exc}".lower()
    return "connection refused" in text or "actively refused" in text  # Windows: WinError 10061


def _auth_errors() -> tuple[tuple[type, ...], tuple[type, ...]]:
    from google.auth.exceptions import RefreshError, TransportError

    return (RefreshError,), (TransportError,)


AUTH_REFUSED, AUTH_UNREACHABLE = _auth_errors()


def _auth_reason(exc: BaseException) -> str:
    """A short reason from google-auth's error, which may quote a whole HTTP exchange."""
    text = " ".join(str(exc.args[0] if exc.args else exc).split())
    if "Failed to resolve" in text or "NameResolutionError" in text or "Name or service not known" in text:
        return _("name lookup failed")
    if "Connection refused" in text:
        return _("connection refused")
    if "timed out" in text.lower():
        return _("timed out")
    return text[:80] or type(exc).__name__


def _short(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return _("connection refused")
    if isinstance(exc, requests.exceptions.Timeout):
        return _("timed out")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return _("connection dropped")
    return type(exc).__name__


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with bounded retries, emulator redirection and clear errors."""

    def __init__(self, auth, session: requests.Session | None = None, *, retry: RetryPolicy | None = None,
                 api_url: str | None = None, timeout: tuple[float, float] = (10.0, 60.0),
                 headers: dict[str, str] | None = None):
        super().__init__(auth, session)
        self.headers = dict(headers or {})  # sent with every request (the emulator's scoped token)
        self.retry = retry or RetryPolicy.from_env()
        self.api_url = api_url if api_url is not None else api_url_from_env()
        self.timeout = timeout
        self.requests_sent = 0

    def request(self, method: str, endpoint: str, params=None, data=None, json=None, files=None,
                headers=None, *, repeatable: bool = False) -> requests.Response:
        """One request with bounded retries. `repeatable`: the caller knows that sending this
        write twice does no harm (it sets the same state again), so it is retried like a read."""
        url = rewrite_url(endpoint, self.api_url)
        is_read = method.upper() == "GET" or repeatable
        policy = self.retry
        started = policy.clock()
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            self.requests_sent += 1
            policy.pace()
            try:
                response = self.session.request(method=method, url=url, json=json, params=params, data=data,
                                                files=files, headers={**self.headers, **(headers or {})} or None,
                                                timeout=self.timeout)
            except AUTH_REFUSED as exc:  # a revoked login, a deleted or disabled key: retrying cannot help
                raise BackendError(_("Google refused the credentials ({reason}): log in again, or give a valid key "
                                     "with --credentials").format(reason=_auth_reason(exc))) from None
            except AUTH_UNREACHABLE as exc:
                # The token could not be fetched: the request itself was never sent, so it is
                # retried like one that met a refused connection (then one line, not a traceback).
                failure, retry_after = _("cannot reach Google to log in ({reason})").format(
                    reason=_auth_reason(exc)), None
            except requests.RequestException as exc:
                if self.api_url and refused(exc):  # nothing listens there: waiting will not start it
                    raise BackendError(_("nothing answers at {url} ({env}): start the emulator with "
                                         "`chas-sheets emulator`, or unset {env} to use Google").format(
                                             url=self.api_url, env=API_URL_ENV)) from None
                if not (is_read or never_sent(exc)):
                    raise WriteOutcomeUnknown(_("{where}: {reason} after the write was sent; it may or may not have "
                                                "been applied").format(where=self._where(url), reason=_short(exc)),
                                              _short(exc)) from exc
                failure, retry_after = _short(exc), None
            else:
                if response.ok:
                    return response
                message, reason = _error_message(response)
                status = response.status_code
                rate_limited = status in _ALWAYS_RETRIED or (status == 403 and reason in _DRIVE_RATE_REASONS)
                if not rate_limited:
                    if status in _READ_RETRIED and not is_read:
                        raise WriteOutcomeUnknown(_("{where}: error {status} answering a write ({message}); it may "
                                                    "or may not have been applied").format(
                                                        where=self._where(url), status=status, message=message),
                                                  _("error {status}").format(status=status))
                    if status not in _READ_RETRIED:
                        raise GoogleApiError(status, message, url)
                failure, retry_after = _("error {status}: {message}").format(status=status, message=message), \
                    _retry_after(response)
            wait = policy.delay(attempt - 1, retry_after)
            spent = max(policy.clock() - started, waited)  # waits count even when sleep is faked
            if attempt >= policy.max_attempts or spent + wait > policy.total_seconds:
                raise BackendError(_("{where} still failing after {n} tries over {seconds:.0f}s ({failure}); try "
                                     "again later").format(where=self._where(url), n=attempt, seconds=spent,
                                                           failure=failure))
            if policy.announce and not policy.announced and not self.api_url:  # Google's, not an emulator's
                policy.announced = True
                policy.announce(_("note: {where}: {failure}; retrying for up to {seconds:.0f}s").format(
                    where=self._where(url), failure=failure, seconds=policy.total_seconds))
            policy.waits.append(wait)
            policy.sleep(wait)
            waited += wait

    def _where(self, url: str) -> str:
        if self.api_url:
            return _("the Sheets API at {url}").format(url=self.api_url)
        return _("the Google Drive API") if url.startswith(DRIVE_HOST) else _("the Google Sheets API")

    # JSON helpers the backend uses ------------------------------------------------------
    def get_json(self, url: str, params: Any = None) -> dict:
        return self.request("get", url, params=params).json()

    def post_json(self, url: str, body: Any, params: Any = None, *, repeatable: bool = False) -> dict:
        response = self.request("post", url, params=params, json=body, repeatable=repeatable)
        return response.json() if response.content else {}

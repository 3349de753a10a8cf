"""The WSGI application: decode the request, count it, apply quota and faults, run the
handler atomically, answer in Google's JSON shape."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from chas_sheets.emulator import auth, discovery, guard, routes
from chas_sheets.emulator.control import Faults, Quota, Rules, Stats, SystemClock
from chas_sheets.emulator.errors import ApiError, DroppedConnection, bad_request, permission_denied
from chas_sheets.emulator.model import Spreadsheet, Store
from chas_sheets.errors import InvalidInput

JSON_TYPE = "application/json; charset=UTF-8"
CONTROL_PREFIX = "/_emulator/"


@dataclass
class Call:
    "One decoded request, handed to a handler."

    http_method: str
    path: str
    query: dict
    body: object
    store: Store

    def param(self, name: str, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        "Query booleans: Google accepts `true` and gspread's Python-cased `True`."
        return (self.param(name) or "").lower() == "true"


def decode_path(environ: dict) -> str:
    """PEP 3333 hands PATH_INFO over as latin-1 decoded bytes; re-read them as UTF-8 so
    titles like `Kund/Lead's 🌵` arrive intact."""
    raw = environ.get("PATH_INFO", "")
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


class Emulator:
    """The Sheets v4 + Drive v3 emulator as a WSGI app.

    `stats()`, `reset()`, `faults` (fail/drop/slow/concurrent_edit/person), `rules` (Google's
    reference-only rules, switchable off), `quota`, `clock` and `store` are the in-process controls; `/_emulator/...` offers the same over HTTP."""

    def __init__(self, state_file: str | os.PathLike | None = None, read_quota_per_minute: int | None = None,
                 write_quota_per_minute: int | None = None, clock=None, seed: int | None = None,
                 allowed_hosts: frozenset[str] | set[str] = frozenset()):
        self.clock = clock or SystemClock()
        self.store = Store(self.clock, seed)
        self.stats_counter = Stats()
        self.quota = Quota(self.clock, read_quota_per_minute, write_quota_per_minute)
        self.faults = Faults()
        self.rules = Rules()  # Google's reference-only rules, each switchable off by tests
        self.state_file = Path(state_file) if state_file else None
        self.forbidden: set[str] = set()  # ids answered with 403, as files shared with someone else
        self._lock = threading.RLock()
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)  # besides loopback (guard.py)
        if self.state_file and self.state_file.exists():
            self._load_state(self.state_file)

    def _load_state(self, path: Path) -> None:
        try:
            self.store.load_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise InvalidInput(f"--state {path} is not an emulator state file{where}: move it away (or delete it) "
                               "to start with no spreadsheets") from None

    # in-process controls ------------------------------------------------------------
    def stats(self) -> dict:
        return self.stats_counter.snapshot()

    def forbid(self, file_id: str) -> None:
        "Answer 403 PERMISSION_DENIED for this spreadsheet or file, like one nobody shared with you."
        self.forbidden.add(file_id)

    def reset(self) -> None:
        "Forget all files, counts, quota use and armed faults; every rule on again."
        with self._lock:
            self.store.files.clear()
            self.store.changes.clear()
            self.stats_counter.reset()
            self.quota.reset()
            self.faults.reset()
            self.rules.reset()

    def save(self) -> None:
        "Write the state file atomically (a crash never leaves half a file)."
        if not self.state_file:
            return
        text = json.dumps(self.store.to_json(), ensure_ascii=False)
        folder = self.state_file.parent
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False) as tmp:
            tmp.write(text)
        os.replace(tmp.name, self.state_file)

    # WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        status, headers, payload = self.handle(environ)
        start_response(status, headers)
        return [payload]

    def handle(self, environ) -> tuple[str, list, bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = decode_path(environ)
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            guard.check_host(environ, self.allowed_hosts)
            body = _read_body(environ)
            if path.startswith(CONTROL_PREFIX):
                guard.check_control(environ, method)
                return _answer(*self._control(method, path, body))
            if path in ("/token", "/oauth2/v4/token") and method == "POST":
                return _answer(200, auth.token_answer(body))
            route = routes.match(method, path)
            if route is None:
                raise ApiError(404, f"Method not found: {method} {path}")
            return _answer(*self._dispatch(route, Call(method, path, query, body, self.store), environ))
        except DroppedConnection:
            raise
        except ApiError as error:
            return _answer(error.code, error.body(), error.headers)

    def _dispatch(self, route: routes.Route, call: Call, environ: dict):
        self.stats_counter.count(route.api_method, route.spreadsheet_id or _file_of(route), route.is_write)
        fault_args = (call.http_method, call.path, route.api_method, route.spreadsheet_id)
        if fault := self.faults.take(("drop",), *fault_args, after_apply=False):
            raise DroppedConnection(f"emulator dropped the connection ({route.api_method})")
        if fault := self.faults.take(("slow",), *fault_args):
            self.clock.sleep(fault.delay)
        if fault := self.faults.take(("error",), *fault_args, after_apply=False):
            raise _injected(fault.status)
        api = "sheets.v4" if route.api_method.startswith("sheets.") else "drive.v3"
        auth.check(environ, api, route.api_method)  # before the quota: Google charges no stranger
        if route.quota:
            self.quota.charge(route.quota)
        discovery.validate_query(api, route.api_method, call.query)
        if call.param("fields") is not None:
            discovery.validate_fields(api, route.api_method, call.param("fields"))
        target = route.spreadsheet_id or _file_of(route)
        if target in self.forbidden:
            raise permission_denied()
        with self._lock, self.rules.in_force():
            self._person(*fault_args, before=True)
            result = self._run(route, call)
            if not route.is_write and route.spreadsheet_id:
                self._concurrent_editor(*fault_args)
            self._person(*fault_args, before=False)
        # Applied, and then the answer is lost: what a client must never take for "not done".
        if fault := self.faults.take(("drop",), *fault_args, after_apply=True):
            raise DroppedConnection(f"emulator dropped the connection after applying {route.api_method}")
        if fault := self.faults.take(("error",), *fault_args, after_apply=True):
            raise _injected(fault.status)
        return result

    def _run(self, route: routes.Route, call: Call):
        if route.spreadsheet_id is None:
            result = route.handler(call, *route.args)
            if route.is_write:
                self.save()
            return result
        drive_file = self.store.files.get(route.spreadsheet_id)
        book = self.store.get_spreadsheet(route.spreadsheet_id)
        if not route.is_write:
            return route.handler(call, book, *route.args)
        # Google applies a batch atomically: all or nothing. A JSON round trip is a deep copy
        # several times faster than copy.deepcopy.
        snapshot = json.dumps(book.to_json())
        try:
            result = route.handler(call, book, *route.args)
        except Exception:
            drive_file.spreadsheet = Spreadsheet.from_json(json.loads(snapshot))
            raise
        drive_file.name = book.properties.get("title", drive_file.name)
        self.store.touch(route.spreadsheet_id)
        self.save()
        return result

    def _concurrent_editor(self, http_method, path, api_method, spreadsheet_id) -> None:
        fault = self.faults.take(("edit",), http_method, path, api_method, spreadsheet_id)
        if fault is None or fault.fired < fault.times:
            return
        from chas_sheets.emulator import values_api

        book = self.store.get_spreadsheet(spreadsheet_id)
        editor = Call("PUT", path, {}, None, self.store)
        values_api.write_range(editor, book, fault.edit_range, fault.edit_values, "ROWS", "RAW", False)
        self.store.touch(spreadsheet_id)
        self.save()

    def _person(self, http_method, path, api_method, spreadsheet_id, before: bool) -> None:
        if spreadsheet_id is None:
            return
        fault = self.faults.take(("person",), http_method, path, api_method, spreadsheet_id, before=before)
        if fault is None:
            return
        from chas_sheets.emulator import person

        book = self.store.get_spreadsheet(spreadsheet_id)
        person.act(book, fault.actions, Call("POST", path, {}, None, self.store))
        self.store.touch(spreadsheet_id)
        self.save()

    def _control(self, method: str, path: str, body):
        name = path[len(CONTROL_PREFIX):]
        if name == "stats" and method == "GET":
            return 200, self.stats()
        if name == "reset" and method == "POST":
            self.reset()
            return 200, {}
        if name == "faults" and method == "GET":
            return 200, {"faults": self.faults.pending()}
        if name == "faults" and method == "POST":
            try:
                self.faults.arm_from_json(body or {})
            except (KeyError, ValueError, TypeError) as error:
                raise bad_request(f"Bad fault: {error}")
            return 200, {"faults": self.faults.pending()}
        if name == "faults" and method == "DELETE":
            self.faults.reset()
            return 200, {"faults": []}
        if name == "rules" and method == "GET":
            return 200, {"rules": self.rules.listing()}
        if name == "rules" and method == "POST":
            try:
                self.rules.switch_off(*(body or {}).get("off", []))
            except (ValueError, TypeError) as error:
                raise bad_request(f"Bad rules: {error}")
            return 200, {"rules": self.rules.listing()}
        if name == "rules" and method == "DELETE":
            self.rules.reset()
            return 200, {"rules": self.rules.listing()}
        if name == "clock/advance" and method == "POST" and hasattr(self.clock, "advance"):
            self.clock.advance(float((body or {}).get("seconds", 60)))
            return 200, {"now": self.clock.now()}
        raise ApiError(404, f"No emulator control at {method} {path}")


def _injected(status: int) -> ApiError:
    messages = {500: "Internal error encountered.", 503: "The service is currently unavailable."}
    return ApiError(status, messages.get(status, "Internal error encountered." if status >= 500 else "Injected fault."))


def _file_of(route: routes.Route) -> str | None:
    "Drive calls on a file count towards that file's (spreadsheet's) total too."
    if route.api_method.startswith("drive.") and route.args:
        return route.args[0]
    return None


def _read_body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw.strip():
        return None
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" not in content_type and not raw.lstrip().startswith((b"{", b"[")):
        return raw
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise bad_request(f"Invalid JSON payload received. {error}")


def _answer(code: int, body, headers: dict | None = None) -> tuple[str, list, bytes]:
    reason = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
              415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
              503: "Service Unavailable"}.get(code, "Error")
    extra = list((headers or {}).items())
    if code == 204 or body is None:
        return f"{code} {reason}", extra, b""
    if isinstance(body, tuple) and body[0] == "raw":
        _, content_type, payload = body
        return f"{code} {reason}", [("Content-Type", content_type)] + extra, payload
    # Compact: the C encoder (indent= would fall back to the slow pure-Python one).
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return f"{code} {reason}", [("Content-Type", JSON_TYPE), ("Content-Length", str(len(payload)))] + extra, payload

"""Replay gspread's recorded Google sessions (vcrpy cassettes) against the emulator and
compare every answer with Google's, structurally.

Ids Google generated (spreadsheet and file ids, sheetId, protectedRangeId, named range ids,
chart and metadata ids) and the recording account's own (its permission id, its My Drive
folder, its user id in a link, learned only where the emulator's has the same shape) are
learned from each pair of answers and mapped in later requests; volatile fields (timestamps,
themes, default formats, urls) are ignored, and Drive's `version` is compared as a count. Used by
tests/test_conformance.py and benchmarks/conformance_report.py.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from chas_sheets.emulator import routes
from chas_sheets.emulator.app import Emulator
from chas_sheets.emulator.control import ManualClock

# The account's own ids (its permission id, its My Drive folder's id under "id") are learned
# like generated ones: the emulator's account cannot have the recording account's.
STRING_ID_KEYS = {"spreadsheetId", "id", "namedRangeId", "fileId", "users", "emailAddress", "permissionId"}
# Ids inside a link, learned by their shape when both answers have one of the same shape: the
# account's user id (`ouid`, Google's 21 digits) in Drive v2's embedLink.
LINK_IDS = re.compile(r"[?&]ouid=(\d{21})\b")
# Values compared by shape: Drive's `version` counts every change "even those not visible to the
# user" (Google's internal writes included), so only its being a decimal count is comparable.
SHAPED = {"version": re.compile(r"^\d+$")}
INT_ID_KEYS = {"sheetId", "protectedRangeId", "chartId", "metadataId", "sourceSheetId", "newSheetId"}
VOLATILE_KEYS = {
    "spreadsheetTheme", "defaultFormat", "createdTime", "modifiedTime", "etag", "spreadsheetUrl",
    "webViewLink", "webContentLink", "iconLink", "thumbnailLink", "time",
    # Drive v2 names for the same timestamps
    "createdDate", "modifiedDate", "modifiedByMeDate", "lastViewedByMeDate", "markedViewedByMeDate",
}


@dataclass
class Outcome:
    cassette: str
    index: int
    endpoint: str
    matched: bool
    difference: str = ""


@dataclass
class IdMap:
    strings: dict = field(default_factory=dict)
    ints: dict = field(default_factory=dict)

    def learn(self, google, emulator, key: str | None = None) -> None:
        "Walk two answers in parallel; ids at the same place are the same entity."
        if isinstance(google, dict) and isinstance(emulator, dict):
            for k, value in google.items():
                if k in emulator:
                    self.learn(value, emulator[k], k)
        elif isinstance(google, list) and isinstance(emulator, list):
            for g, e in zip(google, emulator):
                self.learn(g, e, key)
        elif key in STRING_ID_KEYS and isinstance(google, str) and isinstance(emulator, str):
            if google != emulator and len(google) > 6:
                self.strings.setdefault(google, emulator)
        elif isinstance(google, str) and isinstance(emulator, str):
            theirs, ours = LINK_IDS.search(google), LINK_IDS.search(emulator)
            if theirs and ours and theirs.group(1) != ours.group(1):
                self.strings.setdefault(theirs.group(1), ours.group(1))
        elif key in INT_ID_KEYS and isinstance(google, int) and isinstance(emulator, int):
            self.ints.setdefault(google, emulator)

    def text(self, value: str) -> str:
        for google, emulator in self.strings.items():
            if google in value:
                value = value.replace(google, emulator)
        return value

    def json(self, value, key: str | None = None):
        "Google's ids in a JSON value replaced by the emulator's."
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v, key) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if key in INT_ID_KEYS and isinstance(value, int) and not isinstance(value, bool):
            return self.ints.get(value, value)
        return value


def strip_volatile(value):
    if isinstance(value, dict):
        return {k: _shape(k, strip_volatile(v)) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _shape(key: str, value):
    "A value compared by its shape stands for its shape when it has it (else it differs as it is)."
    pattern = SHAPED.get(key)
    return f"<{key}>" if pattern and isinstance(value, str) and pattern.match(value) else value


def first_difference(google, emulator, path: str = "") -> str:
    "A short human description of where two JSON values differ ('' when equal)."
    if isinstance(google, dict) and isinstance(emulator, dict):
        for key in sorted(set(google) | set(emulator)):
            if key not in emulator:
                return f"{path}.{key}: missing (Google: {_short(google[key])})"
            if key not in google:
                return f"{path}.{key}: extra ({_short(emulator[key])})"
            found = first_difference(google[key], emulator[key], f"{path}.{key}")
            if found:
                return found
        return ""
    if isinstance(google, list) and isinstance(emulator, list):
        for i, (g, e) in enumerate(zip(google, emulator)):
            found = first_difference(g, e, f"{path}[{i}]")
            if found:
                return found
        if len(google) != len(emulator):
            return f"{path}: {len(emulator)} items, Google {len(google)}"
        return ""
    if google != emulator:
        return f"{path}: {_short(emulator)} != Google {_short(google)}"
    return ""


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _environ(method: str, uri: str, body: bytes, content_type: str = "application/json") -> dict:
    parts = urlsplit(uri)
    return {
        "REQUEST_METHOD": method,
        # What a WSGI server hands over (PEP 3333): percent-decoded, as latin-1.
        "PATH_INFO": unquote(parts.path, encoding="latin-1"),
        "QUERY_STRING": parts.query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        # The recordings hide gspread's token; it held gspread's default scopes (Sheets and all of Drive).
        "HTTP_AUTHORIZATION": "Bearer emulator-access-token",
        "wsgi.input": io.BytesIO(body),
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
    }


def _parse(text: str | None):
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def endpoint_of(method: str, uri: str, body) -> str:
    "Google's method id, plus the batchUpdate request kinds: the unit the report counts."
    path = unquote(urlsplit(uri).path)
    route = routes.match(method, path)
    name = route.api_method if route else f"{method} {path.split('/')[1] if '/' in path else path}:unrouted"
    if route is None and "/upload/" in path:
        name = "drive.files.upload(v2)"
    if name == "sheets.spreadsheets.batchUpdate" and isinstance(body, dict):
        kinds = sorted({next(iter(r)) for r in body.get("requests") or [] if isinstance(r, dict) and r})
        name += "[" + ",".join(kinds) + "]"
    return name


def replay_cassette(path: Path) -> list[Outcome]:
    "Replay one cassette against a fresh emulator; one Outcome per interaction."
    app = Emulator(clock=ManualClock(), seed=1)
    ids = IdMap()
    outcomes = []
    interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
    for index, interaction in enumerate(interactions):
        request, response = interaction["request"], interaction["response"]
        google_body = _parse(response["body"]["string"])
        request_body = _parse(request.get("body"))
        method = request["method"]
        uri = ids.text(request["uri"])
        sent = ids.json(request_body) if request_body is not None else None
        payload = b"" if sent is None else (
            json.dumps(sent).encode("utf-8") if not isinstance(sent, str) else sent.encode("utf-8"))
        endpoint = endpoint_of(method, request["uri"], request_body)
        try:
            content_type = next((v[0] for k, v in request.get("headers", {}).items() if k.lower() == "content-type"),
                                "application/json")
            status, _, answer = app.handle(_environ(method, uri, payload, content_type))
        except Exception as error:  # a crash is a mismatch to count, not to hide
            outcomes.append(Outcome(path.name, index, endpoint, False, f"emulator raised {error!r}"))
            continue
        code = int(status.split()[0])
        emulator_body = _parse(answer.decode("utf-8")) if answer else None
        ids.learn(google_body, emulator_body)
        expected = response["status"]["code"]
        if code != expected:
            detail = first_difference(google_body, emulator_body) if isinstance(emulator_body, dict) else ""
            outcomes.append(Outcome(path.name, index, endpoint, False, f"status {code} != Google {expected} {detail}"))
            continue
        google_norm = strip_volatile(ids.json(google_body))
        emulator_norm = strip_volatile(emulator_body)
        difference = first_difference(google_norm, emulator_norm)
        outcomes.append(Outcome(path.name, index, endpoint, not difference, difference))
    return outcomes


CASSETTES_ENV = "CHAS_SHEETS_CONFORMANCE"


def cassette_folder() -> Path:
    """The recorded Google sessions: $CHAS_SHEETS_CONFORMANCE (the `conformance` folder) if set,
    else ../shared/conformance beside the project root, as CI has it (never copied in)."""
    shared = os.environ.get(CASSETTES_ENV) or Path(__file__).resolve().parents[2] / "shared" / "conformance"
    return Path(shared) / "gspread-cassettes"


def replay_all(folder: Path | None = None) -> list[Outcome]:
    folder = folder or cassette_folder()
    outcomes = []
    for path in sorted(folder.glob("*.json")):
        outcomes.extend(replay_cassette(path))
    return outcomes

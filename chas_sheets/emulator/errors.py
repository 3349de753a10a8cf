"""Google's error answers: `{"error": {"code", "message", "status"}}` raised as exceptions."""

from __future__ import annotations

import requests

from chas_sheets.errors import ChasSheetsError

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_DRIVE_REASON = {400: "badRequest", 401: "authError", 403: "forbidden", 404: "notFound", 500: "internalError"}


class ApiError(ChasSheetsError):
    "An error the emulator answers with, in Google's JSON shape."

    def __init__(self, code: int, message: str, details: list | None = None, drive: bool = False,
                 headers: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.drive = drive
        self.headers = headers or {}
        self.drive_errors: list | None = None  # Drive's `errors` list when it is not the plain one

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.drive:
            # Drive v3 answers in the older style: an `errors` list with a reason.
            error["errors"] = self.drive_errors or [
                {"message": self.message, "domain": "global", "reason": _DRIVE_REASON.get(self.code, "error")}
            ]
        else:
            error["status"] = _STATUS.get(self.code, "UNKNOWN")
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str, field: str | None = None) -> ApiError:
    details = None
    if field is not None:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ]
    return ApiError(400, message, details)


def not_found(message: str = "Requested entity was not found.", drive: bool = False) -> ApiError:
    return ApiError(404, message, drive=drive)


def permission_denied(message: str = "The caller does not have permission") -> ApiError:
    return ApiError(403, message)


class DroppedConnection(requests.exceptions.ConnectionError):
    """Raised by the fault injector: the server closes the connection without answering.

    In-process (requests-wsgi-adapter) it reaches the client as the ConnectionError a real
    drop gives; the loopback server closes the socket instead."""

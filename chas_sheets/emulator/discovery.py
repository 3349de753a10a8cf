"""Validate request bodies and query enums against Google's discovery documents.

The documents ship inside google-api-python-client. Discovery types are not JSON Schema; this
walker checks what Google rejects with 400 INVALID_ARGUMENT: unknown fields, bad enum values,
wrong JSON types. JSON nulls count as absent, as in proto3 JSON.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from chas_sheets.emulator.errors import bad_request

# Fields gspread sends that Google accepts although the discovery document lacks them.
TOLERATED = {("Permission", "withLink")}


# Google's own API descriptions ship with google-api-python-client, which only the emulator
# needs: it is the `emulator` extra, not a dependency of the tool.
MISSING = ("the emulator checks every request against Google's API descriptions, which come with "
           "google-api-python-client: install it with  pip install 'chas-sheets[emulator]'")


class DescriptionsMissing(RuntimeError):
    pass


def _documents_folder() -> Path:
    try:
        import googleapiclient
    except ImportError:
        raise DescriptionsMissing(MISSING) from None
    return Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def require_documents() -> None:
    """Fail up front, in one line, when the descriptions are not installed."""
    for api in ("sheets.v4", "drive.v3"):
        if not (_documents_folder() / f"{api}.json").is_file():
            raise DescriptionsMissing(MISSING)


@functools.lru_cache(maxsize=None)
def document(api: str) -> dict:
    return json.loads((_documents_folder() / f"{api}.json").read_text(encoding="utf-8"))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _where(path: list) -> str:
    return ".".join(path) if path else ""


def validate_body(api: str, schema_name: str, body, root: tuple = ()) -> None:
    """Raise ApiError(400) where Google would reject the body. `root` names the body in
    Google's messages (`data` for a ValueRange: "Invalid value at 'data.values' ...")."""
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Expected an object.")
    _check_object(document(api)["schemas"], schema_name, body, list(root))


def _check_object(schemas: dict, name: str, body: dict, path: list) -> None:
    schema = schemas[name]
    properties = schema.get("properties", {})
    for key, value in body.items():
        if value is None or (name, key) in TOLERATED:
            continue
        if key not in properties:
            where = f" at '{_where(path)}'" if path else ""
            raise bad_request(f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.')
        _check_value(schemas, properties[key], value, path + [_snake(key)], name, key)


def _check_value(schemas, spec: dict, value, path: list, owner: str, key: str) -> None:
    if "$ref" in spec:
        if not isinstance(value, dict):
            raise _invalid_value(path, spec["$ref"], value)
        _check_object(schemas, spec["$ref"], value, path)
        return
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise _invalid_value(path, "google.protobuf.ListValue" if spec.get("items", {}).get("type") in ("array", "any") else kind, value)
        for i, item in enumerate(value):
            if item is None:
                continue
            indexed = path[:-1] + [f"{path[-1]}[{i}]"]
            _check_value(schemas, spec.get("items", {}), item, indexed, owner, key)
    elif kind == "object":
        if not isinstance(value, dict):
            raise _invalid_value(path, kind, value)
        extra = spec.get("additionalProperties")
        if extra:
            for k, v in value.items():
                _check_value(schemas, extra, v, path + [k], owner, key)
    elif kind == "string":
        if "enum" in spec:
            if value not in spec["enum"]:
                raise _invalid_value(path, f"{owner}.{key}", value)
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise _invalid_value(path, "TYPE_STRING", value)
    elif kind == "integer":
        if isinstance(value, bool) or not _is_integer(value):
            raise _invalid_value(path, "TYPE_INT32", value)
    elif kind == "number":
        if isinstance(value, bool) or not _is_number(value):
            raise _invalid_value(path, "TYPE_DOUBLE", value)
    elif kind == "boolean":
        if not isinstance(value, bool) and value not in ("true", "false"):
            raise _invalid_value(path, "TYPE_BOOL", value)


def _is_integer(value) -> bool:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return True
    return isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None


def _is_number(value) -> bool:
    if isinstance(value, (int, float)):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _invalid_value(path: list, type_name: str, value):
    where = _where(path)
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, (list, dict)) else "[...]"
    prefix = "type.googleapis.com/" if "." in type_name else ""
    message = f"Invalid value at '{where}' ({prefix}{type_name}), {shown}"
    return bad_request(message, field=where)


def method(api: str, method_id: str) -> dict | None:
    "The discovery method description for e.g. `sheets.spreadsheets.values.get`."
    def walk(resources: dict):
        for resource in resources.values():
            for spec in resource.get("methods", {}).values():
                if spec["id"] == method_id:
                    return spec
            found = walk(resource.get("resources", {}))
            if found:
                return found
        return None

    return walk(document(api).get("resources", {}))


def validate_query(api: str, method_id: str, query: dict) -> None:
    """Enum query parameters must hold a known value; booleans may be Python-cased."""
    spec = method(api, method_id)
    if spec is None:
        return
    parameters = {**document(api).get("parameters", {}), **spec.get("parameters", {})}
    for name, values in query.items():
        param = parameters.get(name)
        if param is None or param.get("location") != "query":
            continue
        for value in values:
            if "enum" in param and value not in param["enum"]:
                raise bad_request(f"Invalid value at '{_snake(name)}' ({param.get('type')}), \"{value}\"")
            if param.get("type") == "boolean" and value.lower() not in ("true", "false"):
                raise bad_request(f"Invalid value at '{_snake(name)}' (TYPE_BOOL), \"{value}\"")


def validate_fields(api: str, method_id: str, fields: str) -> None:
    """The `fields` query parameter must name fields of the method's response, as Google
    checks it. Sheets does not skip spaces (`properties, sheets` names ' sheets'); Drive does."""
    from chas_sheets.emulator import fieldmask
    from chas_sheets.emulator.errors import ApiError

    spec = method(api, method_id) or {}
    response = (spec.get("response") or {}).get("$ref")
    if not response or not fields.strip():
        return
    drive = api.startswith("drive.")
    spaced = None if drive else next((part for part in re.split(r"[,()]", fields) if part != part.strip()), None)
    bad = spaced or fieldmask.unknown_path(document(api)["schemas"], response, fields)
    if not bad:
        return
    if drive:
        error = ApiError(400, f"Invalid field selection {bad.rsplit('.', 1)[-1]}", drive=True)
        error.drive_errors = [{"message": error.message, "domain": "global", "reason": "invalidParameter",
                               "locationType": "parameter", "location": "fields"}]
        raise error
    raise ApiError(400, "Request contains an invalid argument.", details=[{
        "@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{
            "description": f"Error expanding 'fields' parameter. Cannot find matching fields for path '{bad}'."}]}])

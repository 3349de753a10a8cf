"""Partial responses: the `fields` query parameter (`a.b,c/d,files(id,name)`)."""

from __future__ import annotations

import copy

from chas_sheets.emulator.formats import without_nulls


def parse(fields: str) -> dict:
    "`sheets.properties,files(id,name)` -> {'sheets': {'properties': {}}, 'files': {...}}."
    tree: dict = {}
    _parse_into(tree, fields.replace(" ", ""), 0)
    return tree


def _parse_into(tree: dict, text: str, i: int) -> int:
    path: list[str] = []
    token = ""

    def finish():
        nonlocal token, path
        if token:
            path.append(token)
        node = tree
        for name in path:
            node = node.setdefault(name, {})
        token, path = "", []
        return node

    while i < len(text):
        ch = text[i]
        if ch in "./":
            path.append(token)
            token = ""
        elif ch == ",":
            finish()
        elif ch == "(":
            node = finish()
            i = _parse_into(node, text, i + 1)
        elif ch == ")":
            finish()
            return i
        else:
            token += ch
        i += 1
    finish()
    return i


def wants(tree: dict | None, *path: str) -> bool:
    "Whether the mask asks for something at or below this path (no mask: everything)."
    if tree is None:
        return True
    node = tree
    for name in path:
        if name not in node and "*" not in node:
            return False
        if not node.get(name):  # a leaf: everything below is wanted
            return True
        node = node[name]
    return True


def apply(tree: dict | None, value):
    "Keep only the asked fields; lists are filtered element by element."
    if tree is None or not tree:
        return value
    if isinstance(value, list):
        return [apply(tree, item) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        return value
    kept = {}
    for name, sub in tree.items():
        if name in value:
            kept[name] = apply(sub, value[name])
    return kept


def merge_masked(target: dict, source: dict, mask: str) -> None:
    """Copy the fields named by a field mask (`title,gridProperties.rowCount`, `*`) from
    source to target; a named field absent from source is cleared."""
    source = without_nulls(source)
    if mask.strip() == "*":
        target.clear()
        target.update(copy.deepcopy(source))
        return
    _merge_tree(target, source, parse(mask))


def _merge_tree(target: dict, source: dict, tree: dict) -> None:
    for name, sub in tree.items():
        if not sub:
            if source.get(name) is not None:
                target[name] = copy.deepcopy(source[name])
            else:
                target.pop(name, None)
            continue
        child = target.setdefault(name, {})
        _merge_tree(child, source.get(name) or {}, sub)
        if not child:
            target.pop(name)


def unknown_path(schemas: dict, schema_name: str, mask: str) -> str | None:
    """The first path of a field mask that names no field of the schema (dotted, as Google
    reports it), or None when every path exists. `*` selects everything below it."""
    return _unknown_in(schemas, schema_name, parse(mask), [])


def _unknown_in(schemas: dict, schema_name: str | None, tree: dict, path: list) -> str | None:
    properties = schemas.get(schema_name, {}).get("properties", {}) if schema_name else {}
    for name, sub in tree.items():
        if name == "*":
            continue
        spec = properties.get(name)
        if spec is None:
            return ".".join(path + [name])
        if sub:
            target = spec.get("$ref") or (spec.get("items") or {}).get("$ref")
            if target is None:  # a scalar has no fields below it; a map's keys are not checked
                if spec.get("type") == "object":
                    continue
                return ".".join(path + [name, next(iter(sub))])
            found = _unknown_in(schemas, target, sub, path + [name])
            if found:
                return found
    return None

"""How Google stores what a client sends: proto3 defaults dropped, colours as 8-bit values
and mirrored between `xColor` and `xColorStyle`."""

from __future__ import annotations

import math

_CHANNELS = ("red", "green", "blue", "alpha")


def without_nulls(value):
    "JSON nulls mean 'absent'; objects left empty vanish."
    if isinstance(value, dict):
        cleaned = {k: without_nulls(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in cleaned.items() if v != {} or k in ("editors",)}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


def _quantized(channel: float) -> float:
    "Google keeps 8 bits per channel (0.5 reads back as 0.49803922)."
    level = math.ceil(float(channel) * 255 - 0.5)
    return float(f"{max(0, min(255, level)) / 255:.8g}")


def _color(color: dict) -> dict:
    out = {}
    for key, value in color.items():
        if key in _CHANNELS and isinstance(value, (int, float)):
            quantized = _quantized(value) if key != "alpha" else float(value)
            if quantized:
                out[key] = quantized
        else:
            out[key] = value
    return out


def normalize_colors(value):
    "Quantise every colour and add the `Style` twin Google adds (and the plain one back)."
    if isinstance(value, list):
        return [normalize_colors(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key.endswith("Color") and isinstance(item, dict) and key != "rgbColor":
            out[key] = _color(item)
        elif key.endswith("ColorStyle") and isinstance(item, dict):
            style = dict(item)
            if isinstance(style.get("rgbColor"), dict):
                style["rgbColor"] = _color(style["rgbColor"])
            out[key] = style
        else:
            out[key] = normalize_colors(item)
    for key in list(out):
        if key.endswith("ColorStyle") and key[: -len("Style")] not in out and "rgbColor" in out[key]:
            out[key[: -len("Style")]] = dict(out[key]["rgbColor"])
        elif key.endswith("Color") and key != "rgbColor" and isinstance(out[key], dict) and key + "Style" not in out:
            out[key + "Style"] = {"rgbColor": dict(out[key])}
    return out


GRID_DEFAULTS = {"frozenRowCount": 0, "frozenColumnCount": 0, "hideGridlines": False,
                 "rowGroupControlAfter": False, "columnGroupControlAfter": False}


def stored_sheet_properties(properties: dict) -> dict:
    "SheetProperties as Google echoes them: nulls, false flags and zero freezes left out."
    clean = normalize_colors(without_nulls(properties))
    if clean.get("hidden") is False:
        clean.pop("hidden")
    if clean.get("rightToLeft") is False:
        clean.pop("rightToLeft")
    grid = clean.get("gridProperties") or {}
    for key, default in GRID_DEFAULTS.items():
        if key in grid and grid[key] == default:
            grid.pop(key)
    return clean

"""Wording and small helpers every map renderer shares, so formats agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LEVEL_MARK = {"error": "E", "warning": "W", "note": "N", "none": "-", "suppressed": "S"}


def cell_level(cell: Mapping[str, Any]) -> str:
    """A matrix cell's outcome: a level, `none` (allowed) or `suppressed`."""
    return "suppressed" if cell.get("suppressed") else str(cell["level"])


def loc(where: Mapping[str, Any] | None) -> str:
    """path:line, or '' when unknown."""
    if not where:
        return ""
    return f"{where['path']}:{where['line']}"


def yes(value: bool) -> str:
    return "yes" if value else "no"


def categories_received(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The categories some vendor receives, in the taxonomy's order (matrix columns)."""
    return [c for c in doc["categories"] if c.get("vendors")]


def headline(doc: Mapping[str, Any]) -> str:
    s = doc["summary"]
    parts = [f"{s['vendorsReceivingData']} of {s['vendors']} vendors receive personal data",
             f"{len(s['categories'])} categories", f"{s['fields']} fields",
             f"{s['flows']} flows at {s['sinks']} call sites"]
    text = ", ".join(parts) + "."
    if s["undeclared"]:
        text += f" Not declared in any manifest: {', '.join(s['undeclared'])}."
    if s["unused"]:
        text += f" Declared but unused: {', '.join(s['unused'])}."
    return text


def vendor_policy(v: Mapping[str, Any], rules: bool = True) -> str:
    pol = v.get("policy") or {}
    level = pol.get("level")
    if level is None:
        return "-"
    text = level if level != "none" else "allowed"
    ids = pol.get("rules") or []
    return f"{text} ({', '.join(ids)})" if ids and rules else text


def joined(items: Iterable[str], empty: str = "-") -> str:
    items = list(items)
    return ", ".join(items) if items else empty


def manifest_list(v: Mapping[str, Any]) -> str:
    return joined(f"{m['path']} ({m['package']})" for m in v.get("manifests") or ())

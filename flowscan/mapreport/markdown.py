"""Markdown for PR comments and wikis: vendors, the matrix, a Mermaid diagram of
fields to vendors (GitHub and GitLab render it) and the flows with locations."""

from __future__ import annotations

import re
from typing import Any

from flowscan.mapreport.common import (
    categories_received,
    cell_level,
    headline,
    joined,
    loc,
    manifest_list,
    vendor_policy,
)

MARK = {"error": "🔴 error", "warning": "🟠 warning", "note": "🔵 note", "none": "⚪ allowed",
        "suppressed": "⚫ suppressed"}
MERMAID_CLASS = {"high": "high", "medium": "medium", "low": "low", "none": "none"}


def cell(text: Any) -> str:
    """A table cell: pipes escaped, newlines flattened."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    return f"`{text}`" if text and "`" not in text else cell(text)


def mermaid(doc: dict[str, Any]) -> list[str]:
    """flowchart LR: one node per field, one per vendor, an edge per (field, vendor)
    labelled with the categories; vendors styled by risk."""
    fields: dict[str, str] = {}
    pairs: dict[tuple[str, str], set[str]] = {}
    for fl in doc["flows"]:
        key = fl["field"] or "(SDK configuration)"
        fields.setdefault(key, f"f{len(fields)}")
        pairs.setdefault((key, fl["vendor"]), set()).add(fl["category"])
    lines = ["```mermaid", "flowchart LR"]
    for name, nid in fields.items():
        lines.append(f'  {nid}["{_label(name)}"]')
    for v in doc["vendors"]:
        if v["receivesData"]:
            lines.append(f'  v_{_id(v["id"])}[["{_label(v["name"])}"]]:::'
                         f'{MERMAID_CLASS[v["risk"]["level"]]}')
    for (name, vendor), cats in sorted(pairs.items()):
        lines.append(f'  {fields[name]} -->|{_label(", ".join(sorted(cats)))}| v_{_id(vendor)}')
    lines += ["  classDef high fill:#c62828,color:#fff",
              "  classDef medium fill:#ef6c00,color:#fff",
              "  classDef low fill:#1565c0,color:#fff",
              "  classDef none fill:#9e9e9e,color:#fff", "```"]
    return lines


def _label(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


class MarkdownRenderer:
    name = "markdown"

    def render(self, doc: dict[str, Any], **options: Any) -> str:
        out = [f"# Data map: {cell(doc['root'])}", "", headline(doc), ""]
        if not doc["vendors"]:
            return "\n".join(out) + "\n"
        out += ["## Vendors by exposure", "",
                "| # | Vendor | Risk | Categories | Fields | Declared | Imported | Policy | "
                "Flags |", "|---|---|---|---|---|---|---|---|---|"]
        for v in doc["vendors"]:
            r = v["risk"]
            out.append("| " + " | ".join(cell(x) for x in (
                r["rank"], f"{v['name']} (`{v['id']}`)", f"{r['level']} ({r['score']})",
                joined(v["categories"]), joined(code(f) for f in v["fields"]),
                manifest_list(v) if v["declared"] else "no",
                joined(v["importedIn"], "no"), vendor_policy(v), joined(v["flags"], ""))) + " |")
        cats = categories_received(doc)
        if cats:
            out += ["", "## Vendor × data category", "",
                    "| Vendor | " + " | ".join(c["id"] for c in cats) + " |",
                    "|---" * (len(cats) + 1) + "|"]
            for v in doc["vendors"]:
                row = doc["matrix"].get(v["id"])
                if row:
                    cells = []
                    for c in cats:
                        x = row.get(c["id"])
                        cells.append(f"{MARK.get(cell_level(x), x['level'])} "
                                     f"({len(x['fields']) or 1})" if x else "")
                    out.append(f"| {cell(v['name'])} | " + " | ".join(cells) + " |")
            out += ["", "## Fields → vendors", "", *mermaid(doc)]
        if doc["flows"]:
            out += ["", "## Flows", "",
                    "| Vendor | Category | Field | Role | Level | Sink | Source |",
                    "|---|---|---|---|---|---|---|"]
            for fl in doc["flows"]:
                level = "suppressed" if fl["suppressed"] else MARK.get(fl["level"], fl["level"])
                out.append("| " + " | ".join(cell(x) for x in (
                    fl["vendor"], fl["category"], code(fl["field"]) if fl["field"] else
                    "(SDK configuration)", fl["role"], level,
                    f"{loc(fl['sink'])} {code(fl['sink']['callee'])}",
                    loc(fl["source"]))) + " |")
        return "\n".join(out) + "\n"

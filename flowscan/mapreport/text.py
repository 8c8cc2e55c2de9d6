"""The map in a terminal: vendors by exposure, the vendor x category matrix, and every
flow with its code locations (rich tables; no colour when not a terminal)."""

from __future__ import annotations

import io
from typing import Any

from flowscan.mapreport.common import (
    LEVEL_MARK,
    categories_received,
    cell_level,
    headline,
    joined,
    loc,
    vendor_policy,
    yes,
)

STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan", "none": "dim",
         "high": "bold red", "medium": "yellow", "low": "cyan"}


class TextRenderer:
    name = "text"

    def render(self, doc: dict[str, Any], *, color: bool = False, width: int = 120,
               **options: Any) -> str:
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        buf = io.StringIO()
        console = Console(file=buf, width=width, color_system="standard" if color else None,
                          force_terminal=color, legacy_windows=False, highlight=False,
                          emoji=False)
        console.print(Text(f"Data map: {doc['root']}", style="bold"))
        console.print(headline(doc))
        if not doc["vendors"]:
            console.print("No vendor SDK is declared, imported or sent personal data.")
            return buf.getvalue()

        vendors = Table(title="Vendors by exposure", title_justify="left", box=box.SIMPLE_HEAD)
        for col in ("#", "Vendor", "Risk", "Categories", "Fields", "Declared", "Imported",
                    "Policy", "Flags"):
            vendors.add_column(col, overflow="fold", min_width=30 if col == "Fields" else None,
                               no_wrap=col in ("#", "Risk", "Declared", "Imported"))
        for v in doc["vendors"]:
            risk = v["risk"]
            vendors.add_row(
                str(risk["rank"]), _name(v),
                Text(f"{risk['level']} {risk['score']}", style=STYLE.get(risk["level"], "")),
                joined(v["categories"]), joined(v["fields"]),
                yes(v["declared"]), yes(v["imported"]), vendor_policy(v, rules=False),
                joined(v["flags"], ""),
            )
        console.print(vendors)

        cats = categories_received(doc)
        if cats:
            matrix = Table(title="Vendor x data category (E error, W warning, N note, "
                                 "- allowed, S suppressed; count of fields)", title_justify="left",
                           box=box.SIMPLE_HEAD)
            matrix.add_column("Vendor")
            for c in cats:
                matrix.add_column(c["id"], justify="center")
            for v in doc["vendors"]:
                row = doc["matrix"].get(v["id"])
                if not row:
                    continue
                cells: list[Text | str] = [v["id"]]
                for c in cats:
                    cell = row.get(c["id"])
                    if cell is None:
                        cells.append("")
                        continue
                    level = cell_level(cell)
                    mark = f"{LEVEL_MARK.get(level, '?')} {len(cell['fields']) or 1}"
                    cells.append(Text(mark, style=STYLE.get(level, "")))
                matrix.add_row(*cells)
            console.print(matrix)

        if doc["flows"]:
            flows = Table(title="Flows", title_justify="left", box=box.SIMPLE_HEAD)
            for col in ("Vendor", "Category", "Field", "Role", "Level", "Sink", "Call",
                        "Source"):
                flows.add_column(col, overflow="fold", no_wrap=col == "Level",
                                 min_width=20 if col in ("Field", "Call") else None)
            for fl in doc["flows"]:
                level = "suppressed" if fl["suppressed"] else (
                    "allowed" if fl["allowed"] else fl["level"])
                flows.add_row(fl["vendor"], fl["category"], fl["field"] or "(SDK config)",
                              fl["role"], Text(level, style=STYLE.get(fl["level"], "")),
                              loc(fl["sink"]), fl["sink"]["callee"], loc(fl["source"]))
            console.print(flows)
        unused = [v for v in doc["vendors"] if not v["receivesData"]]
        if unused:
            console.print("Vendors that receive no personal data here: " + ", ".join(
                f"{v['id']} (declared: {yes(v['declared'])}, imported: {yes(v['imported'])})"
                for v in unused))
        return buf.getvalue()


def _name(v: dict[str, Any]) -> str:
    return v["name"] if v["name"].lower() == v["id"] else f"{v['name']} ({v['id']})"

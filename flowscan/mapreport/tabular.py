"""JSON (the whole map, for tools) and CSV (one row per vendor x category x field, the
columns a GDPR Art. 30 record of processing needs)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

CSV_COLUMNS = (
    "vendor_id", "vendor_name", "vendor_category", "data_category", "data_category_title",
    "fideslang_categories", "field", "roles", "sensitivity", "policy_level", "rule_ids",
    "suppressed", "declared", "manifests", "imported", "risk_level", "risk_score",
    "sink_locations", "source_locations", "flows", "flags",
)


class JsonRenderer:
    name = "json"

    def render(self, doc: dict[str, Any], **options: Any) -> str:
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class CsvRenderer:
    name = "csv"

    def render(self, doc: dict[str, Any], **options: Any) -> str:
        """Rows sorted by vendor risk rank, then category order, then field. A
        category reached without a field (SDK configuration) has an empty field."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        titles = {c["id"]: c for c in doc["categories"]}
        order = {c["id"]: i for i, c in enumerate(doc["categories"])}
        for v in doc["vendors"]:
            groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for fl in doc["flows"]:
                if fl["vendor"] == v["id"]:
                    groups.setdefault((fl["category"], fl["field"]), []).append(fl)
            for (cat, field), flows in sorted(groups.items(),
                                              key=lambda kv: (order.get(kv[0][0], 99), kv[0])):
                live = [fl["level"] for fl in flows if not fl["suppressed"]]
                writer.writerow([
                    v["id"], v["name"], v["vendorCategory"], cat,
                    titles.get(cat, {}).get("title", cat),
                    ";".join(titles.get(cat, {}).get("fideslang", ())), field,
                    ";".join(sorted({fl["role"] for fl in flows if fl["role"]})),
                    _max(fl["sensitivity"] for fl in flows),
                    _max(live) if live else "suppressed",
                    ";".join(sorted({fl["ruleId"] for fl in flows if fl["ruleId"]})),
                    "yes" if all(fl["suppressed"] for fl in flows) else "no",
                    "yes" if v["declared"] else "no",
                    ";".join(f"{m['path']}:{m['package']}" for m in v["manifests"]),
                    "yes" if v["imported"] else "no",
                    v["risk"]["level"], v["risk"]["score"],
                    ";".join(sorted({f"{fl['sink']['path']}:{fl['sink']['line']}"
                                     for fl in flows})),
                    ";".join(sorted({f"{fl['source']['path']}:{fl['source']['line']}"
                                     for fl in flows if fl["source"]})),
                    len(flows), ";".join(v["flags"]),
                ])
        return out.getvalue()


def _max(levels: Any) -> str:
    from flowscan.model import level_rank

    return max(levels, key=level_rank)

"""What changed in the data map between two versions of the code: new vendors, vendors
that receive new categories, new fields, removed flows. A release pipeline gates on it
(`flowscan diff --base v1.2 --fail-on new-category`) so a new kind of personal data
leaving the company gets a review.

Flows are compared by what they are (vendor, category, field, role, sink file, callee,
scope), never by line, so moving code is not a change."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flowscan.model import level_rank

FAIL_ON = ("never", "new-vendor", "new-category", "new-field", "new-flow")


def _flow_id(fl: Mapping[str, Any]) -> tuple[str, ...]:
    s = fl["sink"]
    return (fl["vendor"], fl["category"], fl["field"], fl["role"], s["path"],
            s.get("callee", ""), s.get("scope", ""))


def _receiving(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["id"]: v for v in doc.get("vendors", ()) if v.get("receivesData")}


def _triples(doc: Mapping[str, Any]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for fl in doc.get("flows", ()):
        out.setdefault((fl["vendor"], fl["category"], fl["field"]), []).append(fl)
    return out


def _sinks(flows: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({f"{fl['sink']['path']}:{fl['sink']['line']}" for fl in flows})


def _flow_entry(fl: Mapping[str, Any]) -> dict[str, Any]:
    s = fl["sink"]
    return {"vendor": fl["vendor"], "category": fl["category"], "field": fl["field"],
            "role": fl["role"], "level": fl["level"],
            "sink": {"path": s["path"], "line": s["line"], "callee": s.get("callee", ""),
                     "scope": s.get("scope", "")}}


def diff_maps(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The changes from `old` to `new` (two data map dicts), as a JSON-ready dict.
    `newCategories` includes the categories of new vendors (flagged `newVendor`);
    `newFields` lists only fields in categories the vendor already received."""
    ov, nv = _receiving(old), _receiving(new)
    ot, nt = _triples(old), _triples(new)
    old_pairs = {(v, c) for v, c, _ in ot}
    new_pairs = {(v, c) for v, c, _ in nt}
    names = {v["id"]: v["name"] for doc in (old, new) for v in doc.get("vendors", ())}

    new_vendors = [{"vendor": vid, "name": names.get(vid, vid), "categories": v["categories"],
                    "fields": v["fields"], "risk": {"score": v["risk"]["score"],
                                                    "level": v["risk"]["level"]}}
                   for vid, v in sorted(nv.items()) if vid not in ov]
    removed_vendors = [{"vendor": vid, "name": names.get(vid, vid),
                        "categories": v["categories"], "fields": v["fields"]}
                       for vid, v in sorted(ov.items()) if vid not in nv]

    def pair_entry(pair: tuple[str, str], triples: Mapping[tuple[str, str, str], list[Any]],
                   vendors_before: Mapping[str, Any]) -> dict[str, Any]:
        vid, cat = pair
        flows = [fl for (v, c, _), fls in triples.items() if (v, c) == pair for fl in fls]
        live = [fl["level"] for fl in flows if not fl["suppressed"]] or ["none"]
        return {"vendor": vid, "name": names.get(vid, vid), "category": cat,
                "fields": sorted({fl["field"] for fl in flows if fl["field"]}),
                "level": max(live, key=level_rank), "sinks": _sinks(flows),
                "newVendor": vid not in vendors_before}

    new_categories = [pair_entry(p, nt, ov) for p in sorted(new_pairs - old_pairs)]
    removed_categories = [pair_entry(p, ot, nv) for p in sorted(old_pairs - new_pairs)]
    for entry in removed_categories:
        entry["removedVendor"] = entry.pop("newVendor")
    new_fields = [{"vendor": v, "category": c, "field": f, "sinks": _sinks(nt[(v, c, f)])}
                  for v, c, f in sorted(set(nt) - set(ot)) if (v, c) in old_pairs and f]
    removed_fields = [{"vendor": v, "category": c, "field": f, "sinks": _sinks(ot[(v, c, f)])}
                      for v, c, f in sorted(set(ot) - set(nt)) if (v, c) in new_pairs and f]
    of = {_flow_id(fl): fl for fl in old.get("flows", ())}
    nf = {_flow_id(fl): fl for fl in new.get("flows", ())}
    new_flows = [_flow_entry(nf[k]) for k in sorted(set(nf) - set(of))]
    removed_flows = [_flow_entry(of[k]) for k in sorted(set(of) - set(nf))]
    risk = []
    for vid in sorted(set(ov) & set(nv)):
        a, b = ov[vid]["risk"], nv[vid]["risk"]
        if a["score"] != b["score"]:
            risk.append({"vendor": vid, "old": {"score": a["score"], "level": a["level"]},
                         "new": {"score": b["score"], "level": b["level"]}})
    flags_old = {v["id"]: set(v.get("flags", ())) for v in old.get("vendors", ())}
    newly_undeclared = sorted(v["id"] for v in new.get("vendors", ())
                              if "undeclared" in v.get("flags", ())
                              and "undeclared" not in flags_old.get(v["id"], set()))
    out: dict[str, Any] = {
        "schemaVersion": 1,
        "old": {"root": old.get("root", ""), "ref": old.get("ref")},
        "new": {"root": new.get("root", ""), "ref": new.get("ref")},
        "newVendors": new_vendors,
        "removedVendors": removed_vendors,
        "newCategories": new_categories,
        "removedCategories": removed_categories,
        "newFields": new_fields,
        "removedFields": removed_fields,
        "newFlows": new_flows,
        "removedFlows": removed_flows,
        "riskChanges": risk,
        "newlyUndeclared": newly_undeclared,
    }
    out["summary"] = {k: len(out[k]) for k in (
        "newVendors", "removedVendors", "newCategories", "removedCategories", "newFields",
        "removedFields", "newFlows", "removedFlows")}
    return out


def failed(diff: Mapping[str, Any], fail_on: str) -> bool:
    """Whether the diff trips the gate; each level includes the ones before it."""
    if fail_on == "never":
        return False
    checks = ("newVendors", "newCategories", "newFields", "newFlows")
    upto = FAIL_ON.index(fail_on)  # new-vendor=1 .. new-flow=4
    return any(diff[k] for k in checks[:upto])


def has_changes(diff: Mapping[str, Any]) -> bool:
    return any(diff["summary"].values()) or bool(diff["riskChanges"])


# ---------------------------------------------------------------- rendering


def render_diff(diff: Mapping[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(diff, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    md = fmt == "markdown"
    out: list[str] = ["## Data map changes" if md else "Data map changes"]
    if md:
        out.append("")

    def section(title: str, lines: list[str]) -> None:
        if not lines:
            return
        out.append(f"### {title}" if md else f"{title}:")
        if md:
            out.append("")
        out.extend(f"- {ln}" if md else f"  {ln}" for ln in lines)
        if md:
            out.append("")

    c = (lambda s: f"`{s}`") if md else (lambda s: s)
    section("New vendors", [
        f"{v['name']} ({c(v['vendor'])}) receives {', '.join(v['categories'])}"
        f" ({', '.join(c(f) for f in v['fields']) or 'no named field'}; risk {v['risk']['level']}"
        f" {v['risk']['score']})" for v in diff["newVendors"]])
    section("New categories to existing vendors", [
        f"{e['name']} ({c(e['vendor'])}) now receives {e['category']} ({e['level']}) from "
        f"{', '.join(c(f) for f in e['fields']) or 'SDK configuration'} at "
        f"{', '.join(e['sinks'])}" for e in diff["newCategories"] if not e["newVendor"]])
    section("New fields", [
        f"{c(e['vendor'])} {e['category']}: {c(e['field'])} at {', '.join(e['sinks'])}"
        for e in diff["newFields"]])
    section("New flows", [
        f"{c(e['vendor'])} {e['category']} {c(e['field']) if e['field'] else '(config)'} "
        f"-> {e['sink']['path']}:{e['sink']['line']} {c(e['sink']['callee'])}"
        for e in diff["newFlows"]])
    section("Removed vendors", [f"{v['name']} ({c(v['vendor'])})" for v in diff["removedVendors"]])
    section("Removed categories", [
        f"{c(e['vendor'])} no longer receives {e['category']}"
        for e in diff["removedCategories"] if not e["removedVendor"]])
    section("Removed fields", [f"{c(e['vendor'])} {e['category']}: {c(e['field'])}"
                               for e in diff["removedFields"]])
    section("Removed flows", [
        f"{c(e['vendor'])} {e['category']} {c(e['field']) if e['field'] else '(config)'} "
        f"-> {e['sink']['path']} {c(e['sink']['callee'])}" for e in diff["removedFlows"]])
    section("Risk changes", [
        f"{c(r['vendor'])}: {r['old']['level']} {r['old']['score']} -> "
        f"{r['new']['level']} {r['new']['score']}" for r in diff["riskChanges"]])
    section("Newly undeclared SDKs (no manifest declares them)",
            [c(v) for v in diff["newlyUndeclared"]])
    s = diff["summary"]
    if not has_changes(diff):
        out.append("No change in which personal data reaches which vendor.")
    else:
        out.append(f"{s['newVendors']} new vendors, {s['newCategories']} new vendor categories, "
                   f"{s['newFields']} new fields, {s['newFlows']} new flows, "
                   f"{s['removedFlows']} removed flows.")
    return "\n".join(out).rstrip("\n") + "\n"

"""The data map a privacy reviewer asks for: per vendor, which personal data it
receives (categories, fields, argument roles), from where in the code, whether a
manifest declares its SDK, what the policy says, and how exposed it is.

The map is one JSON-ready dict (schema: flowscan/mapreport/datamap.schema.json,
documented in docs/datamap.md). Its *core* (vendors' inventory, flows, graph) comes
from a scan; everything else (per-vendor aggregates, risk, matrix, summary) is derived
from the core by `derive`, so a filtered or reloaded map is always consistent.

Risk: each category a vendor receives weighs 100 (error sensitivity), 10 (warning) or
1 (note), where a category's sensitivity is the level of the policy rule covering it,
raised by a `deny` statement, never lowered by `allow` (allowed data is still exposed
if the vendor is breached). The score is the sum over distinct categories, so one
error-level category outweighs every warning-level category together."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from flowscan import __version__
from flowscan.manifests import imported_vendors
from flowscan.model import Finding, Flow, ScanResult, Span, level_rank

SCHEMA_VERSION = 1
WEIGHTS = {"error": 100, "warning": 10, "note": 1}
RISK_OF = {"error": "high", "warning": "medium", "note": "low"}
RISKS = ("none", "low", "medium", "high")


# ---------------------------------------------------------------- building


def build_map(result: ScanResult, catalog: Any, *,
              declared: Mapping[str, Iterable[tuple[str, str]]] | None = None,
              manifests: Iterable[str] = (), root_name: str | None = None) -> dict[str, Any]:
    """The map of one scan. `declared` is vendor id -> (manifest, package) pairs
    (flowscan.manifests.declared_vendors); `manifests` the manifest files read."""
    policy = catalog.policy
    tax = catalog.taxonomy
    flows: list[dict[str, Any]] = []
    for f in result.findings:
        if not f.rule_id or not f.level:
            f = policy.decide(f)
        flows.extend(_flow_records(f, policy, tax))
    declared = {v: sorted(set(pairs)) for v, pairs in (declared or {}).items()}
    vendors_imported = imported_vendors(result.imports, catalog)
    ids = {fl["vendor"] for fl in flows} | set(declared) | set(vendors_imported)
    vendors = []
    for vid in sorted(ids):
        info = catalog.vendors.get(vid, {})
        vendors.append({
            "id": vid,
            "name": str(info.get("name", vid)),
            "vendorCategory": str(info.get("category", "other")),
            "declared": bool(declared.get(vid)),
            "manifests": [{"path": p, "package": pkg} for p, pkg in declared.get(vid, ())],
            "imported": bool(vendors_imported.get(vid)),
            "importedIn": sorted(vendors_imported.get(vid, ())),
        })
    categories = []
    for cat in tax.categories:
        categories.append({"id": cat, "title": tax.title(cat), "fideslang": _fideslang(tax, cat),
                           "sensitivity": policy.rule_for("data", cat).level})
    root = root_name if root_name is not None else result.root.replace("\\", "/").rsplit("/", 1)[-1]
    doc: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "generator": {"name": "flowscan", "version": __version__},
        "root": root,
        "manifests": sorted(set(manifests)),
        "categories": categories,
        "vendors": vendors,
        "flows": sorted(flows, key=flow_key),
    }
    return derive(doc)


def _fideslang(tax: Any, cat: str) -> list[str]:
    try:
        return list(tax.fideslang(cat))
    except (KeyError, AttributeError):
        return []


def _flow_records(f: Finding, policy: Any, tax: Any) -> list[dict[str, Any]]:
    """One record per (finding, flow); a category that reached the sink without a
    recorded flow (SDK configuration findings) gets one record with no field."""
    items: list[tuple[str, Flow | None]] = [(fl.category, fl) for fl in f.flows]
    with_flow = {fl.category for fl in f.flows}
    items += [(c, None) for c in sorted(set(f.categories) - with_flow)]
    out = []
    for cat, fl in items:
        # judge each (category, role) alone: an allow for one field must not hide another
        one = dataclasses.replace(f, categories=(cat,), flows=(fl,) if fl else (), rule_id="",
                                  level="")
        decided = policy.decide(one)
        rule_level = policy.rule_for(f.kind, cat).level
        sensitivity = max(rule_level, decided.level, key=level_rank)
        source = None
        steps: list[dict[str, Any]] = []
        if fl is not None:
            steps = [dict(_loc(s.span), expr=s.expr, kind=s.kind) for s in fl.steps]
            first = fl.steps[0] if fl.steps and fl.steps[0].kind == "source" else None
            if first is not None:
                source = dict(_loc(first.span), expr=first.expr)
        out.append({
            "vendor": f.vendor,
            "category": cat,
            "fideslang": _fideslang(tax, cat),
            "field": fl.field if fl else "",
            "role": fl.role if fl else "",
            "kind": f.kind,
            "level": decided.level,
            "ruleId": decided.rule_id,
            "sensitivity": sensitivity if sensitivity in WEIGHTS else "note",
            "suppressed": f.suppressed is not None,
            "justification": f.suppressed,
            "allowed": decided.level == "none",
            "confidence": f.confidence,
            "message": f.message,
            "sink": dict(_loc(f.span), callee=f.callee, call=f.sink, scope=f.scope,
                         fingerprint=f.fingerprint),
            "source": source,
            "steps": steps,
        })
    return out


def _loc(span: Span) -> dict[str, Any]:
    return {"path": span.path, "line": span.line, "column": span.col}


def flow_key(fl: Mapping[str, Any]) -> tuple[Any, ...]:
    s = fl["sink"]
    src = fl.get("source") or {}
    return (fl["vendor"], s["path"], s["line"], s["column"], s.get("callee", ""),
            fl["category"], fl["field"], fl["role"], src.get("path", ""), src.get("line", 0),
            src.get("column", 0))


# ---------------------------------------------------------------- derived parts


def derive(doc: dict[str, Any]) -> dict[str, Any]:
    """Recompute everything derived from the core (vendors' inventory, flows) in
    place: per-vendor data and risk, the matrix, the graph and the summary."""
    order = {c["id"]: i for i, c in enumerate(doc["categories"])}
    flows = doc["flows"]
    by_vendor: dict[str, list[dict[str, Any]]] = {}
    for fl in flows:
        by_vendor.setdefault(fl["vendor"], []).append(fl)
    matrix: dict[str, dict[str, Any]] = {}
    for v in doc["vendors"]:
        vf = by_vendor.get(v["id"], [])
        cats = sorted({fl["category"] for fl in vf}, key=lambda c: (order.get(c, 99), c))
        sens = {c: max((fl["sensitivity"] for fl in vf if fl["category"] == c), key=level_rank)
                for c in cats}
        score = sum(WEIGHTS.get(s, 0) for s in sens.values())
        top = max(sens.values(), key=level_rank) if sens else None
        live = [fl for fl in vf if not fl["suppressed"]]
        level = max((fl["level"] for fl in live), key=level_rank) if live else None
        v.update({
            "receivesData": bool(vf),
            "categories": cats,
            "fields": sorted({fl["field"] for fl in vf if fl["field"]}),
            "roles": sorted({fl["role"] for fl in vf if fl["role"]}),
            "policy": {
                "level": level if vf else None,
                "rules": sorted({fl["ruleId"] for fl in vf if fl["ruleId"]}),
                "allowedFlows": sum(1 for fl in vf if fl["allowed"]),
                "suppressedFlows": sum(1 for fl in vf if fl["suppressed"]),
            },
            "risk": {"score": score, "level": RISK_OF.get(top or "", "none")},
            "sinks": _unique(({**fl["sink"], "kind": fl["kind"]} for fl in vf),
                             ("path", "line", "column", "callee")),
            "sources": _unique(({**fl["source"], "field": fl["field"], "category": fl["category"]}
                                for fl in vf if fl["source"]),
                               ("path", "line", "column", "field")),
            "flags": _flags(v, bool(vf)),
        })
        for sink in v["sinks"]:
            sink.pop("fingerprint", None)
        if vf:
            matrix[v["id"]] = {c: _cell([fl for fl in vf if fl["category"] == c]) for c in cats}
    doc["vendors"].sort(key=lambda v: (-v["risk"]["score"], v["id"]))
    for rank, v in enumerate(doc["vendors"], 1):
        v["risk"]["rank"] = rank
    for c in doc["categories"]:
        c["vendors"] = sorted(vid for vid, row in matrix.items() if c["id"] in row)
    doc["matrix"] = matrix
    doc["graph"] = _graph(doc)
    doc["summary"] = _summary(doc)
    return doc


def _flags(v: Mapping[str, Any], receives: bool) -> list[str]:
    """What a reviewer should look at: data or imports with no manifest declaring the
    SDK, and SDKs declared but never imported nor sent data."""
    flags = []
    if not v["declared"] and (receives or v["imported"]):
        flags.append("undeclared")
    if v["declared"] and not v["imported"] and not receives:
        flags.append("unused")
    if v["imported"] and not receives:
        flags.append("no-personal-data")
    return flags


def _cell(flows: list[dict[str, Any]]) -> dict[str, Any]:
    live = [fl["level"] for fl in flows if not fl["suppressed"]]
    return {
        "level": max(live, key=level_rank) if live else "none",
        "suppressed": not live,  # every flow has an inline ignore
        "sensitivity": max((fl["sensitivity"] for fl in flows), key=level_rank),
        "fields": sorted({fl["field"] for fl in flows if fl["field"]}),
        "flows": len(flows),
    }


def _unique(items: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for it in items:
        seen.setdefault(tuple(it.get(k) for k in keys), it)
    return [seen[k] for k in sorted(seen)]


def _summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    vendors = doc["vendors"]
    flows = doc["flows"]
    order = {c["id"]: i for i, c in enumerate(doc["categories"])}
    risk = {r: sum(1 for v in vendors if v["risk"]["level"] == r) for r in reversed(RISKS)}
    return {
        "vendors": len(vendors),
        "vendorsReceivingData": sum(1 for v in vendors if v["receivesData"]),
        "categories": sorted({fl["category"] for fl in flows},
                             key=lambda c: (order.get(c, len(order)), c)),
        "fields": len({fl["field"] for fl in flows if fl["field"]}),
        "flows": len(flows),
        "sinks": len({(fl["sink"]["path"], fl["sink"]["line"], fl["sink"]["column"],
                       fl["vendor"]) for fl in flows}),
        "risk": risk,
        "undeclared": [v["id"] for v in vendors if "undeclared" in v["flags"]],
        "unused": [v["id"] for v in vendors if "unused" in v["flags"]],
    }


# ---------------------------------------------------------------- the graph


def _graph(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Nodes for fields, sources, transforms, sinks and vendors; edges with the
    location they happen at. field -read-> source -flow-> transform... -> sink
    -sends-> vendor."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    names = {v["id"]: v["name"] for v in doc["vendors"]}

    def node(nid: str, **attrs: Any) -> str:
        nodes.setdefault(nid, {"id": nid, **attrs})
        return nid

    def edge(a: str, b: str, kind: str, loc: Mapping[str, Any], fl: Mapping[str, Any]) -> None:
        e = edges.setdefault((a, b, kind), {"source": a, "target": b, "kind": kind,
                                             "path": loc["path"], "line": loc["line"],
                                             "categories": [], "fields": []})
        if fl["category"] not in e["categories"]:
            e["categories"] = sorted([*e["categories"], fl["category"]])
        if fl["field"] and fl["field"] not in e["fields"]:
            e["fields"] = sorted([*e["fields"], fl["field"]])

    for v in doc["vendors"]:
        node(f"vendor:{v['id']}", kind="vendor", label=v["name"], vendor=v["id"])
    for fl in doc["flows"]:
        s = fl["sink"]
        vendor = node(f"vendor:{fl['vendor']}", kind="vendor",
                      label=names.get(fl["vendor"], fl["vendor"]), vendor=fl["vendor"])
        sink = node(f"sink:{s['path']}:{s['line']}:{s['column']}:{fl['vendor']}", kind="sink",
                    label=s["callee"], call=s["call"], path=s["path"], line=s["line"],
                    column=s["column"])
        edge(sink, vendor, "sends", s, fl)
        if not fl["field"]:
            continue
        fnode = node(f"field:{fl['field']}", kind="field", label=fl["field"])
        prev = None
        for st in fl["steps"]:
            if st["kind"] == "sink":
                continue
            if st["kind"] == "source" and prev is None:
                nid = node(f"source:{st['path']}:{st['line']}:{st['column']}:{fl['field']}",
                           kind="source", label=st["expr"], path=st["path"], line=st["line"],
                           column=st["column"])
                edge(fnode, nid, "read", st, fl)
            else:
                nid = node(f"transform:{st['path']}:{st['line']}:{st['column']}", kind="transform",
                           label=st["expr"], step=st["kind"], path=st["path"], line=st["line"],
                           column=st["column"])
                edge(prev or fnode, nid, "flow", st, fl)
            prev = nid
        edge(prev or fnode, sink, "flow", s, fl)
    return {"nodes": [nodes[k] for k in sorted(nodes)],
            "edges": [edges[k] for k in sorted(edges)]}


def to_networkx(doc: Mapping[str, Any]) -> Any:
    """The map's graph as a networkx DiGraph (lists joined with commas so GraphML and
    DOT writers accept every attribute)."""
    import networkx as nx

    g = nx.DiGraph(name=f"flowscan data map: {doc.get('root', '')}")
    for n in doc["graph"]["nodes"]:
        g.add_node(n["id"], **{k: _flat(v) for k, v in n.items() if k != "id"})
    for e in doc["graph"]["edges"]:
        g.add_edge(e["source"], e["target"],
                   **{k: _flat(v) for k, v in e.items() if k not in ("source", "target")})
    return g


def _flat(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ",".join(str(x) for x in value)
    return value


# ---------------------------------------------------------------- filtering


def select_vendors(doc: Mapping[str, Any], wanted: Iterable[str],
                   catalog: Any = None) -> dict[str, Any]:
    """The map restricted to some vendors (ids or names, any case): `--vendor`. A
    catalog vendor the scan never saw is kept as an entry that receives nothing, so
    "what did we send them?" gets an answer; an unknown name raises KeyError."""
    keys = {w.lower() for w in wanted}
    out = {k: v for k, v in doc.items() if k not in ("vendors", "flows")}
    out["vendors"] = [dict(v) for v in doc["vendors"]
                      if v["id"].lower() in keys or v["name"].lower() in keys]
    found = {k for v in out["vendors"] for k in (v["id"].lower(), v["name"].lower())}
    for key in sorted(keys - found):
        vid = _catalog_id(catalog, key)
        if vid is None:
            raise KeyError(key)
        if vid.lower() not in found:
            out["vendors"].append(vendor_stub(catalog, vid))
            found.add(vid.lower())
    ids = {v["id"] for v in out["vendors"]}
    out["flows"] = [fl for fl in doc["flows"] if fl["vendor"] in ids]
    out["categories"] = [dict(c) for c in doc["categories"]]
    return derive(out)


def vendor_stub(catalog: Any, vid: str) -> dict[str, Any]:
    """An inventory entry for a catalog vendor the scan never saw (so `--vendor x`
    answers "nothing" rather than an empty page)."""
    info = catalog.vendors.get(vid, {})
    return {"id": vid, "name": str(info.get("name", vid)),
            "vendorCategory": str(info.get("category", "other")), "declared": False,
            "manifests": [], "imported": False, "importedIn": []}


def _catalog_id(catalog: Any, key: str) -> str | None:
    if catalog is None:
        return None
    for vid, info in catalog.vendors.items():
        if key in (vid.lower(), str(info.get("name", vid)).lower()):
            return str(vid)
    return None

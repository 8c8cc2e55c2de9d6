"""SARIF 2.1.0 for GitHub code scanning and other viewers, per shared/CONTRACT.md.

Built from plain dicts in a fixed key order so equal scans give byte-identical logs.
Allowed findings are left out (they are data map entries, not results); suppressed
ones stay, with `suppressions`, so viewers can show them as dismissed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flowscan import __version__
from flowscan.model import Finding, Flow, ScanResult, Span
from flowscan.policy import Policy, PolicyRule, is_suppressed
from flowscan.reporters.common import describe, error_spans, is_reported, prepare
from flowscan.reporters.common import sorted_files as _sorted_files

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/flowscan/flowscan"
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000  # GitHub code scanning: results per run
MAX_STEPS = 100  # per threadFlow; GitHub accepts up to 1,000 locations


class SarifReporter:
    name = "sarif"

    def render(self, result: ScanResult, policy: Policy, *,
               vendors: Mapping[str, str], portable: bool = False,
               notes: Sequence[tuple[str, str, str | None]] = (),
               fixes: Mapping[Any, list[dict[str, Any]]] | None = None, **options: Any) -> str:
        """One run. `portable` leaves out the absolute root URI (machine-specific);
        `notes` are extra (level, text, path) tool notifications: unused ignores,
        stale baseline entries; `fixes`: SARIF fixes by (fingerprint, span) (flowscan/fix)."""
        log = sarif_log(result, policy, vendors, portable=portable, extra_notes=notes,
                        fixes=fixes)
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def sarif_log(result: ScanResult, policy: Policy, vendors: Mapping[str, str], *,
              portable: bool = False,
              extra_notes: Sequence[tuple[str, str, str | None]] = (),
              fixes: Mapping[Any, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (for tests and for callers that merge runs)."""
    files = _sorted_files(result)
    analysed = [o.path for o in files if o.status in ("scanned", "partial")]
    index = {path: i for i, path in enumerate(dict.fromkeys(analysed))}
    notes: list[dict[str, Any]] = []

    findings = [f for f in prepare(result, policy) if is_reported(f)]
    if len(findings) > MAX_RESULTS:
        notes.append(_notification(
            "warning",
            f"results truncated: {MAX_RESULTS} of {len(findings)} reported "
            "(GitHub code scanning limit); use --format json for all",
        ))
        findings = findings[:MAX_RESULTS]

    used = sorted({f.rule_id for f in findings}, key=_rule_sort_key(policy))
    rules = [policy.rule(code) for code in used]
    rule_index = {code: i for i, code in enumerate(used)}

    truncated_flows = 0
    results = []
    for f in findings:
        res, cut = _result(f, rule_index, index, vendors)
        if fixes and fixes.get((f.fingerprint, f.span)) and not is_suppressed(f):
            res["fixes"] = fixes[(f.fingerprint, f.span)]
        truncated_flows += cut
        results.append(res)
    if truncated_flows:
        notes.append(_notification(
            "note", f"{truncated_flows} code flows truncated to {MAX_STEPS} steps",
        ))

    for o in files:
        if o.status == "skipped":
            notes.append(_notification("note", f"skipped: {o.reason or 'unknown'}",
                                       o.path))
        elif o.status == "partial":
            spans = error_spans(o)
            text = "partially parsed: " + (o.reason or "syntax errors")
            notes.append(_notification(
                "warning", text + (f" at {spans}" if spans else ""), o.path, index))

    for level, text, path in extra_notes:
        notes.append(_notification(level, text, path, index))

    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules, used)},
        "automationDetails": {"id": "flowscan/"},
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": notes,
        }],
    }
    if not portable:
        root = Path(result.root).resolve().as_uri().rstrip("/") + "/"
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root}}
    run["artifacts"] = [{"location": _artifact(p, {})} for p in index]
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = results
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule_sort_key(policy: Policy) -> Any:
    order = {r.code: i for i, r in enumerate(policy.rules)}
    return lambda code: (order.get(code, len(order)), code)


def _driver(rules: list[PolicyRule | None], used: list[str]) -> dict[str, Any]:
    return {
        "name": "flowscan",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(r, code) for r, code in zip(rules, used, strict=True)],
    }


def _rule(rule: PolicyRule | None, code: str) -> dict[str, Any]:
    if rule is None:  # decided by another policy: describe it minimally
        return {"id": code, "shortDescription": {"text": code}}
    tags = list(rule.tags) + [f"external/cwe/{c.lower()}" for c in rule.cwe]
    text = (f"{rule.description}\n\nWhy it matters: {rule.why}\n\n"
            f"Example:\n\n{_indent(rule.example)}\n\nHow to fix: {rule.fix}")
    cwe = ", ".join(rule.cwe)
    markdown = (f"{rule.description}\n\n## Why it matters\n\n{rule.why}\n\n"
                f"## Example\n\n```\n{rule.example}\n```\n\n## How to fix\n\n{rule.fix}"
                + (f"\n\nSee {cwe}." if cwe else ""))
    out: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": text, "markdown": markdown},
    }
    if rule.help_uri:
        out["helpUri"] = rule.help_uri
    out["defaultConfiguration"] = {"level": rule.level}
    out["properties"] = {
        "tags": tags,
        "security-severity": rule.security_severity,
        "precision": rule.precision,
    }
    return out


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _artifact(path: str, index: Mapping[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}
    if path in index:
        out["index"] = index[path]
    return out


def _region(span: Span) -> dict[str, int]:
    region = {"startLine": max(span.line, 1), "startColumn": max(span.col, 1)}
    if span.end_line >= span.line and span.end_line > 0:
        region["endLine"] = span.end_line
        if span.end_col > 0:
            region["endColumn"] = span.end_col
    return region


def _physical(span: Span, index: Mapping[str, int]) -> dict[str, Any]:
    return {"artifactLocation": _artifact(span.path, index), "region": _region(span)}


def _code_flow(flow: Flow, index: Mapping[str, int]) -> tuple[dict[str, Any], bool]:
    steps = list(flow.steps)
    cut = len(steps) > MAX_STEPS
    if cut:  # keep the source side and the sink
        steps = steps[: MAX_STEPS - 1] + steps[-1:]
    locations = [
        {
            "location": {
                "physicalLocation": _physical(s.span, index),
                "message": {"text": s.expr or s.kind},
            },
            "kinds": [s.kind],
        }
        for s in steps
    ]
    return {
        "message": {"text": f"{flow.field} ({flow.category}) -> {flow.role}"},
        "threadFlows": [{"locations": locations}],
    }, cut


def _result(f: Finding, rule_index: Mapping[str, int], index: Mapping[str, int],
            vendors: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    res: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index[f.rule_id],
        "level": f.level,
        "message": {"text": describe(f, vendors)},
        "locations": [{"physicalLocation": _physical(f.span, index)}],
        "partialFingerprints": {"flowscan/v1": f.fingerprint},
    }
    cut = 0
    flows = []
    for flow in f.flows:
        if flow.steps:
            cf, was_cut = _code_flow(flow, index)
            flows.append(cf)
            cut += was_cut
    if flows:
        res["codeFlows"] = flows
    if is_suppressed(f):
        res["suppressions"] = [{"kind": "inSource",
                                "justification": f.suppressed or "inline ignore"}]
    res["properties"] = {
        "vendor": f.vendor,
        "dataCategories": list(f.categories),
        "fields": list(f.fields),
        "roles": list(f.roles),
        "kind": f.kind,
        "sink": f.sink,
        "confidence": f.confidence,
    }
    return res, cut


def _notification(level: str, text: str, path: str | None = None,
                  index: Mapping[str, int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"level": level, "message": {"text": text}}
    if path is not None:
        out["locations"] = [{"physicalLocation": {
            "artifactLocation": _artifact(path, index or {})}}]
    return out

"""Plain text for terminals and CI logs: one grep-able, editor-clickable line per
finding (`path:line:col:`), no colour, so it reads the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowscan.model import Finding, ScanResult
from flowscan.policy import Policy, is_suppressed
from flowscan.reporters.common import (
    error_spans,
    is_reported,
    plural,
    prepare,
    sorted_files,
    summary,
    vendor_name,
)


class TextReporter:
    name = "text"

    def render(self, result: ScanResult, policy: Policy, *,
               vendors: Mapping[str, str], trace: bool = False, **options: Any) -> str:
        """Findings (unsuppressed, not allowed), with their flows when `trace`, then
        the summary line. With `trace` the partial and skipped files are listed too."""
        findings = prepare(result, policy)
        lines: list[str] = []
        for f in findings:
            if not is_reported(f) or is_suppressed(f):
                continue
            lines.append(finding_line(f, vendors))
            if trace:
                lines.extend(trace_lines(f))
        if trace:
            for o in sorted_files(result):
                if o.status == "skipped":
                    lines.append(f"{o.path}: skipped: {o.reason or 'no reason given'}")
                elif o.status == "partial":
                    detail = o.reason or "syntax errors"
                    spans = error_spans(o)
                    lines.append(f"{o.path}: partial: {detail}"
                                 + (f" at {spans}" if spans else ""))
        lines.append(summary_line(findings, result))
        return "\n".join(lines) + "\n"


def finding_line(f: Finding, vendors: Mapping[str, str]) -> str:
    """`path:line:col: level RULE Vendor: categories (fields) via callee`."""
    where = f"{f.span.path}:{f.span.line}:{f.span.col}"
    what = ", ".join(f.categories) or "personal data"
    if f.kind == "config" and f.message:
        what = f.message + (f" ({', '.join(f.categories)})" if f.categories else "")
    elif f.fields:
        what += f" ({', '.join(f.fields)})"
    low = " [low confidence]" if f.confidence == "low" else ""
    name = vendor_name(f.vendor, vendors)
    return f"{where}: {f.level} {f.rule_id} {name}: {what} via {f.callee}{low}"


def trace_lines(f: Finding) -> list[str]:
    out = []
    for flow in f.flows:
        out.append(f"    {flow.category}: {flow.field} -> {flow.role}")
        for st in flow.steps:
            out.append(f"      {st.span.path}:{st.span.line}:{st.span.col} "
                       f"{st.kind} {st.expr}")
    return out


def summary_line(findings: list[Finding], result: ScanResult) -> str:
    s = summary(findings, result)
    by_level, files = s["findings"], s["files"]
    total = sum(by_level.values())
    head = plural(total, "finding")
    if total:
        parts = [plural(n, lvl) for lvl, n in by_level.items() if n]
        head += f" ({', '.join(parts)})"
    if s["suppressed"]:
        head += f", {s['suppressed']} suppressed"
    if s["allowed"]:
        head += f", {s['allowed']} allowed"
    scanned = plural(files.get("scanned", 0), "file") + " scanned"
    rest = ", ".join(f"{n} {k}" for k, n in files.items() if k != "scanned")
    return f"flowscan: {head}; {scanned}, {rest}"

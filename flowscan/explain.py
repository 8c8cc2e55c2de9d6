"""`flowscan explain FILE:LINE`: why a finding exists, field by field: which taxonomy
pattern classified each field (and which object decided, for ambiguous names), and
the path from each source to the sink."""

from __future__ import annotations

from collections.abc import Mapping

from flowscan.model import Finding


def render(findings: list[Finding], vendors: Mapping[str, str], categories: Mapping[str, str]
           ) -> str:
    lines: list[str] = []
    for f in findings:
        where = f"{f.span.path}:{f.span.line}:{f.span.col}"
        vendor = vendors.get(f.vendor, f.vendor)
        lines.append(f"{where}: {f.level or 'finding'} {f.rule_id} {vendor} via {f.callee} "
                     f"({f.sink}) in {f.scope}")
        if f.suppressed is not None:
            lines.append(f"  suppressed inline: {f.suppressed}")
        if f.message:
            lines.append(f"  {f.message}")
        for flow in f.flows:
            why = f"matched /{flow.pattern}/" if flow.pattern else "classified"
            if flow.context:
                why += f" on a {flow.context!r} object"
            title = categories.get(flow.category, flow.category)
            lines.append(f"  {flow.field}: {flow.category} ({title}), {why}; "
                         f"reaches the {flow.role} argument")
            for step in flow.steps:
                lines.append(f"    {step.span.path}:{step.span.line}:{step.span.col}  "
                             f"{step.kind:<6} {step.expr}")
        lines.append("")
    return "\n".join(lines)

"""What every reporter needs: decided findings in one stable order, and the same
human wording, so text, JSON and SARIF never disagree about a finding."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypedDict

from flowscan.model import LEVELS, FileOutcome, Finding, Flow, ScanResult
from flowscan.policy import LEVEL_NONE, Policy, is_suppressed


def finding_key(f: Finding) -> tuple:
    """Total order on findings that never compares None with str."""
    return (f.span, f.vendor, f.kind, f.sink, f.callee, f.scope,
            tuple(sorted(f.categories)), f.rule_id, f.level, f.suppressed or "",
            f.suppressed is not None, f.message, f.confidence, sorted_flows(f))


def sorted_flows(f: Finding) -> tuple[Flow, ...]:
    return tuple(sorted(set(f.flows)))


def prepare(result: ScanResult, policy: Policy) -> list[Finding]:
    """Findings decided (those the caller did not decide yet), normalised (sorted
    categories and flows) and in a stable order, whatever order they arrived in."""
    out = []
    for f in result.findings:
        if not f.rule_id or not f.level:
            f = policy.decide(f)
        f = dataclasses.replace(
            f, categories=tuple(sorted(set(f.categories))), flows=sorted_flows(f)
        )
        out.append(f)
    return sorted(out, key=finding_key)


def sorted_files(result: ScanResult) -> list[FileOutcome]:
    return sorted(result.files, key=lambda o: (o.path, o.status, o.language, o.reason,
                                               o.errors, o.lines))


def is_allowed(f: Finding) -> bool:
    """Every category is allowed by the policy: kept in the data map only."""
    return f.level == LEVEL_NONE


def is_reported(f: Finding) -> bool:
    """A result in text and SARIF (suppressed ones are reported as suppressed)."""
    return not is_allowed(f)


def vendor_name(vendor: str, vendors: Mapping[str, str]) -> str:
    return vendors.get(vendor) or vendor


def _join(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(items)


def describe(f: Finding, vendors: Mapping[str, str]) -> str:
    """One sentence: 'email, name from user.email, user.name reach Mixpanel
    (mixpanel.Mixpanel().track)'."""
    name = vendor_name(f.vendor, vendors)
    if f.kind == "config":
        cats = _join(f.categories) or "personal data"
        detail = f": {f.message}" if f.message else ""
        return f"{name} SDK configuration collects {cats}{detail} ({f.sink})"
    cats = _join(f.categories) or "personal data"
    verb = "reaches" if len(f.categories) <= 1 else "reach"
    fields = f" from {_join(f.fields)}" if f.fields else ""
    return f"{cats}{fields} {verb} {name} ({f.sink})"


class Summary(TypedDict):
    findings: dict[str, int]  # by level, most severe first
    suppressed: int
    allowed: int
    files: dict[str, int]  # by status


def summary(findings: list[Finding], result: ScanResult) -> Summary:
    """Counts by level of the reported, unsuppressed findings, plus file outcomes."""
    by_level = {lvl: 0 for lvl in reversed(LEVELS)}
    suppressed = allowed = 0
    for f in findings:
        if is_allowed(f):
            allowed += 1
        elif is_suppressed(f):
            suppressed += 1
        elif f.level in by_level:
            by_level[f.level] += 1
    return {
        "findings": by_level,
        "suppressed": suppressed,
        "allowed": allowed,
        "files": file_counts(result),
    }


def file_counts(result: ScanResult) -> dict[str, int]:
    """scanned/partial/skipped first, any other status after, in a stable order."""
    counts = result.counts()
    head = {k: counts.pop(k) for k in ("scanned", "partial", "skipped")}
    return head | dict(sorted(counts.items()))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def error_spans(o: FileOutcome) -> str:
    """'3:5-3:9, 10:1' for the spans of a partially parsed file."""
    parts = []
    for s in sorted(o.errors):
        start = f"{s.line}:{s.col}"
        parts.append(f"{start}-{s.end_line}:{s.end_col}" if s.end_line else start)
    return ", ".join(parts)

"""Results as frozen, totally ordered values: the analysis produces them, the policy
decides on them, reporters print them. Nothing here knows how code was parsed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowscan.pickling import by_fields

LEVELS = ("note", "warning", "error")  # ascending severity


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


@by_fields
@dataclass(frozen=True, order=True, slots=True)
class Span:
    path: str  # relative to the scan root, forward slashes
    line: int  # 1-based
    col: int = 1  # 1-based
    end_line: int = 0
    end_col: int = 0


@by_fields
@dataclass(frozen=True, order=True, slots=True)
class Step:
    """One hop of a code flow: where the value was and what it looked like there."""

    span: Span
    expr: str
    kind: str  # source | call | return | sink


@by_fields
@dataclass(frozen=True, order=True, slots=True)
class Flow:
    """One personal-data field reaching the sink, with how it got there."""

    field: str  # the source expression, e.g. user.email
    category: str
    role: str  # the sink argument role it reached
    steps: tuple[Step, ...]
    pattern: str = ""  # the taxonomy pattern that classified the field
    context: str = ""  # the object the field was read from, if that decided


@by_fields
@dataclass(frozen=True, order=True, slots=True)
class Finding:
    """One (sink call, vendor) pair that personal data reaches."""

    span: Span
    vendor: str
    kind: str  # data | config | http
    sink: str  # catalog call path, e.g. mixpanel.Mixpanel().track
    callee: str  # the callee as written, e.g. mp.track
    scope: str  # enclosing function, e.g. Tracker.track, or <module>
    categories: tuple[str, ...]
    flows: tuple[Flow, ...]
    confidence: str = "high"  # high | low (inventory-tier vendors)
    message: str = ""  # config leaks: what is wrong
    rule_id: str = ""  # set by the policy
    level: str = ""  # set by the policy
    suppressed: str | None = None  # justification when an inline ignore applies

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(sorted({f.field for f in self.flows}))

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(sorted({f.role for f in self.flows}))

    @property
    def fingerprint(self) -> str:
        """Stable across line moves and unrelated findings: built from what the
        finding is (file, scope, callee, vendor, data and the fields carrying it), never
        from where it is. Identical calls in one scope share it: baselines count them."""
        key = "\x1f".join(
            (self.span.path, self.scope, self.callee, self.vendor, self.kind, self.sink,
             ",".join(sorted(self.categories)), ",".join(self.fields))
        )
        return hashlib.sha256(key.encode()).hexdigest()[:32]


@by_fields
@dataclass(frozen=True, order=True, slots=True)
class FileOutcome:
    path: str
    status: str  # scanned | partial | skipped
    language: str = ""
    reason: str = ""  # skipped: why; partial: a summary
    errors: tuple[Span, ...] = ()  # partial: the spans tree-sitter could not parse
    lines: int = 0


@dataclass(slots=True)
class ScanResult:
    root: str
    findings: list[Finding] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    # file -> the modules it imports (the data map derives which vendors' SDKs each
    # file imports from it, manifests.imported_vendors; a scan has no need to)
    imports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unused_ignores: list[Any] = field(default_factory=list)  # suppress.UnusedIgnore
    analysed: tuple[str, ...] = ()  # files the data-flow analysis read (growth.py)

    def counts(self) -> dict[str, int]:
        out = {"scanned": 0, "partial": 0, "skipped": 0}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

"""Inline expectations in fixture files (`expect(TIER): vendor[cats]`, `clean: why`)
and their comparison with a scan: the fixture test and bench/accuracy.py share it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from flowscan.frontends import frontend_for
from flowscan.model import Finding
from flowscan.sfc import SFC_EXTENSIONS

EXPECT = re.compile(r"(?:#|//|/\*)\s*expect\((?P<tier>[\w-]+)\):\s*(?P<body>[^*\n]*)")
CLEAN = re.compile(r"(?:#|//|/\*)\s*clean:")
ITEM = re.compile(r"(?P<vendor>[a-z0-9-]+)\[(?P<cats>[a-z_, ]*)\]")


@dataclass(frozen=True, order=True, slots=True)
class Expected:
    path: str  # relative to the fixture root
    line: int
    vendor: str
    categories: tuple[str, ...]
    tier: str
    language: str


@dataclass
class Fixture:
    root: Path
    expected: list[Expected] = field(default_factory=list)
    clean_lines: set[tuple[str, int]] = field(default_factory=set)


def read_fixture(root: Path) -> Fixture:
    fixture = Fixture(root)
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        fe = frontend_for(path.name)
        language = fe.language if fe is not None else (
            "javascript" if path.name.endswith(SFC_EXTENSIONS) else None)
        if language is None:
            continue
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1):
            m = EXPECT.search(line)
            if m:
                for item in ITEM.finditer(m.group("body")):
                    cats = tuple(sorted(c.strip() for c in item.group("cats").split(",")
                                        if c.strip()))
                    fixture.expected.append(Expected(rel, n, item.group("vendor"), cats,
                                                     m.group("tier"), language))
            elif CLEAN.search(line):
                fixture.clean_lines.add((rel, n))
    return fixture


@dataclass
class Comparison:
    """Per expected/actual pair: a finding must match file, line, vendor and exactly
    the categories to count as a true positive."""

    true_positives: list[Expected] = field(default_factory=list)
    false_negatives: list[tuple[Expected, tuple[str, ...] | None]] = field(default_factory=list)
    false_positives: list[Finding] = field(default_factory=list)
    clean_violations: list[Finding] = field(default_factory=list)

    def counts(self) -> tuple[int, int, int]:
        return len(self.true_positives), len(self.false_positives), len(self.false_negatives)


def compare(fixture: Fixture, findings: list[Finding]) -> Comparison:
    out = Comparison()
    # an annotation is about its line: two calls of one vendor there (a callback that
    # sets the user and adds metadata) are scored together
    actual: dict[tuple[str, int, str], Finding] = {}
    for f in sorted(findings):
        key = (f.span.path, f.span.line, f.vendor)
        if key in actual:
            merged = tuple(sorted(set(actual[key].categories) | set(f.categories)))
            f = replace(actual[key], categories=merged)
        actual[key] = f
    seen: set[tuple[str, int, str]] = set()
    for exp in fixture.expected:
        key = (exp.path, exp.line, exp.vendor)
        seen.add(key)
        got = actual.get(key)
        if got is not None and got.categories == exp.categories:
            out.true_positives.append(exp)
        else:
            out.false_negatives.append((exp, got.categories if got is not None else None))
    for key, f in sorted(actual.items()):
        if key in seen:
            if f.categories != next(e.categories for e in fixture.expected
                                    if (e.path, e.line, e.vendor) == key):
                out.false_positives.append(f)
            continue
        out.false_positives.append(f)
        if (f.span.path, f.span.line) in fixture.clean_lines:
            out.clean_violations.append(f)
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


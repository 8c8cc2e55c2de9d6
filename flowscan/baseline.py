"""Baselines: accept today's findings, fail only on new ones.

A baseline file lists fingerprints (model.Finding.fingerprint: file, scope, callee,
vendor, kind, sink, categories and fields, never line numbers) with how many findings
share each, plus vendor, categories, file and a description so a reviewer can read it.
Matching is by fingerprint *and count*: a second, identical leak next to an accepted
one is new. Entries that match nothing any more are reported so the file can be pruned.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowscan import __version__
from flowscan.model import Finding

FORMAT = "flowscan-baseline"
VERSION = 1


class BaselineError(Exception):
    """An unreadable or malformed baseline file; the message names it."""


@dataclass(frozen=True, order=True, slots=True)
class Entry:
    path: str
    fingerprint: str
    count: int
    rule_id: str = ""
    vendor: str = ""
    categories: tuple[str, ...] = ()
    description: str = ""

    def describe(self) -> str:
        times = f" (x{self.count})" if self.count > 1 else ""
        return f"{self.path}: {self.rule_id} {self.vendor} {self.fingerprint}{times}: " \
               f"{self.description}"


def counts_toward_baseline(f: Finding) -> bool:
    """Reported, unsuppressed findings: the ones that could fail a scan."""
    return f.suppressed is None and f.level not in ("", "none")


def entries(findings: Iterable[Finding], vendors: Mapping[str, str]) -> list[Entry]:
    from flowscan.reporters.common import describe

    grouped: dict[str, list[Finding]] = {}
    for f in findings:
        if counts_toward_baseline(f):
            grouped.setdefault(f.fingerprint, []).append(f)
    out = []
    for fp, group in grouped.items():
        f = min(group)
        out.append(Entry(f.span.path, fp, len(group), f.rule_id, f.vendor,
                         tuple(sorted(f.categories)), describe(f, vendors)))
    return sorted(out)


def dumps(items: list[Entry]) -> str:
    """Stable JSON (sorted by file, then fingerprint; no line numbers, no dates), so
    regenerating an unchanged baseline gives an unchanged file and a clean diff."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "generator": f"flowscan {__version__}",
        "findings": [
            {"fingerprint": e.fingerprint, "count": e.count, "path": e.path,
             "ruleId": e.rule_id, "vendor": e.vendor, "dataCategories": list(e.categories),
             "description": e.description}
            for e in sorted(items)
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def load(path: Path) -> list[Entry]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f"{path}: not a flowscan baseline (expected \"format\": "
                            f"\"{FORMAT}\"; create one with `flowscan baseline create`)")
    if doc.get("version") != VERSION:
        raise BaselineError(f"{path}: baseline version {doc.get('version')!r} is not "
                            f"supported (expected {VERSION}); recreate it")
    out = []
    for i, raw in enumerate(doc.get("findings") or ()):
        try:
            out.append(_entry(raw))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: findings[{i}]: expected an object with "
                                "\"fingerprint\" and \"path\"") from None
    return out


def _entry(raw: Any) -> Entry:
    count = int(raw.get("count", 1))
    if count < 1 or not isinstance(raw["fingerprint"], str):
        raise ValueError
    return Entry(str(raw["path"]), raw["fingerprint"], count, str(raw.get("ruleId", "")),
                 str(raw.get("vendor", "")), tuple(raw.get("dataCategories") or ()),
                 str(raw.get("description", "")))


@dataclass
class Applied:
    new: list[Finding]  # what to report and fail on (plus suppressed/allowed, untouched)
    matched: int  # findings the baseline accepted
    stale: list[Entry]  # entries (or the surplus of their count) that matched nothing


def apply(findings: list[Finding], baseline: list[Entry]) -> Applied:
    """Drop the findings the baseline accepts. Within one fingerprint the first ones
    in file order are the accepted ones; the surplus is new."""
    budget = Counter[str]()
    for e in baseline:
        budget[e.fingerprint] += e.count
    left = Counter(budget)
    kept: list[Finding] = []
    matched = 0
    for f in sorted(findings):
        if counts_toward_baseline(f) and left[f.fingerprint] > 0:
            left[f.fingerprint] -= 1
            matched += 1
        else:
            kept.append(f)
    stale = []
    for e in sorted(baseline):
        missing = min(left[e.fingerprint], e.count)
        if missing > 0:
            left[e.fingerprint] -= missing
            stale.append(Entry(e.path, e.fingerprint, missing, e.rule_id, e.vendor,
                               e.categories, e.description))
    return Applied(kept, matched, stale)

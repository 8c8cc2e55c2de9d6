"""`flowscan fix`: scan, pick findings, show the diff, write it when asked. The diff
goes to stdout (so it can be piped to `git apply`), everything else to stderr."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from flowscan.fix.base import KINDS, FixOptions, Sanitiser
from flowscan.model import Finding


class FixUsageError(Exception):
    """Bad options or configuration: exit 2 with this message."""


@dataclass
class Request:
    paths: Sequence[Path]
    kind: str
    rules: Sequence[str] = ()
    vendors: Sequence[str] = ()
    categories: Sequence[str] = ()
    fingerprints: Sequence[str] = ()
    reason: str = ""
    sanitisers: Sequence[str] = ()  # LANG=MODULE:FUNCTION
    mode: str = "auto"  # auto | dry-run | apply
    force: bool = False
    include_tests: bool = False
    exclude: Sequence[str] = ()
    jobs: int = 0
    config: Path | None = None


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def parse_sanitisers(values: Sequence[str]) -> dict[str, Sanitiser]:
    from flowscan.fix.plan import LANGUAGE_ALIASES

    out: dict[str, Sanitiser] = {}
    for value in values:
        lang, sep, spec = value.partition("=")
        key = LANGUAGE_ALIASES.get(lang.strip().lower()) if sep else None
        if key is None:
            raise FixUsageError(f"--sanitiser {value!r}: expected LANG=MODULE:FUNCTION, e.g. "
                                "python=myapp.privacy:hash_pii or "
                                "javascript=@/lib/privacy:hashPii")
        try:
            out[key] = Sanitiser.parse(spec)
        except ValueError as exc:
            raise FixUsageError(str(exc)) from None
    return out


def run(req: Request) -> int:
    """The whole command; returns the exit code (0 all fixed, 1 some not, 2 refused)."""
    from flowscan.fix import plan as fp
    from flowscan.workflow import echo_messages
    from flowscan.workflow import run as scan

    if req.kind not in KINDS:
        raise FixUsageError(f"--kind must be one of {', '.join(KINDS)}")
    if req.kind == "suppress" and not req.reason.strip():
        raise FixUsageError("--kind suppress needs --reason: say why the flow is acceptable")
    sanitisers = parse_sanitisers(req.sanitisers)
    if req.kind == "pseudonymise" and not sanitisers:
        raise FixUsageError(
            "pseudonymise needs your project's sanitiser: pass --sanitiser "
            "python=myapp.privacy:hash_pii and/or --sanitiser javascript=@/lib/privacy:hashPii")

    r = scan(list(req.paths), config=req.config, include_tests=req.include_tests,
             jobs=req.jobs, exclude=tuple(req.exclude))
    echo_messages(r.messages)
    result, catalog = r.result, r.catalog
    for lang, s in sorted(sanitisers.items()):
        if not catalog.taxonomy.is_sanitiser(s.name):
            raise FixUsageError(
                f"{lang} sanitiser {s.name}() is not one the analysis recognises, so the "
                "finding would stay: use a name such as hash_pii or pseudonymise_email, or "
                "add a pattern to `sanitisers` in your flowscan configuration")

    candidates = fp.fixable(result)
    chosen = fp.select(candidates, rules=req.rules, vendors=req.vendors,
                       categories=req.categories, fingerprints=req.fingerprints)
    filtered = any((req.rules, req.vendors, req.categories, req.fingerprints))
    if not filtered and chosen and interactive() and req.mode == "auto":
        chosen = _choose(chosen)
    if not chosen:
        click.echo("flowscan fix: no finding to fix" + (" matches the filters" if filtered
                                                        else ""), err=True)
        return 0

    plans = fp.plan(result.root, chosen, FixOptions(req.kind, req.reason, sanitisers))
    for p in plans:
        if p.changed:
            sys.stdout.write(fp.unified_diff(p))
    sys.stdout.flush()
    for p in plans:
        for finding, outcome in sorted(p.outcomes.items(), key=lambda kv: kv[0].span):
            _report(finding, outcome)
    counts = fp.summary(plans)
    changed = [p for p in plans if p.changed]
    mode = req.mode
    if mode == "auto":
        mode = "confirm" if interactive() else "dry-run"
    if mode == "confirm" and changed:
        mode = "apply" if click.confirm(f"Apply these changes to {len(changed)} file(s)?",
                                        default=False, err=True) else "dry-run"
    wrote = ""
    if mode == "apply" and changed:
        refusals = fp.apply(result.root, plans, force=req.force)
        if refusals:
            for r in refusals:
                click.echo(f"flowscan fix: refused: {r}", err=True)
            click.echo("flowscan fix: nothing written", err=True)
            return 2
        wrote = f"; wrote {len(changed)} file(s)"
    elif changed:
        wrote = "; dry run, nothing written (--apply writes)"
    click.echo(f"flowscan fix: {len(chosen)} finding(s): {counts['fixed']} fixed, "
               f"{counts['partial']} partly, {counts['unfixed']} not fixed{wrote}", err=True)
    return 0 if counts["partial"] == counts["unfixed"] == 0 else 1


def _report(f: Finding, outcome: Any) -> None:
    head = f"{f.span.path}:{f.span.line}: {f.rule_id} {f.vendor} ({f.callee}): {outcome.status}"
    click.echo(head + (f": {'; '.join(outcome.done)}" if outcome.done else ""), err=True)
    for note in outcome.notes:
        click.echo(f"    {note}", err=True)


def _choose(findings: list[Finding]) -> list[Finding]:
    click.echo("Findings:", err=True)
    for i, f in enumerate(findings, 1):
        click.echo(f"  {i:>3}. {f.span.path}:{f.span.line} {f.rule_id} {f.vendor} "
                   f"[{', '.join(f.categories)}] {', '.join(f.fields)}", err=True)
    while True:
        answer = click.prompt("Fix which (e.g. 1,3-5; Enter for all)", default="all",
                              show_default=False, err=True)
        picked = _ranges(answer, len(findings))
        if picked is not None:
            return [findings[i - 1] for i in picked]
        click.echo("  numbers or ranges between 1 and "
                   f"{len(findings)}, separated by commas", err=True)


def _ranges(text: str, n: int) -> list[int] | None:
    text = text.strip().lower()
    if text in ("", "all", "a"):
        return list(range(1, n + 1))
    out: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not 1 <= lo <= hi <= n:
            return None
        out.update(range(lo, hi + 1))
    return sorted(out)

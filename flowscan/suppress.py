"""Inline suppressions: `# flowscan: ignore[FS101] reason` (or `// ...`) on the sink
call's lines or the line just above it.

A token in the brackets names a rule code (`FS101`), a rule slug
(`special-category-to-vendor`) or a vendor id (`sentry`); no brackets means any
finding. The rest of the comment is the justification SARIF carries. An ignore, or one
token of it, that suppresses nothing is *unused*: reported on request so stale ignores
do not pile up and silently hide the next, unrelated finding on that line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from flowscan.model import Finding, Span

IGNORE = re.compile(r"flowscan:\s*ignore(?:\[([^\]]*)\])?[ \t:-]*(.*)", re.IGNORECASE)
NO_REASON = "suppressed inline (no reason given)"
ANY = "*"  # the token of an ignore without brackets
_COMMENT_START = re.compile(r"(#|//|/\*)")


@dataclass(frozen=True, slots=True)
class Ignore:
    """One ignore comment."""

    span: Span  # where the comment starts
    tokens: tuple[str, ...]  # codes, slugs or vendor ids; (ANY,) without brackets
    reason: str


@dataclass(frozen=True, order=True, slots=True)
class UnusedIgnore:
    span: Span
    token: str  # the code, slug or vendor that matched nothing, or "*"
    detail: str = ""  # why, when it is not simply "matched nothing"

    def describe(self) -> str:
        what = "flowscan: ignore" + ("" if self.token == ANY else f"[{self.token}]")
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.span.path}:{self.span.line}: unused {what}{detail}"


def parse(path: str, comments: Mapping[int, str]) -> dict[int, Ignore]:
    """Ignore comments by line. A comment that merely mentions flowscan is not one."""
    out: dict[int, Ignore] = {}
    for line, text in comments.items():
        m = IGNORE.search(text)
        if not m:
            continue
        head = text[: m.start()].strip()
        if head and not head.endswith(("#", "//", "/*", "*")):
            continue  # prose that mentions the syntax; `# noqa  # flowscan: ...` is fine
        tokens = (ANY,) if m.group(1) is None else tuple(
            t.strip() for t in m.group(1).split(",") if t.strip())
        reason = m.group(2).strip().removesuffix("*/").strip(" -:*/#")
        out[line] = Ignore(Span(path, line), tokens or (ANY,), reason)
    return out


def _matches(token: str, f: Finding, slugs: Mapping[str, str]) -> bool:
    if token == ANY:
        return True
    t = token.lower()
    return t in (f.rule_id.lower(), slugs.get(f.rule_id, "").lower(), f.vendor.lower())


def apply(findings: list[Finding], comments: Mapping[str, Mapping[int, str]],
          slugs: Mapping[str, str], vendors: Iterable[str] = (),
          root: str | None = None) -> tuple[list[Finding], list[UnusedIgnore]]:
    """Mark findings an ignore applies to; return them with the ignores (per token)
    that matched no reported finding. `comments`: path -> {line: comment text} of every
    analysed file; `slugs`: rule code -> slug. An ignore that only matches findings
    the policy already allows is unused too: the policy says it, the comment is noise.
    An ignore on the line above the call counts only when it stands on its own line
    (read from `root`): a trailing ignore belongs to its own line's statement."""
    ignores = {path: parse(path, c) for path, c in comments.items()}
    known = {k.lower() for pair in slugs.items() for k in pair} | {v.lower() for v in vendors}
    lines_of: dict[str, list[str]] = {}

    def own_line(ig: Ignore, line: int) -> bool:
        if root is None:
            return True
        if ig.span.path not in lines_of:
            try:
                text = (Path(root) / ig.span.path).read_text("utf-8", "replace")
                lines_of[ig.span.path] = text.splitlines()
            except OSError:
                lines_of[ig.span.path] = []
        src = lines_of[ig.span.path]
        raw = src[line - 1].strip() if 0 < line <= len(src) else ""
        return raw.startswith(("#", "//", "/*", "*"))

    used: set[tuple[str, int, str]] = set()
    allowed_only: set[tuple[str, int, str]] = set()
    out = []
    for f in findings:
        by_line = ignores.get(f.span.path) or {}
        last = max(f.span.end_line, f.span.line)
        reason: str | None = None
        for line in range(f.span.line - 1, last + 1):
            ig = by_line.get(line)
            if ig is None or (line < f.span.line and not own_line(ig, line)):
                continue
            hits = [t for t in ig.tokens if _matches(t, f, slugs)]
            if not hits:
                continue
            for t in hits:
                (allowed_only if f.level == "none" else used).add((f.span.path, line, t))
            if reason is None and f.level != "none":
                reason = ig.reason or NO_REASON
        out.append(replace(f, suppressed=reason) if reason is not None else f)
    unused = []
    for path, by_line in ignores.items():
        for line, ig in by_line.items():
            for t in ig.tokens:
                key = (path, line, t)
                if key in used:
                    continue
                detail = "the policy already allows it" if key in allowed_only else ""
                if not detail and known and t != ANY and t.lower() not in known:
                    detail = "not a rule code, rule slug or vendor id"
                unused.append(UnusedIgnore(ig.span, t, detail))
    return out, sorted(unused)


def text_comments(root: str, paths: Iterable[str]) -> dict[str, dict[int, str]]:
    """Ignore comments of files that were not lowered (they cannot hold findings, so any
    ignore there is stale), found by a line scan: only lines whose comment marker
    comes before `flowscan:`. Cheap: files without the word are dismissed by a byte
    search."""
    out: dict[str, dict[int, str]] = {}
    for rel in paths:
        try:
            data = (Path(root) / rel).read_bytes()
        except OSError:
            continue
        if b"flowscan" not in data:
            continue
        found: dict[int, str] = {}
        for n, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            pos = raw.find("flowscan")
            if pos < 0:
                continue
            m = _COMMENT_START.search(raw, 0, pos)
            if m is not None and IGNORE.search(raw, m.start()):
                found[n] = raw[m.start():]
        if found:
            out[rel] = found
    return out

"""What every fixer shares: the request, the per-finding answer, byte offsets from
finding spans, and text edits that keep the rest of a file byte-identical.

Fixers are editors, not analysis: they may parse with libcst or tree-sitter, but they
never decide what is personal data; they act on the spans a scan reported."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from flowscan.model import Finding, Flow, Span

KINDS = ("drop", "pseudonymise", "suppress")


@dataclass(frozen=True)
class Sanitiser:
    """The project's own pseudonymisation function, e.g. `myapp.privacy:hash_pii`."""

    module: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Sanitiser:
        module, sep, name = text.strip().rpartition(":")
        if not sep or not module or not re.fullmatch(r"[A-Za-z_$][\w$]*", name):
            raise ValueError(f"sanitiser {text!r}: expected MODULE:FUNCTION, "
                             "e.g. myapp.privacy:hash_pii or @/lib/privacy:hashPii")
        return cls(module, name)

    def __str__(self) -> str:
        return f"{self.module}:{self.name}"


@dataclass(frozen=True)
class FixOptions:
    kind: str
    reason: str = ""  # suppress: the justification written into the comment
    sanitisers: Mapping[str, Sanitiser] = field(default_factory=dict)  # language -> function


@dataclass
class Outcome:
    """What happened to one finding: `fixed` when every flow was handled (a re-scan
    will not report it), `partial` when some were, `unfixed` when none."""

    status: str = "unfixed"
    notes: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # e.g. "dropped user.email"


@dataclass
class FileFix:
    new: bytes
    outcomes: dict[Finding, Outcome]  # fingerprints are not unique: two calls alike


class Fixer(Protocol):
    """Rewrites one file for the given findings (all in that file). Never raises on
    odd input: what it cannot do is an `Outcome` note saying why."""

    language: str

    def fix(self, source: bytes, path: str, findings: Sequence[Finding],
            options: FixOptions) -> FileFix: ...


# ---------------------------------------------------------------- positions


class Lines:
    """Byte offsets of line starts, for 1-based (line, byte column) spans."""

    def __init__(self, src: bytes) -> None:
        self.src = src
        self.starts = [0] + [m.end() for m in re.finditer(rb"\n", src)]

    def offset(self, line: int, col: int) -> int:
        if line < 1 or line > len(self.starts):
            raise ValueError(f"line {line} out of range")
        return min(self.starts[line - 1] + max(col, 1) - 1, len(self.src))

    def span(self, span: Span) -> tuple[int, int]:
        return self.offset(span.line, span.col), self.offset(span.end_line, span.end_col)

    def line_of(self, offset: int) -> int:
        """1-based line containing `offset`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def line_start(self, offset: int) -> int:
        return self.starts[self.line_of(offset) - 1]

    def line_end(self, offset: int) -> int:
        """Offset of the newline ending the line (or end of file)."""
        end = self.src.find(b"\n", offset)
        return len(self.src) if end < 0 else end

    def newline(self) -> bytes:
        return b"\r\n" if b"\r\n" in self.src else b"\n"


Uses = Callable[[int, int, tuple[int, int], str], list[tuple[int, int]]]


def split_flows(f: Finding, lines: Lines, uses: Uses | None = None
                ) -> tuple[list[tuple[Flow, int, int]], list[str]]:
    """Flows whose source lies inside the sink call (fixable here), and a note for
    each of the others saying where its value comes from. `uses` maps a source
    outside the call that is a parameter of the enclosing function (the analysis
    gives the function's span and the parameter's name) to the places inside the
    call that read that parameter (the fixer knows the scopes)."""
    local: list[tuple[Flow, int, int]] = []
    notes: list[str] = []
    sink = lines.span(f.span)
    for flow in f.flows:
        src = flow.steps[0] if flow.steps and flow.steps[0].kind == "source" else None
        if src is None or not src.span.end_line:
            notes.append(f"{flow.field}: the flow has no source location")
            continue
        if src.span.path == f.span.path:
            start, end = lines.span(src.span)
            if sink[0] <= start and end <= sink[1]:
                local.append((flow, start, end))
                continue
            inside = uses(start, end, sink, src.expr) \
                if uses is not None and len(flow.steps) == 2 else []
            if inside:
                local += [(flow, s, e) for s, e in inside]
                continue
        via = [s for s in flow.steps[1:-1] if s.kind == "call"]
        where = f"{src.span.path}:{src.span.line}"
        if via:
            hop = via[-1]
            notes.append(f"{flow.field} reaches the call through {hop.expr} "
                         f"({hop.span.path}:{hop.span.line}), from {where}: fix it there "
                         "or use --kind suppress")
        elif src.span.path != f.span.path:
            notes.append(f"{flow.field} comes from another file ({where}): fix it there "
                         "or use --kind suppress")
        else:
            notes.append(f"{flow.field} is read at line {src.span.line}, outside the call: "
                         "edit it there or use --kind suppress")
    return local, notes


def settle(out: Outcome, flows: Sequence[Flow], ok: set[Flow], failed: set[Flow]) -> None:
    """A flow counts as handled when every place it reaches the call was edited."""
    handled = len(ok - failed)
    total = len(set(flows))
    out.status = "fixed" if handled == total and total else ("partial" if handled else "unfixed")


# ---------------------------------------------------------------- edits


@dataclass(frozen=True, order=True)
class Edit:
    start: int
    end: int
    text: bytes = b""


def apply_edits(src: bytes, edits: Sequence[Edit]) -> bytes:
    """Applies non-overlapping edits (duplicates collapse); overlapping ones are a bug
    in the caller, so they raise rather than corrupt the file."""
    out: list[bytes] = []
    pos = 0
    for e in sorted(set(edits)):
        if e.start < pos:
            raise ValueError(f"overlapping edits at byte {e.start}")
        out.append(src[pos:e.start])
        out.append(e.text)
        pos = e.end
    out.append(src[pos:])
    return b"".join(out)


_LINE_COMMENT = {"python": rb"#[^\r\n]*", "javascript": rb"(?://[^\r\n]*|/\*[^\r\n]*?\*/)"}


def remove_item(src: bytes, items: Sequence[tuple[int, int]], index: int,
                language: str) -> list[Edit]:
    """Deletes one element of a comma-separated list (dict entries, object members,
    call arguments) given every element's byte range, keeping the rest of the file
    byte-identical: an element alone on its lines goes with its lines (and its trailing
    comment); an inline one goes with its comma and the spaces next to it."""
    lines = Lines(src)
    start, end = items[index]
    last = index == len(items) - 1
    comment = _LINE_COMMENT[language]
    tail = re.compile(rb"[ \t]*(,)?[ \t]*(?:" + comment + rb")?[ \t]*\r?(?:\n|\Z)")
    before = src[lines.line_start(start):start]
    m = tail.match(src, end)
    if not before.strip() and m is not None:
        # alone on its lines: the lines go; the previous comma stays (a trailing comma
        # is valid in both languages and keeps that line out of the diff)
        return [Edit(lines.line_start(start), m.end())]
    own = re.compile(rb"[ \t]*,[ \t]*").match(src, end)
    if own is not None and not last:
        rest = src[own.end():own.end() + 1]
        if rest not in (b"\n", b"\r", b"") and not re.match(comment, src[own.end():]):
            return [Edit(start, own.end())]  # `a, X, b` -> `a, b`
        lead = start - (len(before) - len(before.rstrip(b" \t")))
        return [Edit(lead, own.end() - (len(own.group()) - len(own.group().rstrip(b" \t"))))]
    if own is not None:  # last, with a trailing comma: `a, X,}` -> `a,}`
        lead = start - (len(before) - len(before.rstrip(b" \t")))
        comma_end = end + own.group().index(b",") + 1
        return [Edit(lead if index > 0 else start, comma_end)]
    if index > 0:  # last, no trailing comma: take the comma before it
        prev_end = items[index - 1][1]
        c = re.compile(rb"[ \t]*,").match(src, prev_end)
        if c is not None:
            return [Edit(c.end() - 1, end)]
        return [Edit(start, end)]
    # the only element: keep the brackets' own spacing
    return [Edit(start, end)]


def ignore_comment(language: str, codes: Sequence[str], reason: str) -> bytes:
    marker = "#" if language == "python" else "//"
    text = f"{marker} flowscan: ignore[{','.join(sorted(set(codes)))}] {reason}".rstrip()
    return text.encode("utf-8")


def clean_reason(reason: str) -> str:
    """One line, nothing that could end a comment early."""
    return " ".join(reason.replace("*/", "* /").split())


def suppression_edits(src: bytes, lines: Lines, language: str, reason: str,
                      above: Mapping[int, list[Finding]], trailing: Mapping[int, list[Finding]],
                      outcomes: Mapping[Finding, Outcome], gap: bytes) -> bytes:
    """The ignore comments: on their own line above the call where that is safe, else
    at the end of the line (after `gap`), one comment for all findings of a line."""
    edits = []
    nl = lines.newline()
    for line, group in above.items():
        start = lines.starts[line - 1]
        text = src[start:lines.line_end(start)]
        indent = text[:len(text) - len(text.lstrip(b" \t"))]
        comment = ignore_comment(language, [f.rule_id for f in group], reason)
        edits.append(Edit(start, start, indent + comment + nl))
    for line, group in trailing.items():
        end = lines.line_end(lines.starts[line - 1])
        if src[end - 1:end] == b"\r":
            end -= 1
        comment = ignore_comment(language, [f.rule_id for f in group], reason)
        edits.append(Edit(end, end, gap + comment))
    for group in (*above.values(), *trailing.values()):
        for f in group:
            outcomes[f].status = "fixed"
            outcomes[f].done.append(f"suppressed {f.rule_id}")
    return apply_edits(src, edits)


def fix_sources(f: Finding, tree: Any, out: Outcome, uses: Uses | None,
                act: Callable[[Flow, int, int, Any, Any], str | None]) -> None:
    """The loop every fixer shares: split the finding's flows into those read inside
    the sink call and the rest, find each source node in the call's tree, and let `act`
    change it (it returns None when done, else why not), then settle the outcome."""
    local, notes = split_flows(f, tree.lines, uses)
    out.notes += notes
    call = tree.sink(f)
    if call is None:
        out.notes.append(f"cannot find the call {f.callee} at line {f.span.line}")
        return
    ok: set[Flow] = set()
    failed: set[Flow] = set()
    for flow, start, end in local:
        why = act(flow, start, end, tree.source(start, end, call), call)
        if why is None:
            ok.add(flow)
        else:
            out.notes.append(f"{flow.field}: {why}")
            failed.add(flow)
    settle(out, f.flows, ok, failed)

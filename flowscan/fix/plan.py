"""From a scan to file changes: which findings to fix, which fixer edits each file,
the unified diff, SARIF `fixes`, and the safe write (inside the root, no uncommitted
changes, atomic per file)."""

from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowscan.fix.base import FileFix, Fixer, FixOptions, Outcome, Sanitiser
from flowscan.model import Finding, ScanResult, Span
from flowscan.policy import is_suppressed
from flowscan.reporters.common import is_reported


def _python_fixer() -> Fixer:
    from flowscan.fix.python import PythonFixer

    return PythonFixer()


def _javascript_fixer() -> Fixer:
    from flowscan.fix.javascript import JavaScriptFixer

    return JavaScriptFixer()


FIXERS: dict[str, Any] = {  # catalog language -> factory (libcst/tree-sitter load lazily)
    "python": _python_fixer,
    "javascript": _javascript_fixer,
}

LANGUAGE_ALIASES = {"python": "python", "py": "python", "javascript": "javascript",
                    "js": "javascript", "typescript": "javascript", "ts": "javascript"}


def language_of(path: str) -> str | None:
    from flowscan.frontends import frontend_for

    fe = frontend_for(path)
    return fe.language if fe is not None else None


# ---------------------------------------------------------------- selection


def fixable(result: ScanResult) -> list[Finding]:
    """Reported, not suppressed, not allowed: what a developer would still act on."""
    return [f for f in result.findings
            if f.rule_id and is_reported(f) and not is_suppressed(f)]


def select(findings: Sequence[Finding], *, rules: Sequence[str] = (),
           vendors: Sequence[str] = (), categories: Sequence[str] = (),
           fingerprints: Sequence[str] = ()) -> list[Finding]:
    """Every filter given must match; fingerprints may be abbreviated (prefixes)."""
    out = []
    for f in findings:
        if rules and f.rule_id not in rules:
            continue
        if vendors and f.vendor not in vendors:
            continue
        if categories and not set(categories) & set(f.categories):
            continue
        if fingerprints and not any(f.fingerprint.startswith(p.lower()) for p in fingerprints):
            continue
        out.append(f)
    return out


# ---------------------------------------------------------------- planning


@dataclass
class FilePlan:
    path: str  # relative to the root
    old: bytes
    new: bytes
    outcomes: dict[Finding, Outcome] = field(default_factory=dict)
    error: str = ""  # the file could not be edited at all

    @property
    def changed(self) -> bool:
        return self.new != self.old


def read_utf8(full: Path) -> tuple[bytes, bytes] | str:
    """(BOM, body) of a UTF-8 file, or why it cannot be edited: the scan's spans are
    UTF-8 byte positions, and a rewrite must not change the encoding."""
    try:
        data = full.read_bytes()
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    body = data[len(bom):]
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8; flowscan fix edits UTF-8 files only"
    return bom, body


def plan(root: str, findings: Sequence[Finding], options: FixOptions) -> list[FilePlan]:
    """One plan per file that holds a selected finding, in path order."""
    by_file: dict[str, list[Finding]] = {}
    for f in findings:
        by_file.setdefault(f.span.path, []).append(f)
    plans = []
    for path in sorted(by_file):
        group = sorted(by_file[path])
        plans.append(plan_file(root, path, group, options))
    return plans


def plan_file(root: str, path: str, findings: Sequence[Finding],
              options: FixOptions) -> FilePlan:
    def fail(why: str) -> FilePlan:
        return FilePlan(path, b"", b"", {f: Outcome(notes=[why]) for f in findings},
                        why)

    where = contained(root, path)
    if isinstance(where, str):
        return fail(where)
    lang = language_of(path)
    factory = FIXERS.get(lang or "")
    if factory is None:
        return fail(f"no fixer for {path}")
    read = read_utf8(where)
    if isinstance(read, str):
        return fail(read)
    bom, body = read
    config = [f for f in findings if f.kind == "config" and options.kind != "suppress"]
    rest = [f for f in findings if f not in config]
    try:
        fixed: FileFix = factory().fix(body, path, rest, options)
    except Exception as exc:  # an editor bug must not leave a half-written tree
        return fail(f"fixer failure: {type(exc).__name__}: {exc}")
    for f in config:
        fixed.outcomes[f] = Outcome(notes=[
            "an SDK setting collects the data: change the setting, or use --kind suppress"])
    return FilePlan(path, bom + body, bom + fixed.new, fixed.outcomes)


def contained(root: str, path: str) -> Path | str:
    """The file, if it really is inside the root (no `..`, no symlink out)."""
    base = Path(root).resolve()
    full = base / path
    if full.is_symlink():
        return f"{path} is a symlink; fix its target instead"
    try:
        full.resolve().relative_to(base)
    except ValueError:
        return f"{path} is outside the scan root"
    return full


# ---------------------------------------------------------------- output


def unified_diff(p: FilePlan) -> str:
    old = p.old.decode("utf-8", "replace").splitlines(keepends=True)
    new = p.new.decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, f"a/{p.path}", f"b/{p.path}"))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def replacements(old: str, new: str) -> list[tuple[int, int, str]]:
    """Minimal (start, end, text) character replacements turning `old` into `new`:
    a line diff, each changed block trimmed to the characters that differ."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    starts_a = [0]
    for line in a:
        starts_a.append(starts_a[-1] + len(line))
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        p = 0
        while p < min(len(removed), len(added)) and removed[p] == added[p]:
            p += 1
        s = 0
        while s < min(len(removed), len(added)) - p and removed[-1 - s] == added[-1 - s]:
            s += 1
        start = starts_a[i1] + p
        out.append((start, starts_a[i2] - s, added[p:len(added) - s]))
    return out


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def sarif_fix(p: FilePlan, description: str) -> dict[str, Any]:
    """A SARIF 2.1.0 `fix`: character regions (line/column in code points, as the run's
    columnKind says) with the text to put there."""
    old = p.old.decode("utf-8")
    new = p.new.decode("utf-8")
    bom = 1 if old.startswith("\ufeff") else 0
    reps = []
    for start, end, text in replacements(old[bom:], new[bom:]):
        body = old[bom:]
        sl, sc = _position(body, start)
        el, ec = _position(body, end)
        region = {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec,
                  "charOffset": start, "charLength": end - start}
        rep: dict[str, Any] = {"deletedRegion": region}
        if text:
            rep["insertedContent"] = {"text": text}
        reps.append(rep)
    return {"description": {"text": description},
            "artifactChanges": [{"artifactLocation": {"uri": p.path, "uriBaseId": "%SRCROOT%"},
                                 "replacements": reps}]}


def sarif_fixes(result: ScanResult, sanitisers: Mapping[str, Sanitiser] | None = None,
                taxonomy: Any = None) -> dict[tuple[str, Span], list[dict[str, Any]]]:
    """Fixes for SARIF results, by (fingerprint, sink span): drop, and pseudonymise for the
    languages given a sanitiser (one the taxonomy recognises). Only complete fixes (the
    finding would go away) are offered; only files with findings are parsed."""
    sanitisers = {lang: s for lang, s in (sanitisers or {}).items()
                  if taxonomy is None or taxonomy.is_sanitiser(s.name)}
    out: dict[tuple[str, Span], list[dict[str, Any]]] = {}
    by_file: dict[str, list[Finding]] = {}
    for f in fixable(result):
        if f.kind != "config":
            by_file.setdefault(f.span.path, []).append(f)
    for path in sorted(by_file):
        lang = language_of(path) or ""
        kinds = ["drop"] + (["pseudonymise"] if lang in sanitisers else [])
        for f in sorted(by_file[path]):
            for kind in kinds:
                p = plan_file(result.root, path, [f], FixOptions(kind, sanitisers=sanitisers))
                outcome = p.outcomes.get(f)
                if p.error or not p.changed or outcome is None or outcome.status != "fixed":
                    continue
                if kind == "drop":
                    text = f"Remove {', '.join(f.fields)} from the {f.callee} call"
                else:
                    text = (f"Pseudonymise {', '.join(f.fields)} with "
                            f"{sanitisers[lang].name}() before {f.callee}")
                out.setdefault((f.fingerprint, f.span), []).append(sarif_fix(p, text))
    return out


# ---------------------------------------------------------------- writing


def dirty(root: str, path: str) -> bool | None:
    """Does git see uncommitted changes (or an untracked file)? None outside git."""
    full = Path(root) / path
    try:
        run = subprocess.run(["git", "status", "--porcelain", "--", full.name],
                             cwd=full.parent, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if run.returncode != 0:
        return None
    return bool(run.stdout.strip())


def write_atomic(full: Path, data: bytes) -> None:
    """Temp file in the same directory, then rename: readers see the old file or the
    new one, never half of it; the file keeps its permissions."""
    mode = full.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{full.name}.", suffix=".flowscan-fix",
                               dir=full.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, full)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply(root: str, plans: Sequence[FilePlan], *, force: bool = False) -> list[str]:
    """Writes every changed file, or none: returns the refusals (dirty, changed since
    the scan) and writes nothing when there are any."""
    refusals = []
    changed = [p for p in plans if p.changed and not p.error]
    for p in changed:
        where = contained(root, p.path)
        if isinstance(where, str):
            refusals.append(where)
            continue
        if where.read_bytes() != p.old:
            refusals.append(f"{p.path} changed since the scan; run flowscan fix again")
        elif not force and dirty(root, p.path):
            refusals.append(f"{p.path} has uncommitted changes; commit or stash them, "
                            "or pass --force")
    if refusals:
        return refusals
    for p in changed:
        write_atomic(Path(root).resolve() / p.path, p.new)
    return []


def summary(plans: Sequence[FilePlan]) -> Mapping[str, int]:
    counts = {"fixed": 0, "partial": 0, "unfixed": 0}
    for p in plans:
        for o in p.outcomes.values():
            counts[o.status] = counts.get(o.status, 0) + 1
    return counts

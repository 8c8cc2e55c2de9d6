"""The scan pipeline: targets -> front ends (in worker processes) -> facts -> the
whole-program analysis -> policy -> findings. The only module that knows all stages."""

from __future__ import annotations

import codecs
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flowscan import ir
from flowscan.catalog import Catalog, load_catalog
from flowscan.frontends import frontend_for
from flowscan.model import FileOutcome, Finding, Flow, ScanResult, Span, Step
from flowscan.targets import DEFAULT_MAX_BYTES, discover

COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
IGNORE = re.compile(r"flowscan:\s*ignore(?:\[([^\]]*)\])?\s*(.*)")


@dataclass
class Options:
    include_tests: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 0  # 0: one per CPU
    exclude: list[str] = field(default_factory=list)
    rules_dir: Path | None = None


@dataclass(slots=True)
class FileFacts:
    """What a worker sends back for one file."""

    outcome: FileOutcome
    imports: tuple[str, ...] = ()
    module: ir.Module | None = None
    direct: bool = False  # touches a vendor itself: always analysed
    source: bytes = b""  # kept only for files needing a second pass


# ---------------------------------------------------------------- decoding


def decode(data: bytes, python: bool) -> tuple[bytes | None, str]:
    """UTF-8 bytes for tree-sitter, or None and why not."""
    if b"\0" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, "binary (NUL bytes)"
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc).encode("utf-8"), ""
            except UnicodeDecodeError:
                return None, f"undecodable ({enc})"
    try:
        data.decode("utf-8")
        return data, ""
    except UnicodeDecodeError:
        pass
    if python:
        for line in data.split(b"\n", 2)[:2]:
            m = COOKIE.match(line)
            if m:
                try:
                    return data.decode(m.group(1).decode("ascii")).encode("utf-8"), ""
                except (LookupError, UnicodeDecodeError):
                    return None, "undecodable (bad coding cookie)"
    return None, "undecodable (not UTF-8)"


def looks_minified(data: bytes) -> bool:
    if len(data) < 20_000:
        return False
    lines = data.count(b"\n") + 1
    return len(data) / lines > 500


# ---------------------------------------------------------------- workers

_CATALOG: Catalog | None = None


def _init_worker(rules_dir: Path | None) -> None:
    global _CATALOG
    _CATALOG = load_catalog(rules_dir)


def _vendor_hints(catalog: Catalog) -> tuple[dict[str, set[str]], re.Pattern[bytes] | None]:
    roots: dict[str, set[str]] = {}
    words: set[str] = set()
    for lang, idx in catalog.languages.items():
        roots[lang] = set(idx.imports)
        words |= set(idx.globals)
    words |= set(catalog.hosts())
    if not words:
        return roots, None
    alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return roots, re.compile(rb"(?<![\w$.])(?:" + alt.encode() + rb")(?![\w$])")


_HINTS: tuple[dict[str, set[str]], re.Pattern[bytes] | None] | None = None


def read_file(root: str, rel: str, lower_all: bool) -> FileFacts:
    """Runs in a worker: read, decode, parse, and lower when the file matters."""
    global _HINTS
    catalog = _CATALOG
    assert catalog is not None
    if _HINTS is None:
        _HINTS = _vendor_hints(catalog)
    fe = frontend_for(rel)
    assert fe is not None
    try:
        data = (Path(root) / rel).read_bytes()
    except OSError as exc:
        return FileFacts(FileOutcome(rel, "skipped", fe.name,
                                     f"unreadable: {exc.strerror or exc}"))
    source, why = decode(data, fe.language == "python")
    if source is None:
        return FileFacts(FileOutcome(rel, "skipped", fe.name, why))
    if fe.language == "javascript" and looks_minified(source):
        return FileFacts(FileOutcome(rel, "skipped", fe.name, "minified (very long lines)"))
    lines = source.count(b"\n") + 1
    try:
        parsed = fe.parse(source, rel)
        imports = fe.imports(parsed)
    except Exception as exc:  # a grammar bug must not end the scan
        return FileFacts(FileOutcome(rel, "skipped", fe.name, f"parser failure: {exc}"))
    errors = tuple(Span(rel, *p) for p in parsed.errors)
    status = "partial" if errors else "scanned"
    reason = f"{len(errors)} syntax error region(s), recovered" if errors else ""
    outcome = FileOutcome(rel, status, fe.name, reason, errors, lines)
    roots, words = _HINTS
    lang_roots = roots.get(fe.language, set())
    direct = any(_has_root(spec, lang_roots) for spec in imports) or (
        words is not None and words.search(source) is not None)
    if direct or lower_all:
        try:
            module = fe.lower(parsed)
        except RecursionError:
            return FileFacts(replace(outcome, status="partial",
                                     reason="too deeply nested: analysed in part"), imports)
        return FileFacts(outcome, imports, module, direct)
    has_local = any(s.startswith(".") for s in imports) or fe.language == "python"
    return FileFacts(outcome, imports, None, False, source if has_local else b"")


def _has_root(spec: str, roots: set[str]) -> bool:
    if spec in roots:
        return True
    for sep in (".", "/"):
        parts = spec.split(sep)
        for n in range(len(parts) - 1, 0, -1):
            if sep.join(parts[:n]) in roots:
                return True
    return False


def lower_again(root: str, rel: str, source: bytes) -> ir.Module | None:
    fe = frontend_for(rel)
    if fe is None:
        return None
    try:
        return fe.lower(fe.parse(source, rel))
    except RecursionError:
        return None


# ---------------------------------------------------------------- the pipeline


def run_scan(paths: list[Path], options: Options, catalog: Catalog | None = None) -> ScanResult:
    from flowscan.analysis.engine import Program
    from flowscan.analysis.resolve import Resolver

    started = time.perf_counter()
    catalog = catalog or load_catalog(options.rules_dir)
    targets = discover(paths, include_tests=options.include_tests, max_bytes=options.max_bytes,
                       exclude=options.exclude)
    root = str(targets.root)
    jobs = options.jobs or os.cpu_count() or 1
    facts = _map_files(root, targets.files, jobs, options.rules_dir, catalog)
    resolver = Resolver.build(targets.files, targets.tsconfigs)
    relevant = _relevant(facts, resolver)
    modules: dict[str, ir.Module] = {}
    for rel in sorted(relevant):
        f = facts[rel]
        module = f.module
        if module is None and f.source:
            module = lower_again(root, rel, f.source)
        if module is not None:
            modules[rel] = module
    program = Program(modules, catalog, resolver)
    accs = program.run()
    findings = [catalog.policy.decide(_finding(acc)) for acc in accs.values() if acc.hits]
    findings = sorted(_suppress(findings, modules))
    files = sorted([f.outcome for f in facts.values()]
                   + [FileOutcome(s.path, "skipped", "", s.reason) for s in targets.skipped])
    stats = {"files": float(len(targets.files)), "analysed": float(len(modules)),
             "seconds": time.perf_counter() - started}
    return ScanResult(root, findings, files, stats)


def _map_files(root: str, files: list[str], jobs: int, rules_dir: Path | None,
               catalog: Catalog) -> dict[str, FileFacts]:
    global _CATALOG
    out: dict[str, FileFacts] = {}
    if jobs <= 1 or len(files) < 64:
        _CATALOG = catalog
        for rel in files:
            out[rel] = read_file(root, rel, False)
        return out
    chunk = max(8, len(files) // (jobs * 8))
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(rules_dir,)) as pool:
        for rel, facts in zip(files, pool.map(read_file, [root] * len(files), files,
                                              [False] * len(files), chunksize=chunk),
                              strict=True):
            out[rel] = facts
    return out


def _relevant(facts: dict[str, FileFacts], resolver: Any) -> set[str]:
    """Files that touch a vendor, and every file that imports one of those, however
    indirectly: a wrapper of a wrapper still leads to the SDK."""
    importers: dict[str, set[str]] = {}
    for rel, f in facts.items():
        for spec in f.imports:
            if rel.endswith((".py", ".pyi")):
                target = resolver.python(rel, spec)
                if target is not None:
                    importers.setdefault(target, set()).add(rel)
            else:
                target = resolver.javascript(rel, spec)
                if target is not None:
                    importers.setdefault(target, set()).add(rel)
    relevant = {rel for rel, f in facts.items() if f.direct}
    stack = sorted(relevant)
    while stack:
        rel = stack.pop()
        for imp in sorted(importers.get(rel, ())):
            if imp not in relevant:
                relevant.add(imp)
                stack.append(imp)
    # `from pkg import mod` names pkg/__init__.py; its submodules come along
    for rel in sorted(relevant):
        if rel.endswith("__init__.py"):
            pkg = rel[: -len("__init__.py")]
            relevant |= {r for r in facts if r.startswith(pkg) and r.count("/") == pkg.count("/")
                         and facts[r].direct}
    return relevant


# ---------------------------------------------------------------- findings


def _finding(acc: Any) -> Finding:
    flows: set[Flow] = set()
    sink_step = Step(acc.span, acc.callee, "sink")
    for source, role in acc.hits:
        steps = (Step(source.span, source.field, "source"), *source.via, sink_step)
        flows.add(Flow(source.field, source.category, role, steps, source.pattern,
                       source.context))
    categories = tuple(sorted({f.category for f in flows}))
    return Finding(acc.span, acc.vendor, acc.kind, acc.sink, acc.callee, acc.scope,
                   categories, tuple(sorted(flows))[:50], acc.confidence, acc.message)


def _suppress(findings: list[Finding], modules: dict[str, ir.Module]) -> list[Finding]:
    out = []
    for f in findings:
        module = modules.get(f.span.path)
        reason = None
        if module is not None:
            for line in (f.span.line, f.span.line - 1):
                text = module.comments.get(line)
                m = IGNORE.search(text) if text else None
                if m and (not m.group(1) or f.rule_id in _codes(m.group(1))
                          or f.vendor in _codes(m.group(1))):
                    reason = m.group(2).strip(" -:*/#") or "suppressed inline"
                    break
        out.append(replace(f, suppressed=reason) if reason else f)
    return out


def _codes(text: str) -> set[str]:
    return {c.strip() for c in text.split(",") if c.strip()}

"""The scan pipeline: targets -> front ends (in worker processes) -> facts -> the
whole-program analysis -> policy -> findings. The only module that knows all stages."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowscan import limits, suppress
from flowscan.catalog import Catalog, load_catalog
from flowscan.collect import Collector, cache_for
from flowscan.limits import DEFAULT_TIMEOUT, MAX_NESTING
from flowscan.manifests import imported_vendors
from flowscan.model import FileOutcome, Finding, Flow, ScanResult, Step
from flowscan.targets import DEFAULT_MAX_BYTES, discover
from flowscan.workers import FileFacts


@dataclass
class Options:
    include_tests: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 0  # 0: one per CPU
    exclude: list[str] = field(default_factory=list)
    rules_dir: Path | None = None
    report_unused_ignores: bool = False  # also look for stale ignores in unlowered files
    cache: bool = True  # flowscan/cache.py: reuse facts, modules and results
    cache_dir: Path | None = None  # default: .flowscan-cache/ in the root, or user cache
    progress: bool = False  # files per second on stderr, when it is a TTY
    timeout: float = DEFAULT_TIMEOUT  # seconds per file (flowscan/limits.py); 0: none
    max_nesting: int = MAX_NESTING  # bracket depth beyond which a file is skipped


# ---------------------------------------------------------------- the pipeline


def run_scan(paths: list[Path], options: Options, catalog: Catalog | None = None) -> ScanResult:
    from flowscan.analysis.engine import Program
    from flowscan.analysis.resolve import Resolver

    started = time.perf_counter()
    limits.configure(limits.Limits(options.timeout, options.max_nesting))
    catalog = catalog or load_catalog(options.rules_dir)
    targets = discover(paths, include_tests=options.include_tests, max_bytes=options.max_bytes,
                       exclude=options.exclude)
    root = str(targets.root)
    jobs = options.jobs or os.cpu_count() or 1
    work = Collector(root, targets.files, catalog, jobs,
                     cache_for(root, catalog, options.cache, options.cache_dir),
                     options.progress)
    try:
        facts = work.facts()
        resolver = Resolver.build(targets.files, targets.tsconfigs)
        eager, lazy = _relevant(facts, work.resolver(resolver, targets.tsconfigs))
        relevant = eager | lazy
        key = work.result_key(relevant, [f"{k}\0{v}" for k, v in
                                         sorted(targets.tsconfigs.items())])
        cached = work.cached_result(key)
        files_done = analysis_done = time.perf_counter()
        if cached is not None:  # nothing the analysis reads has changed
            accs, comments = cached
        else:
            modules = work.modules(relevant)
            files_done = time.perf_counter()
            accs = Program(modules, catalog, resolver, lazy).run()
            analysis_done = time.perf_counter()
            comments = {rel: m.comments for rel, m in modules.items()}
            work.store_result(key, (accs, comments))
    finally:
        work.close()
    findings = [catalog.policy.decide(_finding(acc)) for acc in accs.values()
                if acc.hits or acc.kind == "config"]
    findings, unused = suppress.apply(
        findings, comments,
        {r.code: r.slug for r in catalog.policy.rules}, catalog.vendors, root)
    if options.report_unused_ignores:  # files not lowered hold no findings: stale ignores
        _, stale = suppress.apply([], suppress.text_comments(
            root, [rel for rel, f in facts.items() if rel not in comments
                   and f.outcome.status != "skipped"]), {})
        unused = sorted(unused + stale)
    findings = sorted(findings)
    files = sorted([f.outcome for f in facts.values()]
                   + [FileOutcome(s.path, "skipped", "", s.reason) for s in targets.skipped])
    stats = {"files": float(len(targets.files)), "analysed": float(len(comments)),
             "seconds": time.perf_counter() - started,
             "seconds_files": files_done - started,  # reading, parsing, lowering
             "seconds_analysis": analysis_done - files_done}  # 0: result from the cache
    imported = imported_vendors({rel: f.imports for rel, f in facts.items()}, catalog)
    return ScanResult(root, findings, files, stats, imported, unused)


def _relevant(facts: dict[str, FileFacts], resolver: Any
              ) -> tuple[set[str], frozenset[str]]:
    """Files that touch a vendor, every file that imports one of those, however
    indirectly (a wrapper of a wrapper still leads to the SDK), and the files those
    import directly (the models, DTOs and helpers that shape what they send), which
    are analysed only as far as the others use them (lazy)."""
    importers: dict[str, set[str]] = {}
    imported: dict[str, set[str]] = {}
    for rel, f in facts.items():
        for spec in f.imports:
            if rel.endswith((".py", ".pyi")):
                target = resolver.python(rel, spec)
            else:
                target = resolver.javascript(rel, spec)
            if target is not None and target in facts:
                importers.setdefault(target, set()).add(rel)
                imported.setdefault(rel, set()).add(target)
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
    lazy: set[str] = set()
    for rel in sorted(relevant):
        lazy |= imported.get(rel, set())
    return relevant, frozenset(lazy - relevant)


# ---------------------------------------------------------------- findings


def _finding(acc: Any) -> Finding:
    flows: set[Flow] = set()
    sink_step = Step(acc.span, acc.callee, "sink")
    for source, role in acc.hits:
        steps = (Step(source.span, source.field, "source"), *source.via, sink_step)
        flows.add(Flow(source.field, source.category, role, steps, source.pattern,
                       source.context))
    categories = tuple(sorted({f.category for f in flows} | set(acc.categories)))
    return Finding(acc.span, acc.vendor, acc.kind, acc.sink, acc.callee, acc.scope,
                   categories, tuple(sorted(flows))[:50], acc.confidence, acc.message)

"""The scan pipeline: targets -> front ends (in worker processes) -> facts -> the
whole-program analysis -> policy -> findings. The only module that knows all stages."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowscan import ir, suppress
from flowscan.catalog import Catalog, load_catalog
from flowscan.manifests import imported_vendors
from flowscan.model import FileOutcome, Finding, Flow, ScanResult, Step
from flowscan.targets import DEFAULT_MAX_BYTES, discover
from flowscan.workers import FileFacts, lower_again, read_file, use_catalog


@dataclass
class Options:
    include_tests: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 0  # 0: one per CPU
    exclude: list[str] = field(default_factory=list)
    rules_dir: Path | None = None
    report_unused_ignores: bool = False  # also look for stale ignores in unlowered files


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
    findings, unused = suppress.apply(
        findings, {rel: m.comments for rel, m in modules.items()},
        {r.code: r.slug for r in catalog.policy.rules}, catalog.vendors, root)
    if options.report_unused_ignores:  # files not lowered hold no findings: stale ignores
        _, stale = suppress.apply([], suppress.text_comments(
            root, [rel for rel, f in facts.items() if rel not in modules
                   and f.outcome.status != "skipped"]), {})
        unused = sorted(unused + stale)
    findings = sorted(findings)
    files = sorted([f.outcome for f in facts.values()]
                   + [FileOutcome(s.path, "skipped", "", s.reason) for s in targets.skipped])
    stats = {"files": float(len(targets.files)), "analysed": float(len(modules)),
             "seconds": time.perf_counter() - started}
    imported = imported_vendors({rel: f.imports for rel, f in facts.items()}, catalog)
    return ScanResult(root, findings, files, stats, imported, unused)


def _map_files(root: str, files: list[str], jobs: int, rules_dir: Path | None,
               catalog: Catalog) -> dict[str, FileFacts]:
    out: dict[str, FileFacts] = {}
    if jobs <= 1 or len(files) < 64:
        use_catalog(catalog)
        for rel in files:
            out[rel] = read_file(root, rel, False)
        return out
    chunk = max(8, len(files) // (jobs * 8))
    # the catalog itself, not rules_dir: config vendors/fields reach the workers too
    with ProcessPoolExecutor(jobs, initializer=use_catalog, initargs=(catalog,)) as pool:
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

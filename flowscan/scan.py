"""The scan pipeline: targets -> front ends (in worker processes) -> facts -> the
whole-program analysis -> policy -> findings. The only module that knows all stages."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from operator import attrgetter
from pathlib import Path
from typing import Any

from flowscan import limits, suppress
from flowscan.analysis.growth import package_of
from flowscan.analysis.stores import StoredImporters
from flowscan.catalog import Catalog, load_catalog
from flowscan.collect import (
    Collector,
    cache_for,
    gc_paused,
    read_cache_ahead,
    remembered_listing,
)
from flowscan.limits import DEFAULT_TIMEOUT, MAX_NESTING
from flowscan.model import FileOutcome, Finding, Flow, ScanResult, Step
from flowscan.targets import DEFAULT_MAX_BYTES, discover, scan_root
from flowscan.workers import TOKENS, FileFacts


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


LIGHT_RUNS = 200  # after a narrow run of at most so many units the state is not stored again


def run_scan(paths: list[Path], options: Options, catalog: Catalog | None = None) -> ScanResult:
    from flowscan.analysis.engine import Program
    from flowscan.analysis.incremental import settled, snapshot
    from flowscan.analysis.resolve import Resolver

    started = time.perf_counter()
    limits.configure(limits.Limits(options.timeout, options.max_nesting))
    catalog = catalog or load_catalog(options.rules_dir)
    first_root = scan_root([p.resolve() for p in paths])
    read_cache_ahead(first_root, catalog, options.cache, options.cache_dir)
    remembered = remembered_listing(first_root, catalog, options.cache, options.cache_dir)
    targets = discover(paths, include_tests=options.include_tests, max_bytes=options.max_bytes,
                       exclude=options.exclude, remembered=remembered)
    root = str(targets.root)
    jobs = options.jobs or os.cpu_count() or 1
    work = Collector(root, targets.files, catalog, jobs,
                     cache_for(root, catalog, options.cache, options.cache_dir),
                     options.progress, targets.stats)
    if targets.verdicts is not None and targets.verdicts is not remembered \
            and work.cache is not None:
        work.cache.put_listing(targets.verdicts)
    try:
        facts = work.facts()
        resolver = Resolver.build(targets.files, targets.tsconfigs)
        loader = ProjectLoader(root, facts, work, work.resolver(resolver, targets.tsconfigs),
                               work.schemas(targets.schemas))
        key = work.result_key([f"{k}\0{v}" for k, v in sorted(
            {**targets.tsconfigs, **targets.schemas}.items())])
        stored = work.stored_result(key)
        edited, added = loader.stale(stored) if stored is not None else (None, None)
        files_done = analysis_done = time.perf_counter()
        runs = 0
        if stored is not None and edited == set() and added == set():  # nothing it read
            # changed ((None, None): it cannot be brought up to date, analyse afresh)
            accs, comments = stored.accs, stored.comments
        else:
            base = stored  # the result the stored state is of (an earlier one: see below)
            if stored is not None and stored.base is not None:
                base = stored.base
                edited, added = loader.stale(base)
            state = work.stored_result(key + ".state") if base is not None else None
            previous = None
            if state is not None and base is not None and edited is not None \
                    and added is not None:
                previous = work.stored_modules({rel: base.keys[rel] for rel in edited
                                                if rel in base.keys}) if edited else None
                loader.requesting = dict(state.requesting)
                loader.seed_importers(state.importers, {
                    rel for rel, f in facts.items() if base.keys.get(rel) != f.key})
                program = resume_program(state, edited, added, loader, catalog,
                                         loader.resolver, previous)
            else:
                direct = sorted(rel for rel, f in facts.items() if f.direct)
                program = Program(loader.load(direct), catalog, loader.resolver,
                                  loader=loader)
                program.add(loader.schemas, loader.schemas)  # models, read when used
                program.start(program.initial)
                program.load_dependencies(program.initial)
            files_done = time.perf_counter()
            accs = program.finish()
            narrow = program.hold is not None
            if narrow and not settled(program):  # the edit changed what other files
                narrow = False  # read: their readers run too
                runs = program.runs
                program = resume_program(work.stored_result(key + ".state"), edited or set(),
                                         added or set(), loader, catalog,
                                         loader.resolver)
                accs = program.finish()
                program.runs += runs
            analysis_done = time.perf_counter()
            runs = program.runs
            comments = {rel: m.comments for rel, m in program.modules.items()}
            result = Analysed(
                accs, comments, {rel: facts[rel].key for rel in facts},
                {p: names for p, names in program.hot_by_module.items() if names},
                frozenset(rel for rel, f in facts.items() if f.direct))
            if narrow and base is not None and runs <= LIGHT_RUNS:
                # a small edit: the stored state stays as it was (writing ten megabytes
                # is a fifth of a pre-commit run on a large tree); the next run starts
                # from it again, with every file edited since
                result.base = replace(base, accs={}, base=None)
                work.store_result(key, result)
            else:
                work.store_result(key, result)
                work.store_result(key + ".state", snapshot(
                    program, work.module_keys(program.modules), loader.importer_index(),
                    state, loader.requesting_now()))
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
    files = sorted([f.outcome for f in facts.values()]  # (one outcome a path: by path)
                   + [FileOutcome(s.path, "skipped", "", s.reason) for s in targets.skipped],
                   key=attrgetter("path"))
    stats = {"files": float(len(targets.files)), "analysed": float(len(comments)),
             "seconds": time.perf_counter() - started,
             "seconds_files": files_done - started,  # reading, parsing, lowering
             "seconds_analysis": analysis_done - files_done,  # 0: result from the cache
             "units_run": float(runs)}  # after an edit: only what it could change
    return ScanResult(root, findings, files, stats, ImportsOf(facts), unused,
                      tuple(sorted(comments)))


class ImportsOf(Mapping[str, tuple[str, ...]]):
    """Each file's imports, read off its facts when asked: only the data map asks, and
    the cache keeps them pickled until read (workers.FileFacts)."""

    def __init__(self, facts: dict[str, FileFacts]) -> None:
        self._facts = facts

    def __getitem__(self, rel: str) -> tuple[str, ...]:
        return self._facts[rel].imports

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)


@dataclass
class Analysed:
    """A stored analysis result and what it was computed from: every file's content key,
    the names under which each module hands a vendor out (growth.py) and which files
    touched a vendor themselves."""

    accs: dict[Any, Any]
    comments: dict[str, dict[int, str]]
    keys: dict[str, str]
    hot: dict[str, frozenset[str]]
    direct: frozenset[str] = frozenset()  # files that touched a vendor themselves
    # the result the stored program state is of, when a small edit did not store the
    # state again (its accs left out): an incremental run starts from that state
    base: Analysed | None = None


class ProjectLoader:
    """The analysis' view of the project's files (analysis/growth.py's Loader)."""

    def __init__(self, root: str, facts: dict[str, FileFacts], work: Collector,
                 resolver: Any, schemas: dict[str, Any] | None = None) -> None:
        self.root = root
        self.facts = facts
        self.work = work
        self.resolver = resolver
        self.schemas = schemas or {}  # lowered Prisma schemas (frontends/prisma.py)
        self._importers: dict[str, set[str]] | None = None  # built on first use
        self._seed: tuple[dict[str, set[str]], set[str]] | None = None
        # content key -> whether the file names an HTTP client (`requests`): asked of
        # the same unloaded files every round and every run, kept with the state
        self.requesting: dict[str, bool] = {}

    def importers(self, path: str) -> set[str]:
        if self._importers is None:  # a warm run whose result stands never needs it
            index: dict[str, set[str]] = {}
            todo: Collection[str] = self.facts
            if self._seed is not None:  # the stored one, but for the files changed since
                index = StoredImporters(*self._seed)
                todo = sorted(self._seed[1])
            for rel in todo:
                for target in self.imported(rel):
                    index.setdefault(target, set()).add(rel)
            self._importers, self._seed = index, None
        return self._importers.get(path, set())

    def seed_importers(self, index: dict[str, set[str]] | None, changed: set[str]) -> None:
        """Start from the importer index the stored state was computed with (same file
        list and tsconfigs: the result key says so), taking again only the imports of
        the files `changed` since: building it anew resolved every file's imports
        (0.05 s of a pre-commit run on formbricks)."""
        if index is not None and self._importers is None:
            self._seed = (index, changed)

    def importer_index(self) -> dict[str, set[str]] | None:
        index = self._importers
        return index.whole() if isinstance(index, StoredImporters) else index

    def imported(self, rel: str) -> set[str]:
        """The project files `rel` imports (and, in a Nuxt app, those it is given)."""
        python = rel.endswith((".py", ".pyi"))
        out: set[str] = set()
        for spec in self.facts[rel].imports:
            target = self.resolver.python(rel, spec) if python \
                else self.resolver.javascript(rel, spec)
            if target is not None and target in self.facts and target != rel:
                out.add(target)
        if not python:  # Nuxt's generated imports (resolve.py: auto_imports)
            out.update(t for t in self.resolver.auto_imports(rel) if t != rel)
        return out

    def mentions(self, path: str, names: Collection[str]) -> bool:
        try:
            with open(os.path.join(self.root, path), "rb") as f:
                text = f.read()
        except OSError:
            return False
        if (b" import *" if path.endswith(".py") else b"export *") in text:
            return True  # a barrel (`export * from './push.service'`) hands out every name
        words = {n.encode() for n in names if n.isidentifier() and n.isascii()}
        return bool(words) and not words.isdisjoint(text.translate(TOKENS).split())

    def requests(self, path: str) -> bool:
        from flowscan.analysis.http import REQUEST_WORDS

        facts = self.facts.get(path)
        if facts is None:
            return self.mentions(path, REQUEST_WORDS)
        found = self.requesting.get(facts.key)
        if found is None:
            found = self.requesting[facts.key] = self.mentions(path, REQUEST_WORDS)
        return found

    def requesting_now(self) -> dict[str, bool]:
        """The answers about files as they are (an edited file's old key goes)."""
        return {f.key: found for f in self.facts.values()
                if (found := self.requesting.get(f.key)) is not None}

    def load(self, paths: Collection[str]) -> dict[str, Any]:
        return {**self.work.modules(p for p in paths if p in self.facts),
                **{p: self.schemas[p] for p in paths if p in self.schemas}}

    def stale(self, stored: Analysed) -> tuple[set[str] | None, set[str] | None]:
        """What a stored result misses: the changed files it read, and the changed
        files it did not read that now touch a vendor or name a hot member of a module
        they import. (None, None): it cannot be brought up to date."""
        if stored.keys.keys() != self.facts.keys():
            return None, None
        analysed = set(stored.comments)
        changed = {rel for rel, f in self.facts.items() if stored.keys[rel] != f.key}
        if not changed:
            return set(), set()
        edited = changed & analysed
        if any(rel in stored.direct and not self.facts[rel].direct for rel in edited):
            return None, None  # a file stopped touching a vendor: what it started is moot
        added = {rel for rel in changed - analysed if self.facts[rel].direct}
        for rel in sorted(changed - analysed - added):  # what each edited file imports,
            targets = self.imported(rel)  # not the whole tree's importers (growth.py:
            for path, names in stored.hot.items():  # candidates, read from this side)
                if (path in targets or package_of(path) in targets) and (
                        "default" in names or self.mentions(rel, names)):
                    added.add(rel)
                    break
        return edited, added


def resume_program(state: Any, edited: set[str], added: set[str], loader: ProjectLoader,
                   catalog: Catalog, resolver: Any, previous: dict[str, Any] | None = None
                   ) -> Any:
    """The stored program, brought up to date with the edited and the newly relevant
    files (analysis/incremental.py; `previous`: the edited files as they were, for a
    narrow re-run)."""
    from flowscan.analysis.incremental import resume

    with gc_paused(freeze=True):  # (as the state itself: see Collector.stored_result)
        kept = {path: pickle.loads(blob) for path, (key, blob) in state.skeletons.items()
                if (f := loader.facts.get(path)) is not None and f.key == key and f.lowered}
    modules = {**kept, **loader.load([p for p in state.paths if p not in kept])}
    gone = set(state.paths) - set(modules)  # no longer lowered
    edited = edited | gone
    program = resume(state, modules, edited, catalog, resolver, loader,
                     previous if not gone else None,
                     {path: state.function_ids[path] for path in kept
                      if path in state.function_ids})
    newly = sorted(added | {rel for rel in edited if loader.facts.get(rel) is not None
                            and loader.facts[rel].direct and rel not in program.eager})
    fresh = set(newly) - set(program.modules)
    program.add(loader.load(sorted(fresh)), ())
    program.tried |= fresh
    present = [rel for rel in newly if rel in program.modules]
    program.start(present)
    program.load_dependencies(present)
    return program


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

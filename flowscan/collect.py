"""Per-file facts for a whole tree, fast: cached facts for unchanged files, a process
pool for the rest (parse and facts first, then lowering of the files the relevance
closure adds), and the analysis result reused when nothing it reads has changed.

Only small things cross process boundaries: the vendor hints go to the workers once,
facts come back without sources, and lowered modules go through the cache directory
when there is one."""

from __future__ import annotations

import gc
import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.cache import FactCache, code_fingerprint, drop_reads_ahead
from flowscan.pickling import Elsewhere
from flowscan.workers import (
    FileFacts,
    content_key,
    init_worker,
    lower_file,
    read_file,
)

if TYPE_CHECKING:
    from concurrent.futures import Executor

INLINE_MAX = 48  # fewer files than this are cheaper in-process than a pool's start-up


class Progress:
    """`files scanned, files per second` on stderr, redrawn in place; only on a TTY."""

    def __init__(self, total: int, enabled: bool, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0 and _isatty(self.stream)
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        self.shown = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.shown >= 0.1 or self.done == self.total:
            self.shown = now
            rate = self.done / max(now - self.started, 1e-6)
            self.stream.write(f"\rflowscan: {self.done}/{self.total} files, "
                              f"{rate:,.0f} files/s ")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Collector:
    """One scan's file work. `facts()` first, then `modules(relevant)`; `close()` saves
    the cache index and stops the pool."""

    def __init__(self, root: str, files: list[str], catalog: Any, jobs: int,
                 cache: FactCache | None, progress: bool = False,
                 stats: dict[str, os.stat_result] | None = None) -> None:
        self.root = root
        self.files = files
        self.catalog = catalog
        self.jobs = max(1, jobs)
        self.cache = cache
        self.progress = progress
        self.hints = catalog.hints()
        self._pool: Executor | None = None
        self._facts: dict[str, FileFacts] = {}
        self._stats: dict[str, os.stat_result | None] = dict(stats or {})  # discovery's
        self._blobs: dict[str, ir.Module] = {}  # read for the bodies of stored skeletons
        Elsewhere.source = self.stored_body

    # ------------------------------------------------------------ pool

    def _map(self, fn: Callable[..., Any], items: list[tuple[Any, ...]]) -> Iterator[Any]:
        if not items:
            return iter(())
        if self.jobs <= 1 or len(items) < INLINE_MAX:
            init_worker(self.hints, None)  # in-process: modules come back directly
            return (fn(*args) for args in items)
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor  # not for a few files

            store = str(self.cache.store) if self.cache is not None else None
            self._pool = ProcessPoolExecutor(self.jobs, initializer=init_worker,
                                             initargs=(self.hints, store))
        chunk = max(1, min(64, len(items) // (self.jobs * 8)))
        return self._pool.map(_call, [(fn, args) for args in items], chunksize=chunk)

    def _stop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def close(self) -> None:
        Elsewhere.source = None
        self._stop_pool()
        drop_reads_ahead()
        if self.cache is not None:
            self.cache.forget(set(self.files))
            self.cache.save()

    # ------------------------------------------------------------ first pass

    def facts(self) -> dict[str, FileFacts]:
        stats = self._stats  # (discovery's)
        out: dict[str, FileFacts] = self.cache.hits(self.files, stats) \
            if self.cache is not None else {}
        todo: list[tuple[str, str, str]] = []
        for rel in self.files:
            if rel in out:
                continue
            st = stats[rel] = stats.get(rel) or _stat(self.root, rel)
            if self.cache is not None and st is not None:
                todo.append((self.root, rel, self.cache.known_key(rel)))
            else:
                todo.append((self.root, rel, ""))
        bar = Progress(len(self.files), self.progress)
        bar.step(len(out))
        for (_, rel, _), facts in zip(todo, self._map(read_file, todo), strict=True):
            if facts is None:  # touched, same content
                assert self.cache is not None
                facts = self.cache.index[rel][2]
            if self.cache is not None:
                if facts.module is not None:  # lowered in-process: keep a copy
                    self.cache.put_module(facts.key, facts.module)
                self.cache.record(rel, self._stats[rel], _light(facts))
            out[rel] = facts
            bar.step()
        bar.close()
        self._facts = out
        return {rel: out[rel] for rel in self.files}

    # ------------------------------------------------------------ modules

    def modules(self, relevant: Iterable[str]) -> dict[str, ir.Module]:
        """Modules of the relevant files: from the first pass, from the cache, or
        lowered now in the pool. The cyclic GC is paused meanwhile: unpickling a
        million IR nodes otherwise triggers full collections over a growing heap
        (3x the cost on a 250k-line tree), and none of them is garbage. Frozen after,
        so that the analysis' collections do not walk the IR either."""
        with gc_paused(freeze=True):
            return self._modules(relevant)

    def _modules(self, relevant: Iterable[str]) -> dict[str, ir.Module]:
        modules: dict[str, ir.Module] = {}
        todo: list[tuple[str, str, FileFacts]] = []
        for rel in sorted(relevant):
            f = self._facts[rel]
            if f.module is not None:
                modules[rel] = f.module
                continue
            if f.lowered and self.cache is not None:
                m = self.cache.module(f.key)
                if m is not None:
                    modules[rel] = m
                    continue
            if f.outcome.status != "skipped":
                todo.append((self.root, rel, _light(f)))
        for (_, rel, _), f in zip(todo, self._map(lower_file, todo), strict=True):
            module = f.module
            if module is None and f.lowered and self.cache is not None:
                module = self.cache.module(f.key)
            if module is not None:
                modules[rel] = module
                if self.cache is not None and f.module is not None:
                    self.cache.put_module(f.key, module)
            self._facts[rel] = f
            if self.cache is not None:
                self.cache.record(rel, self._stats.get(rel), _light(f))
        return modules

    def schemas(self, texts: dict[str, str]) -> dict[str, ir.Module]:
        """Prisma schemas' models (frontends/prisma.py), kept in the cache by content as
        lowered modules are: a pre-commit run on a million lines lowered its six
        schemas (216 KB) again each time, 8-12 ms. (No index entry names their blobs:
        an hour old, they go with the garbage and are made again.)"""
        from flowscan.frontends.prisma import lower_schema

        out: dict[str, ir.Module] = {}
        for rel, text in sorted(texts.items()):
            key = content_key(rel, text.encode("utf-8", "surrogateescape"))
            module = self.cache.module(key) if self.cache is not None else None
            if not isinstance(module, ir.Module):
                module = lower_schema(rel, text)
                if self.cache is not None:
                    self.cache.put_module(key, module)
            out[rel] = module
        return out

    def module_keys(self, paths: Iterable[str]) -> dict[str, str]:
        """The content keys under which the cache holds the modules of `paths`."""
        if self.cache is None:
            return {}
        return {rel: f.key for rel in paths
                if (f := self._facts.get(rel)) is not None and f.lowered}

    def stored_body(self, key: str, part: str | None) -> Any:
        """The body of function `part` (None: of the module) in the blob `key`, for a
        skeleton of the stored state (pickling.Elsewhere); lowered again from the file
        if the blob is gone and the file is as it was. None: neither."""
        module = self._blobs.get(key)
        if module is None and self.cache is not None:
            module = self.cache.module(key)
            if module is None:
                rel = next((r for r, f in self._facts.items() if f.key == key), None)
                if rel is not None:
                    init_worker(self.hints, None)  # in-process: the module comes back
                    module = lower_file(self.root, rel, _light(self._facts[rel])).module
            if module is not None:
                self._blobs[key] = module
        target = module if part is None or module is None else module.functions.get(part)
        return None if target is None else target.body

    def resolver(self, resolver: Any, tsconfigs: dict[str, str]) -> Any:
        """`resolver` with its answers remembered across runs: they depend only on the
        file list and the tsconfigs, which a typical edit leaves alone."""
        if self.cache is None:
            return resolver
        h = hashlib.blake2b(self._file_list, digest_size=16)
        for k, v in sorted(tsconfigs.items()):
            h.update(f"\0{k}\0{v}".encode("utf-8", "surrogateescape"))
        if self.cache.resolved_for != h.hexdigest():
            self.cache.forget_answers(h.hexdigest())
        return MemoResolver(resolver, self.cache)

    @cached_property
    def _file_list(self) -> bytes:
        """The file list as the keys hash it: one text, made once (hashing the 7,000
        names of a million lines one by one took 2.5 ms, twice a run)."""
        return ("\n".join(self.files) + "\n").encode("utf-8", "surrogateescape")

    def outcome(self, rel: str) -> Any:
        return self._facts[rel].outcome

    # ------------------------------------------------------------ results

    def result_key(self, extra: Iterable[str]) -> str:
        """What decides which stored result may apply: flowscan's code, the rules, the
        file list (import resolution) and `extra`. The stored result says which file
        contents it read (scan.py checks them)."""
        h = hashlib.blake2b(code_fingerprint().encode(), digest_size=16)
        h.update(self.catalog.digest.encode())
        h.update(b"--files--")
        h.update(self._file_list)
        for x in extra:
            h.update(b"\0" + x.encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def stored_modules(self, keys: dict[str, str]) -> dict[str, ir.Module] | None:
        """Files as an earlier run lowered them (by their content keys then), or None
        when the cache no longer holds one of them."""
        if self.cache is None:
            return None
        found = {rel: self.cache.module(key) for rel, key in keys.items()}
        return None if any(m is None for m in found.values()) else found

    def stored_result(self, key: str) -> Any:
        """A stored analysis (its state is ten megabytes of small objects on a large
        tree: loaded with the cyclic GC paused, as modules are, it takes a third of the
        time), frozen after: it lives as long as the scan."""
        if self.cache is None:
            return None
        with gc_paused(freeze=True):
            return self.cache.result(key)

    def store_result(self, key: str, value: Any) -> None:
        if self.cache is not None:
            with gc_paused(freeze=False):
                self.cache.put_result(key, value)


@contextmanager
def gc_paused(freeze: bool) -> Iterator[None]:
    """The cyclic GC off while many long-lived objects are made or pickled; with
    `freeze`, those objects are left out of later collections."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


class MemoResolver:
    """The import questions the relevance closure and the analysis ask, answered from
    a memo kept across runs; the other questions go to the resolver."""

    def __init__(self, resolver: Any, cache: FactCache) -> None:
        self._resolver = resolver
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_resolver", "_cache"):
            raise AttributeError(name)
        return getattr(self._resolver, name)

    def python(self, rel: str, spec: str) -> str | None:
        return self._ask(self._resolver.python, rel, spec)

    def javascript(self, rel: str, spec: str) -> str | None:
        return self._ask(self._resolver.javascript, rel, spec)

    def auto_imports(self, rel: str) -> tuple[str, ...]:
        return self._resolver.auto_imports(rel)  # (cheap, and per run: not memoised)

    def _ask(self, fn: Callable[[str, str], str | None], rel: str, spec: str) -> str | None:
        answers = self._cache.answers(rel)
        try:
            return answers[spec]
        except KeyError:
            target = fn(rel, spec)
            self._cache.answer(rel, spec, target)
            self._cache.dirty = True
            return target


def _call(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    fn, args = job
    return fn(*args)


def _light(f: FileFacts) -> FileFacts:
    """Facts without the module (which lives in a blob of its own)."""
    if f.module is None:
        return f
    return FileFacts(f.outcome, f.imports, None, f.direct, f.key, f.lowered)


def _stat(root: str, rel: str) -> os.stat_result | None:
    try:
        return os.stat(os.path.join(root, rel))
    except OSError:
        return None


def cache_for(root: str, catalog: Any, enabled: bool, cache_dir: Path | None
              ) -> FactCache | None:
    """The cache for this root; keyed by the rules and by the nesting limit too (a
    file skipped as too deeply nested under one limit is read under another)."""
    if not enabled:
        return None
    with gc_paused(freeze=True):  # (the index, 14,000 entries at a million lines, lives
        return FactCache.open(Path(root), _cache_key(catalog), cache_dir)  # as long)


def read_cache_ahead(root: Path, catalog: Any, enabled: bool, cache_dir: Path | None) -> None:
    """Before discovery: what `cache_for` and a resumed run load first is read and
    verified on threads meanwhile (cache.FactCache.read_ahead)."""
    if enabled:
        FactCache.read_ahead(root, _cache_key(catalog), cache_dir)


def remembered_listing(root: Path, catalog: Any, enabled: bool, cache_dir: Path | None
                       ) -> Any:
    """What discovery kept of the tracked files last time (targets.Verdicts), or None."""
    if not enabled:
        return None
    with gc_paused(freeze=True):
        return FactCache.listing(root, _cache_key(catalog), cache_dir)


def _cache_key(catalog: Any) -> str:
    from flowscan import limits

    return f"{catalog.digest}-n{limits.current().max_nesting}"

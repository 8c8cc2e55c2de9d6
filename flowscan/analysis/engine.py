"""Whole-program taint analysis over ``flowscan.ir`` with function summaries.

Each unit (a module body or a function) is interpreted once over its statements in
order; what it exposes (a module's globals and exports, a function's summary: which
parameters reach which sinks, what it returns) is recorded, and the units that read it
are re-analysed when it changes, until nothing changes. Summaries make wrappers of
wrappers, methods on ``self``/``this`` and cross-file clients cost one pass each, not one
pass per call."""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flowscan import ir
from flowscan.analysis.classes import ClassStore
from flowscan.analysis.common import (
    FOREIGN,
    SINK_KEY,
    FindingAcc,
    Summary,
    is_project_key,
    organisation_contact,
)
from flowscan.analysis.frame import Frame
from flowscan.analysis.growth import Hotness, Loader, candidates, dependencies, star_sources
from flowscan.analysis.http import vendor_for_url
from flowscan.analysis.modules import ModuleValues
from flowscan.analysis.persons import PersonEvidence
from flowscan.analysis.registry import Functions
from flowscan.analysis.resolve import Resolver
from flowscan.analysis.stores import key_path
from flowscan.analysis.values import (
    ParamLabel,
    Source,
    Val,
    join,
    shareable,
    truncate,
    without_params,
)
from flowscan.analysis.walk import (
    bottom_up,
    called_names,
    entry_points,
    module_containers,
    names_read,
    param_defaults,
)
from flowscan.catalog import HTTP_CLIENTS, Catalog

MAX_VISITS = 8  # per unit: a safety net, the lattice is finite anyway
SUMMARY_DEPTH = 4  # levels of a returned value's fields a summary keeps
MAX_CHANGES = 6  # per shared store: past this it is widened (no longer re-runs readers)
NAME_SPOKEN_FOR, NAME_STANDS = "~named:spoken-for", "~named:stands"  # name_verdict's
# a store read by more units than this re-runs them only once the queue is otherwise
# empty: a plugin dispatcher's return widens with every plugin method its callers reach,
# and re-running its 170 callers after each step was a third of saleor's analysis
FANOUT = 16
MAX_NESTING = 4  # module bodies run on demand inside the unit that asked, at most so deep
SHARED_LIBRARIES = frozenset({*HTTP_CLIENTS, "urllib"})


def stack_depth() -> int:
    """Python frames below this one: a unit run inside another needs room for its own
    expressions (the front ends let them nest 100 levels, about 450 frames)."""
    frame, n = sys._getframe(), 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


class Program(PersonEvidence, ClassStore, ModuleValues):
    def __init__(self, modules: dict[str, ir.Module], catalog: Catalog,
                 resolver: Resolver, loader: Loader | None = None) -> None:
        self.modules: dict[str, ir.Module] = {}
        # Modules analysed on demand: a unit of theirs runs only once another unit
        # asks for its summary or globals (the models and helpers relevant code uses)
        self.lazy: set[str] = set()
        self.eager: set[str] = set()
        self.loader = loader  # more of the project, as what is hot grows (growth.py)
        self.catalog = catalog
        self.tax = catalog.taxonomy
        self.resolver = resolver
        self.functions: dict[str, tuple[ir.Function, ir.Module]] = {}
        self.classes: dict[str, tuple[ir.Class, ir.Module]] = {}
        self.orm_models: dict[str, str] = {}  # a Prisma client's property -> model class
        self.orm_types: dict[str, str] = {}  # a Prisma model's name -> its class
        self.children: dict[str, list[str]] = {}
        # class id or enclosing fid -> the functions (and clones) it owns, all in the
        # owner's own module: each module indexed when one of its owners is first asked
        # about (owned_by), as with_relatives asks of a few owners, not of every
        # function (22,000 on a million lines)
        self.owned: dict[str, list[str]] = {}
        self.indexed: set[str] = set()  # the modules `owned` holds
        self.clones: dict[str, list[str]] = {}  # module path -> its clones (inherited)
        self.used: dict[str, set[str]] = {}  # names each eager function mentions
        self.globals: dict[str, dict[str, Val]] = {}  # module path -> env
        self.global_writes: dict[str, dict[str, Val]] = {}  # set by functions (`global`)
        self.summaries: dict[str, Summary] = {}
        self.class_attrs: dict[str, dict[str, Val]] = {}
        self.class_bases: dict[str, Val] = {}
        self.param_binds: dict[str, dict[int, Val]] = {}  # structural values from callers
        self.param_parts: dict[str, dict[str, Val]] = {}  # param key -> caller -> its part
        self.deps: dict[str, set[str]] = {}  # store key -> the units that read it
        self.awaited: set[str] = set()  # project files a unit read an import of, not loaded
        self.writers: dict[str, set[str]] = {}  # store key -> the units that wrote it
        self.written: dict[str, set[str]] = {}  # unit -> the store keys it wrote
        self.findings: dict[SINK_KEY, FindingAcc] = {}
        # unit -> finding -> (source, role): what the unit's last run found (record)
        self.contributed: dict[str, dict[SINK_KEY, set[tuple[Source, str]]]] = {}
        # unit -> finding -> the sink as the unit's last run described it: settle takes
        # the one of the first unit in order, not whichever run met the sink first (an
        # early run before a callee's module loaded may have seen another sink there)
        self.reported: dict[str, dict[SINK_KEY, FindingAcc]] = {}
        self.running = ""
        self.pending: dict[SINK_KEY, FindingAcc] = {}
        # sink key -> units whose callee's summary sent data there before the sink's own
        # unit ran again in this process (a re-run after an edit emptied `pending` of
        # the edited files' sinks): they record it once the sink is met (sink_met)
        self.sink_waiters: dict[SINK_KEY, set[str]] = {}
        self.queue: deque[str] = deque()
        self.queued: set[str] = set()
        self.deferred: set[str] = set()  # changed stores with many readers (FANOUT)
        self.visits: dict[str, int] = {}
        self.hosts = catalog.hosts()
        self.named_vendors = catalog.named_vendors()
        self.provided_vendors = {vid.replace("-", ""): vid for vid in catalog.vendors}  # `$x`
        self._persons: dict[str, frozenset[str]] = {}
        self._person_classes: dict[str, bool] = {}
        self._field_words: dict[str, frozenset[str]] = {}  # persons.py: field_words
        self._place_records: dict[str, bool] = {}  # persons.py: place_record
        self._captured: dict[str, frozenset[str]] = {}
        self._vendor_roots: dict[tuple[str, str], str | None] = {}
        # (classes.py: reverse_relations)
        self._reverse: tuple[int, dict[tuple[str, str], tuple[str, bool]]] | None = None
        self._person_nouns: frozenset[str] = frozenset()
        self._record_nouns: frozenset[str] = frozenset()  # persons.py: is_record_noun
        self._noun_cache: dict[tuple[str, tuple[str, ...]], bool] = {}  # persons.py
        self.changes: dict[str, int] = {}
        self.hot_members: set[str] = set()
        self.closure_sinks: dict[str, set[tuple[ParamLabel, SINK_KEY, str]]] = {}
        self.hot_by_module: dict[str, frozenset[str]] = {}
        self.tried: set[str] = set()  # paths asked of the loader
        self.runs = 0  # units run by this process (incremental.py: fewer than all)
        self._probing = False
        self.nesting = 0  # module bodies run inside a unit that demanded them
        self._state_writes: dict[str, set[str]] = {}  # fid -> request state slots it sets
        # fid -> slots its body (never decoded for it) does not mention (state_writers)
        self._state_unwritten: dict[str, set[str]] = {}
        # how many store keys read state_slots_read has looked at, and the slots they read
        self._state_reads: tuple[int, set[str]] = (0, set())
        self.live: dict[str, Frame] = {}  # functions running now, by fid
        # fid -> (name, closure) -> what the closure read of fid's live locals
        self.live_reads: dict[str, dict[tuple[str, str], object]] = {}
        # incremental.py, a narrow re-run: store key -> its value before, whose readers
        # outside the re-run wait until it is known whether the value changed
        self.hold: dict[str, object] | None = None
        self.fresh: set[str] = set()  # units run since (their readers' changes reach them)
        self.initial = sorted(modules)
        self.add(modules, ())

    def add(self, modules: dict[str, ir.Module], lazy: Iterable[str]) -> None:
        self.tried |= set(modules)
        self.lazy |= set(lazy) & set(modules)
        self.register(modules)
        for path in sorted(modules):
            self.changed(f"load:{path}")  # units that met it as a library re-run

    def register(self, modules: dict[str, ir.Module],
                 ids: dict[str, str] | None = None) -> None:
        """`ids`: a resumed run's stored skeletons' function ids, by path: their
        functions register when first asked for (registry.Functions)."""
        for path in sorted(modules):
            m = self.modules[path] = modules[path]
            if ids is not None and path in ids and isinstance(self.functions, Functions):
                self.functions.wait(m, ids[path])
            else:
                self.register_functions(m)
            for cid, c in m.classes.items():
                self.classes[cid] = (c, m)
                if path.endswith(".prisma"):  # prisma.weighIn is the WeighIn model, and
                    self.orm_models[c.name[:1].lower() + c.name[1:]] = cid  # so is the
                    self.orm_types[c.name] = cid  # type `WeighIn` of '@prisma/client'
        if any(m.classes for m in modules.values()):
            self.refresh_person_nouns()

    def register_functions(self, m: ir.Module) -> None:
        for fid, fn in m.functions.items():
            self.functions[fid] = (fn, m)
            if fn.parent is not None:
                self.children.setdefault(fn.parent, []).append(fid)

    def function_ids(self) -> Iterable[str]:
        """Every function's id, without registering those still waiting."""
        return self.functions.ids() if isinstance(self.functions, Functions) \
            else self.functions

    # ------------------------------------------------------------ driver

    def run(self) -> dict[SINK_KEY, FindingAcc]:
        self.start(self.initial)
        self.load_dependencies(self.initial)
        return self.finish()

    def finish(self) -> dict[SINK_KEY, FindingAcc]:
        while True:
            self.drain()
            if not self.grow():
                return self.settle()

    def start(self, paths: Iterable[str]) -> None:
        """Analyse `paths` up front: their module bodies and the functions that name a
        vendor or something hot (with their class's methods and their closures)."""
        paths = set(paths)
        self.lazy -= paths
        self.eager |= paths
        for path in sorted(paths):
            self.push(f"module:{path}")
        if isinstance(self.functions, Functions):
            for path in sorted(paths):
                self.functions.fill(path)
        fresh = {fid: entry for fid, entry in dict.items(self.functions)
                 if entry[1].path in paths}
        for fid, (fn, _) in fresh.items():  # one walk each; `client: Analytics` counts,
            self.used[fid] = called_names(fn.body + param_defaults(fn)) | {  # and so do
                p.annotation.split(".", 1)[0] for p in fn.params if p.annotation} | (  # defaults
                {fn.returns.split(".", 1)[0]} if fn.returns else set())  # and `): PostHog`
        chosen = entry_points(fresh, self.catalog, self.leads_out, self.used,
                              lambda host: vendor_for_url(self, host) is not None)
        chosen += [fid for fid in fresh if fid not in chosen  # req.bugsnag.setUser(...)
                   and (any((n[:1] == "." and n[1:].lower() in self.named_vendors)
                            or (n[:1] == "$" and n[1:].lower() in self.provided_vendors)
                            for n in self.used[fid])  # (Nuxt's provided `$mixpanel`)
                        or self.used[fid] & self.hot_members)]  # a file read for them
        # an event buffer a sending function reads: the functions that fill it run too
        containers = {path: module_containers(self.modules[path]) for path in paths}
        read = {(fresh[fid][1].path, name) for fid in chosen if fid in fresh
                for name in self.used[fid] & containers[fresh[fid][1].path]}
        chosen += [fid for fid, (_, m) in fresh.items() if fid not in chosen
                   and any((m.path, name) in read for name in self.used[fid])]
        self.push_functions(chosen)

    def push_functions(self, fids: Iterable[str]) -> None:
        chosen = {fid: self.functions[fid] for fid in self.with_relatives(fids)
                  if fid not in self.visits}
        for fid in bottom_up(chosen, self.used):
            self.push(fid)

    def with_relatives(self, fids: Iterable[str]) -> set[str]:
        """Methods of the same class and closures inside, to any depth: they share
        attributes and captured variables."""
        chosen = set(fids)
        size = -1
        while size != len(chosen):
            size = len(chosen)
            parents = {p for fid in chosen if (p := self.functions[fid][0].parent)
                       and p in self.used}  # the enclosing function and its other closures
            chosen |= parents
            owners = {cls for fid in chosen if (cls := self.functions[fid][0].cls)} | chosen
            chosen |= {fid for owner in owners for fid in self.owned_by(owner)
                       if fid in self.used}
        return chosen

    def owned_by(self, owner: str) -> list[str]:
        """The functions and clones whose class or enclosing function is `owner`: the
        front ends make a method in its class's file and a closure in its function's,
        and a clone lives in its original's module."""
        path = key_path(owner)
        module = self.modules.get(path)
        if module is not None and path not in self.indexed:  # (a module not loaded yet
            self.indexed.add(path)  # is indexed once it is)
            for fid in [*module.functions, *self.clones.get(path, ())]:
                self.own(fid, self.functions[fid][0])
        return self.owned.get(owner, [])

    def own(self, fid: str, fn: ir.Function) -> None:
        for owner in (fn.cls, fn.parent):
            if owner is not None:
                self.owned.setdefault(owner, []).append(fid)

    def drain(self) -> None:
        while self.queue or self.deferred:
            if not self.queue:
                keys = sorted(self.deferred)
                self.deferred.clear()
                for key in keys:
                    for unit in sorted(self.readers(key)):
                        self.push(unit)
                continue
            unit = self.queue.popleft()
            if unit in self.queued:  # else run since, on demand
                self.run_unit(unit)

    def run_unit(self, unit: str) -> None:
        self.queued.discard(unit)
        n = self.visits.get(unit, 0)
        if n >= MAX_VISITS:
            return
        self.visits[unit] = n + 1
        self.runs += 1
        if self.hold is not None:
            self.fresh.add(unit)
        outer, self.running = self.running, unit
        self.contributed.pop(unit, None)
        self.reported.pop(unit, None)
        try:
            if unit.startswith("module:"):
                if unit[7:] in self.modules:
                    self.run_module(unit[7:])
            elif unit in self.functions:  # gone after an edit (incremental.py)
                self.run_function(unit)
        finally:
            self.running = outer

    def grow(self) -> bool:
        """After a fixpoint: analyse what names the newly hot members and modules, and
        load the files that do (growth.py). False when nothing is new."""
        hot = Hotness(self, SHARED_LIBRARIES)
        scope = self.grow_scope()
        members = hot.members(scope, self.hot_members)
        self.hot_members |= members
        fresh: dict[str, frozenset[str]] = {}
        # (the scope first: asking a lazy module for its star sources decodes its
        # imports, and a narrow run's scope holds a few hundred of 3,000 modules)
        for path in sorted(p for p in self.eager | self.lazy if (
                scope is None or p in scope) and (p in self.eager or p in self.globals or (
                    p in self.modules and star_sources(self, self.modules[p])))):
            names = hot.module_names(path)
            new = names - self.hot_by_module.get(path, frozenset())
            if new:
                fresh[path] = new
            self.hot_by_module[path] = names
        named = members.union(*fresh.values())
        local: dict[str, set[str]] = {}  # `import tracer from './observability'`: the
        for path in sorted(self.eager) if fresh else ():  # importer's own name for it
            module = self.modules[path]
            local[path] = {imp.local for imp in module.imports if imp.local and imp.local
                           not in named and self.leads_out(module, imp)}
        readers = [fid for fid in self.used if fid not in self.visits  # (by key: a
                   and self.used[fid] & (named | local.get(  # resumed run's sets are
                       key_path(fid), set()))] if named or any(local.values()) else []
        # split when read, and none is when no name is new; a function's module by its
        # id: one waiting to register is not registered for it, registry.py)
        self.push_functions(readers)
        for fid in self.state_writers():
            self.push(fid)
        files: set[str] = set()
        if self.loader is not None:
            wanted = {path: set(names) for path, names in fresh.items()}
            registered = self.registered_classes() if members else set()
            for fid in [fid for cid in registered  # `adapter.identify(p)` on an instance
                        for fid in self.owned_by(cid)]:  # from a registry: importers
                fn, module = self.functions[fid]  # that call a newly hot method are read
                if fn.cls in registered and fn.name in members:
                    wanted.setdefault(module.path, set()).add(fn.name)
            for path, names in sorted(wanted.items()):
                for rel in candidates(self.loader, path):
                    if rel not in self.eager and rel not in files and (
                            "default" in names or self.loader.mentions(rel, names)):
                        files.add(rel)
            missing = files - set(self.modules)
            self.add(self.loader.load(sorted(missing - self.tried)), ())
            self.tried |= missing
            files &= set(self.modules)
            if files:
                self.start(files)
                self.load_dependencies(files)
            self.load_requesters()
        return bool(self.queue)

    def load_requesters(self) -> None:
        """Project modules that analysed code calls into but that are not loaded (a lazy
        module's own imports), when they make HTTP requests: a request there may go to
        the URL a caller passes (`curl.request(method, url)` under a transport class whose
        subclasses pass Twilio's), which only the callers know (http.py: defer)."""
        assert self.loader is not None
        found = sorted(p for p in self.awaited - self.tried if self.loader.requests(p))
        if found:
            self.add(self.loader.load(found), found)
            self.tried |= set(found)

    def grow_scope(self) -> set[str] | None:
        """The files whose hot names a narrow re-run (incremental.py) may have changed:
        those of the units it ran, and, to a fixpoint, the loaded files that import or
        re-export one of them. Elsewhere every store another file reads ended as it was
        (or the run is thrown away, `settled`), so their hot names stand. None: all."""
        if self.hold is None or self.loader is None:
            return None
        scope = {unit[7:] if unit.startswith("module:") else unit.split("::", 1)[0]
                 for unit in self.fresh} | {key[3:] for key in self.hold if key[:3] == "ir:"}
        todo = list(scope)
        while todo:
            for path in candidates(self.loader, todo.pop()):
                if path in self.modules and path not in scope:
                    scope.add(path)
                    todo.append(path)
        return scope

    def load_dependencies(self, paths: Iterable[str]) -> None:
        if self.loader is None:
            return
        wanted: set[str] = set()
        for path in paths:
            wanted |= dependencies(self, self.modules[path])
        wanted -= self.tried
        if wanted:
            self.add(self.loader.load(sorted(wanted)), wanted)
            self.tried |= wanted

    @contextmanager
    def probing(self) -> Iterator[None]:
        """Ask for values without becoming their reader or analysing anything."""
        self._probing = True
        try:
            yield
        finally:
            self._probing = False

    def push(self, unit: str) -> None:
        if unit not in self.queued:
            self.queued.add(unit)
            self.queue.append(unit)

    def changed(self, key: str, current: Iterable[str] = ()) -> None:
        """`current`: readers that already saw the new value."""
        n = self.changes.get(key, 0)
        if n >= MAX_CHANGES:
            return  # widened: a store that keeps changing stops re-running its readers
        self.changes[key] = n + 1
        readers = self.readers(key).difference(current)
        if len(readers) > FANOUT and self.queue:
            self.deferred.add(key)
            return
        for unit in sorted(readers):
            self.push(unit)

    def readers(self, key: str) -> set[str]:
        found = self.deps.get(key, set())
        if self.hold is None or key not in self.hold:
            return set(found)
        return {u for u in found if u in self.fresh or u not in self.visits}

    def await_load(self, path: str, unit: str) -> None:
        """`unit` read an import of `path`, a project file not loaded: it runs again
        if growth loads it (see load_requesters)."""
        if not self._probing:
            self.deps.setdefault(f"load:{path}", set()).add(unit)
            self.awaited.add(path)

    def depend(self, key: str, unit: str) -> None:
        # (300,000 calls in a cold scan of formbricks: no empty set made for each, as
        # setdefault's default would)
        if not self._probing:
            readers = self.deps.get(key)
            if readers is None:
                self.deps[key] = {unit}
            else:
                readers.add(unit)

    def wrote(self, key: str) -> None:
        """Who wrote a store, whether or not it changed: an edit that empties the store
        has every writer rebuild it (incremental.py)."""
        if not self._probing:
            self.writers.setdefault(key, set()).add(self.running)
            self.written.setdefault(self.running, set()).add(key)

    def unwrote(self, key: str) -> None:
        """The store `key` emptied (incremental.reset): its writers rebuild it; `written`
        stays the mirror of `writers`."""
        for unit in self.writers.pop(key, ()):
            keys = self.written.get(unit)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.written[unit]

    def run_module(self, path: str) -> None:
        module = self.modules[path]
        frame = Frame(self, module, None, f"module:{path}")
        frame.block(module.body)
        old = self.globals.get(path) or {}
        env = {k: shareable(v, SHARED_LIBRARIES) for k, v in frame.env.items()}
        names = sorted(k for k in set(old) | set(env)
                       if k not in old or k not in env or old[k].key() != env[k].key())
        self.wrote(f"module:{path}")
        for name in env:
            self.wrote(f"global:{path}:{name}")
        if names or path not in self.globals:
            self.globals[path] = env
            self.changed(f"module:{path}")  # readers of exports and star imports
            for name in names:  # readers of one global re-run only when it changes
                self.changed(f"global:{path}:{name}")

    def run_function(self, fid: str) -> None:
        fn, module = self.functions[fid]
        frame = Frame(self, module, fn, fid)
        self.live[fid] = frame
        try:
            frame.bind_params()
            frame.block(fn.body)
            frame.declared_return()
        finally:
            del self.live[fid]
        seen = self.live_reads.pop(fid, {})
        captured = self.captured_names(fid)
        env = {k: shareable(v, SHARED_LIBRARIES) for k, v in frame.env.items()
               if k in captured and not v.is_empty()}
        own = {(lab, key, role) for lab, key, role in frame.param_sinks
               if lab.index < FOREIGN}
        self.hand_out(fid, frame.param_sinks - own)
        writes = {k: shareable(v, SHARED_LIBRARIES)
                  for k, v in (frame.writes | frame.argument_writes()
                               | frame.outer_writes()).items()}
        new = Summary(shareable(truncate(frame.ret, SUMMARY_DEPTH), SHARED_LIBRARIES),
                      frozenset(own | self.closure_sinks.get(fid, set())), env, writes,
                      frozenset(frame.deferred), frozenset(frame.named_sinks))
        # the last run's summary, not a join with earlier ones: an early run that met a
        # parameter before its callers bound its class (`member.to_braze_attributes()`
        # unresolved) passed the whole object to the sink; once bound, it does not, and
        # the result no longer depends on the order the units ran in
        old = self.summaries.get(fid)
        self.wrote(fid)
        for name in env:
            self.wrote(f"env:{fid}:{name}")
        if old is None or old.key() != new.key():
            self.summaries[fid] = new
            self.changed(fid)
            before = {} if old is None else old.env
            for name in sorted(set(before) | set(env)):
                if name not in before or name not in env \
                        or before[name].key() != env[name].key():
                    now = env[name].key() if name in env else None
                    self.changed(f"env:{fid}:{name}", {  # closures that ran inside this
                        unit for (n, unit), key in seen.items()  # run and saw its final
                        if n == name and key == now})  # value need no second run

    def hand_out(self, fid: str, foreign: set[tuple[ParamLabel, SINK_KEY, str]]) -> None:
        """Sinks a closure reached with an enclosing function's parameters become that
        function's: its callers' data is what reaches them."""
        for lab, key, role in sorted(foreign, key=repr):
            hops, index = divmod(lab.index, FOREIGN)
            owner = fid
            for _ in range(hops):
                owner = self.functions[owner][0].parent or "" if owner in self.functions else ""
            if owner not in self.functions:
                continue
            found = self.closure_sinks.setdefault(owner, set())
            sink = (ParamLabel(index, lab.path), key, role)
            self.wrote(owner)
            if sink not in found:
                found.add(sink)
                old = self.summaries.get(owner)
                if old is not None:
                    self.summaries[owner] = Summary(old.ret, old.sinks | {sink}, old.env,
                                                    old.writes, old.requests, old.named)
                    self.changed(owner)

    # ------------------------------------------------------------ shared stores

    def captured_names(self, fid: str) -> frozenset[str]:
        """The names this function's nested functions read: only those of its locals
        matter to anyone else, so only their changes re-run the closures."""
        found = self._captured.get(fid)
        if found is None:
            self.functions.get(fid)  # (its module's functions registered: the children)
            names: set[str] = set()
            for child in self.children.get(fid, ()):
                names |= names_read(self.functions[child][0].body)
                names |= self.captured_names(child)
            found = self._captured[fid] = frozenset(names)
        return found

    def set_class_attr(self, cid: str, name: str, value: Val) -> None:
        self.join_into(self.class_attrs.setdefault(cid, {}), name, value,
                       f"class:{cid}:{name}")

    def join_into(self, store: dict[str, Val], name: str, value: Val, key: str) -> None:
        """A store other units read (a class attribute, a global a function sets):
        callers' parameters and bound receivers mean nothing there."""
        value = shareable(without_params(value), SHARED_LIBRARIES)
        self.wrote(key)
        old = store.get(name)
        new = value if old is None else join(old, value)
        if old is None or old.key() != new.key():
            store[name] = new
            self.changed(key)

    def bind_param(self, fid: str, index: int, value: Val) -> None:
        """Callers tell a function which clients/objects its parameters hold; the data
        itself travels through ParamLabels, never through here."""
        structural = shareable(Val(refs=value.refs, funcs=frozenset(
            (f, None) for f, _ in value.funcs), classes=value.classes, insts=value.insts,
            mods=value.mods), SHARED_LIBRARIES)
        if structural.is_empty():
            return
        binds = self.param_binds.setdefault(fid, {})
        old = binds.get(index)
        new = structural if old is None else join(old, structural)
        key = f"param:{fid}:{index}"
        parts = self.param_parts.setdefault(key, {})  # who wrote it, and what: an edit
        mine = parts.get(self.running)  # takes the dirty callers' parts out (rebind)
        parts[self.running] = structural if mine is None else join(mine, structural)
        if old is None or old.key() != new.key():
            binds[index] = new
            n = self.changes.get(key, 0)
            if n < MAX_CHANGES:  # widened past that: the function keeps what it saw
                self.changes[key] = n + 1
                self.push(fid)

    def summary(self, fid: str, unit: str) -> Summary | None:
        found = self.summary_now(fid)  # before depending: its first summary is no
        self.depend(fid, unit)  # change to `unit`
        return found

    def summary_now(self, fid: str) -> Summary | None:
        """`fid`'s summary, running it first (demand) if it has none yet."""
        found = self.summaries.get(fid)
        if found is None and fid in self.functions:
            self.demand(fid, self.functions[fid][1].path)
            found = self.summaries.get(fid)
        return found

    def captured(self, fid: str, name: str, unit: str) -> Val | None:
        """A closure reads a local of its enclosing function: it depends on that name,
        not on the whole summary (whose return and sinks are the callers' business, and
        whose first appearance, after the closure ran inside it, re-ran every closure:
        a tenth of formbricks' runs)."""
        found = self.summary_now(fid)
        self.depend(f"env:{fid}:{name}", unit)
        if found is not None:
            return found.env.get(name)
        frame = self.live.get(fid)  # its first run, under way: a closure called now
        if frame is None or self._probing:  # sees the locals as they are; if they end
            return None  # the same, it needs no second run (run_function)
        v = frame.env.get(name)
        v = None if v is None or v.is_empty() else shareable(v, SHARED_LIBRARIES)
        self.live_reads.setdefault(fid, {})[(name, unit)] = None if v is None else v.key()
        return v

    def demand(self, unit: str, path: str) -> None:
        """A unit not analysed up front (a lazy module's, a helper that is no entry
        point) is asked for: analyse it now, inside the asking unit, so that unit reads
        the result instead of running a second time for it (a fifth of formbricks'
        runs); later changes re-run its readers through the usual dependencies."""
        if unit in self.visits or self._probing:
            return
        if self.nesting < MAX_NESTING and stack_depth() < sys.getrecursionlimit() // 2:
            self.nesting += 1  # as an import or a call would: now, not in a re-run
            try:
                self.run_unit(unit)
            finally:
                self.nesting -= 1
        elif unit not in self.queued:
            self.queued.add(unit)  # next: its caller re-runs once it has a summary
            self.queue.appendleft(unit)

    def record(self, key: SINK_KEY, acc: FindingAcc, source: Source, role: str) -> None:
        """A source reaches a sink, as the unit now running sees it. Each unit's last
        run is what counts: an early run that met a callee before its module was
        analysed passed its arguments on blindly, and must not leave that behind."""
        if source.category == "credentials" and is_project_key(source.field):
            return  # {"api_key": api_key} in Amplitude's body is the project's auth
        if organisation_contact(acc.sink, source.category):
            return  # a partner firm's name and phone, sent to HubSpot's companies
        if key not in self.findings:
            self.findings[key] = acc
            self.pending.setdefault(key, acc)
        self.contributed.setdefault(self.running, {}).setdefault(key, set()).add(
            (source, role))
        self.reported.setdefault(self.running, {})[key] = acc

    def await_sink(self, key: SINK_KEY) -> None:
        if not self._probing:
            self.sink_waiters.setdefault(key, set()).add(self.running)

    def sink_met(self, key: SINK_KEY, acc: FindingAcc) -> None:
        """A run met a sink that callers' parameters reach: the units that applied a
        summary sending data there before it was met run again to record it."""
        self.pending[key] = acc
        for unit in sorted(self.sink_waiters.pop(key, ())):
            self.push(unit)

    def name_verdict(self, key: SINK_KEY, source: Source, speaks: bool) -> None:
        """A caller of a function whose parameter's name was read as `source` at a
        sink says whether its argument speaks for itself (settle drops the name when
        every caller's does: `notify(settings.TEAM_INBOX)` sends `to_email` no one's)."""
        self.contributed.setdefault(self.running, {}).setdefault(key, set()).add(
            (source, NAME_SPOKEN_FOR if speaks else NAME_STANDS))

    def settle(self) -> dict[SINK_KEY, FindingAcc]:
        hits: dict[SINK_KEY, set[tuple[Source, str]]] = {}
        for by_key in self.contributed.values():
            for key, found in by_key.items():
                hits.setdefault(key, set()).update(found)
        for key, found in hits.items():
            verdicts = {(s, r) for s, r in found if r in (NAME_SPOKEN_FOR, NAME_STANDS)}
            if verdicts:
                stands = {s for s, r in verdicts if r == NAME_STANDS}
                dropped = {s for s, r in verdicts if r == NAME_SPOKEN_FOR} - stands
                hits[key] = {(s, r) for s, r in found - verdicts if s not in dropped}
        for unit in sorted(self.reported, reverse=True):  # the first unit's stands
            for key, acc in self.reported[unit].items():
                found = self.findings.get(key)  # (config: report_config's stands)
                if found is not None and found.kind != "config":
                    self.findings[key] = acc
        for key, acc in self.findings.items():
            acc.hits = hits.get(key, set())
        return self.findings

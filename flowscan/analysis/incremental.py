"""Re-analysis after an edit: the previous run's fixpoint, minus what the edited files
could have changed, is where the next run starts.

A stored `State` keeps every store the units share (summaries, module globals, class
attributes, parameter bindings), which units read and wrote each, and what each unit
found. After an edit the units of the edited files are dirty, and so, to a fixpoint,
is every unit that read a store a dirty unit wrote (its input may change) and every
unit that wrote one (the store is emptied, and all its writers rebuild it). The other
units keep their results; the dirty ones run again over emptied stores, and the usual
worklist carries any change further."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from flowscan import ir
from flowscan.analysis.engine import Program
from flowscan.analysis.growth import Loader
from flowscan.analysis.http import returned
from flowscan.analysis.registry import Functions
from flowscan.analysis.resolve import Resolver
from flowscan.analysis.stores import (
    Sharded,
    ShardedSets,
    StoredAnswers,
    key_path,
    of_files,
)
from flowscan.analysis.values import join_all
from flowscan.analysis.walk import bottom_up, names_read
from flowscan.catalog import Catalog
from flowscan.pickling import Elsewhere, PackedSets, PackedStore, out_of_band

STATE = ("summaries", "globals", "global_writes", "class_attrs", "class_bases",
         "param_binds", "param_parts", "deps", "writers", "written", "findings", "pending",
         "contributed", "reported", "visits", "changes", "hot_members", "hot_by_module",
         "closure_sinks", "tried", "lazy", "eager", "used", "initial", "_person_nouns",
         "_record_nouns", "_noun_cache", "_state_writes", "_state_unwritten", "_state_reads",
         "awaited",
         "_person_classes",
         "_field_words", "_place_records")
# what each class's own declaration says (persons.py): an edit of its file drops it
PER_CLASS = ("_person_classes", "_field_words", "_place_records")
# stores a resumed run reads a few entries of: each value stays pickled until read
PACKED = ("summaries", "globals")
# stores of sets a resumed run reads a few of by key: each set stays a text until read
PACKED_SETS = ("used", "_state_writes", "_state_unwritten")
# the stores with most keys (93,000 keys of readers on a tree of a million lines), split
# by the file each key belongs to: a resumed run loads the keys of its edited files and
# of the stores it reads, writes or changes (stores.Sharded)
SHARDED_SETS = ("deps", "writers", "written")
SHARDED = ("changes",)


POSITION = re.compile(r"pos=\(\d+, \d+, \d+, \d+\)")


@dataclass
class State:
    paths: list[str]  # the modules the analysis read
    stores: dict[str, Any]
    # the taxonomy's answers (the state is keyed by the rules): a resumed run asks its
    # patterns only about new names, and most re-scans compile none of them
    classified: StoredAnswers = field(default_factory=lambda: StoredAnswers("", []))
    # path -> (content key, the module without its bodies, pickled): the bodies stay in
    # the module's blob in the cache, read when a unit of it runs (pickling.Elsewhere)
    skeletons: dict[str, tuple[str, bytes | memoryview]] = field(default_factory=dict)
    # the project's importer index (scan.ProjectLoader.importers), when it was built;
    # each file's importers stay one text until asked for (stores.StoredImporters)
    importers: PackedSets | None = None
    # content key -> whether the file names an HTTP client (scan.ProjectLoader.requests)
    requesting: dict[str, bool] = field(default_factory=dict)
    # path -> the ids of its skeleton's functions, NUL-joined: they register when first
    # asked for (registry.Functions)
    function_ids: dict[str, str] = field(default_factory=dict)

    def __reduce_ex__(self, protocol: int) -> tuple[type, tuple[Any, ...]]:
        """The skeletons out of the stream, as the stores' packed values (pickling.py)."""
        return State, (self.paths, self.stores, self.classified, {
            path: (key, out_of_band(blob, protocol))
            for path, (key, blob) in self.skeletons.items()},
            self.importers, self.requesting, self.function_ids)


def snapshot(prog: Program, keys: dict[str, str] | None = None,
             importers: dict[str, set[str]] | None = None,
             previous: State | None = None,
             requesting: dict[str, bool] | None = None) -> State:
    """`keys`: the content keys under which the cache holds the modules' blobs;
    `previous`: the state the run started from (its skeletons and function ids are
    kept for the files whose content is the same)."""
    stores = {name: getattr(prog, name) for name in STATE}
    stores["_person_classes"] = {cid: found for cid, found in prog._person_classes.items()
                                 if cid in prog.classes}  # (not: asked before it loaded)
    for name in PACKED:
        if not isinstance(stores[name], PackedStore):
            stores[name] = PackedStore(stores[name])
    for name in PACKED_SETS:
        if not isinstance(stores[name], PackedSets):
            stores[name] = PackedSets(stores[name])
    # which units ran (a resumed run counts each as run once): one text, not a dict of
    # 18,000 counts (no unit holds a NUL)
    stores["visits"] = "\0".join(prog.visits)
    prog.state_slots_read()  # how far it looked: all of deps, so a resumed run that
    # asks again reads only the keys added since (Sharded.since)
    for name in SHARDED_SETS:
        stores[name] = ShardedSets.of(stores[name])
    for name in SHARDED:
        stores[name] = Sharded.of(stores[name])
    old, old_ids = (previous.skeletons, previous.function_ids) if previous is not None \
        else ({}, {})
    kept = skeletons(prog, keys or {}, old)
    return State(sorted(prog.modules), stores,
                 StoredAnswers.of(prog.tax.remembered(), prog.tax.answers()), kept,
                 None if importers is None else PackedSets(importers),
                 requesting or {}, {  # (a skeleton kept as it was keeps its ids)
                     path: old_ids[path] if entry is old.get(path) and path in old_ids
                     else "\0".join(prog.modules[path].functions)
                     for path, entry in kept.items()})


def skeletons(prog: Program, keys: dict[str, str],
              previous: dict[str, tuple[str, bytes | memoryview]]
              ) -> dict[str, tuple[str, bytes | memoryview]]:
    """Each read module's skeleton, pickled on its own. A skeleton is a function of its
    file's content (and of flowscan's code, which keys the whole cache), so one the
    previous state holds under the same key is stored again as it came: a run after
    edits to a few files pickles a few skeletons, not 1,116 (0.15 s on formbricks)."""
    out: dict[str, tuple[str, bytes | memoryview]] = {}
    for path, key in keys.items():
        if path not in prog.modules:
            continue
        old = previous.get(path)
        out[path] = old if old is not None and old[0] == key else (key, pickle.dumps(
            skeleton(prog.modules[path], key), protocol=pickle.HIGHEST_PROTOCOL))
    return out


def skeleton(module: ir.Module, key: str) -> ir.Module:
    """`module` with its bodies and its functions' bodies left in the blob `key`."""
    out: ir.Module = module.without(Elsewhere(key, None))  # type: ignore[attr-defined]
    out.functions = {fid: fn.without(Elsewhere(key, fid))  # type: ignore[attr-defined]
                     for fid, fn in module.functions.items()}
    return out


def resume(state: State, modules: dict[str, ir.Module], edited: set[str],
           catalog: Catalog, resolver: Resolver, loader: Loader | None,
           previous: dict[str, ir.Module] | None = None,
           waiting: dict[str, str] | None = None) -> Program:
    """A program holding `state`, with `modules` (the edited ones freshly lowered) and
    everything the edited files could have changed undone and queued again.

    With `previous` (the edited files as they were), a narrow re-run: only the edited
    files' units and the other writers of what they wrote run again; the readers of
    those stores outside it are held back, and `settled` tells after the run whether
    every such store ended as it was (then they need no run: the usual case of an edit
    that changes nothing another file sees). If one did not, the caller starts over
    from the stored state without `previous`. `waiting`: the function ids of the
    modules that are stored skeletons, whose functions register when first asked for."""
    catalog.taxonomy.remember(state.classified)
    prog = Program({}, catalog, resolver, loader=loader)
    for name, value in state.stores.items():
        setattr(prog, name, value)
    # a unit that ran keeps counting as run, but any change may re-run it (the visit
    # limit is per run: an old count must not stop a clean reader from catching up)
    ran: str = state.stores["visits"]
    prog.visits = dict.fromkeys(ran.split("\0"), 1) if ran else {}
    # what was read off the edited files' code as it was: request-state writers and the
    # class verdicts (before the modules register: that asks the verdicts of every class)
    for name in ("_state_writes", "_state_unwritten", *PER_CLASS):
        store = getattr(prog, name)
        for key in of_files(store, edited):
            del store[key]
    prog.functions = Functions(prog)
    prog.register(modules, {path: ids for path, ids in (waiting or {}).items()
                            if path not in edited})
    wanted: set[str] = set()  # the edited files' units to run again at once
    if previous is None:
        dirty, keys = dirty_closure(prog, edited)
    else:
        dirty, keys = dirty_closure(prog, edited, readers=False)
        prog.hold = {key: stored_value(prog, key, previous)
                     for key in keys | {f"ir:{p}" for p in edited}}
        # those that wrote what others read (held back: they will not ask for it)
        wanted = {u for key in keys if (units := prog.writers.get(key))
                  and any(key_path(r) not in edited for r in prog.deps.get(key, ()))
                  for u in units if key_path(u) in edited}
        # units outside whose findings lie in the edited files (a caller's data at a
        # parameter's sink there): reset drops those findings, so they record them again
        dirty |= {u for u, found in prog.contributed.items()
                  if u not in dirty and any(k[0] in edited for k in found)}
    reset(prog, keys, dirty, edited)
    callees = rebind(prog, dirty)
    for unit in callees - dirty:  # run again, with their summaries and findings standing
        prog.visits.pop(unit, None)
    dirty |= callees
    # the edited files' own units run as a fresh run would choose them (start, below);
    # the other dirty units, because what they read may have changed
    again = sorted(u for u in dirty if exists(prog, u)
                   and (key_path(u) not in edited or u in wanted))
    for unit in again:  # module bodies first, as in a fresh run: their globals are
        if unit.startswith("module:"):  # what the functions read
            prog.push(unit)
    prog.start(sorted(prog.eager & edited & set(modules)))  # their entry points too
    hot = set(prog.hot_members).union(*prog.hot_by_module.values())
    prog.push_functions(fid for fid in prog.used
                        if key_path(fid) in edited and prog.used[fid] & hot)
    # callers before callees: a callee run first would miss the clients and classes
    # its dirty callers bind to its parameters (their parts were taken out), and an
    # unknown receiver passes whole objects to its sinks; a caller run first merely
    # waits for the callee's summary
    ordered = bottom_up({u: prog.functions[u] for u in again if u in prog.used}, prog.used)
    for unit in reversed(ordered):
        prog.push(unit)
    for unit in again:
        if unit not in prog.used and not unit.startswith("module:"):  # run on demand
            prog.push(unit)
    return prog


def exists(prog: Program, unit: str) -> bool:
    if unit.startswith("module:"):
        return unit[7:] in prog.modules
    if unit not in prog.functions:  # a base class's method run on a subclass (classes.py:
        for at in (i for i, c in enumerate(unit) if c == "@"):  # inherited) is made by
            base, cid = unit[:at], unit[at + 1:]  # its callers; one that lost them runs
            if base in prog.functions and cid in prog.classes:  # again, finding nothing
                prog.inherited(base, cid)
                break
    return unit in prog.functions


def dirty_closure(prog: Program, edited: set[str], readers: bool = True
                  ) -> tuple[set[str], set[str]]:
    """The units to run again and the store keys to empty. (Parameter bindings are no
    store keys: they are kept per caller, see rebind.) Without `readers`, only the
    writers that rebuild an emptied store, not the units that read it."""
    units = {u for store in (prog.visits, prog.written, prog.contributed)
             for u in of_files(store, edited)}
    keys: set[str] = set()
    todo_keys = [*of_files(prog.deps, edited), *of_files(prog.writers, edited)]
    todo_units = list(units)
    while todo_keys or todo_units:
        while todo_units:
            for key in prog.written.get(todo_units.pop(), ()):
                if key not in keys:
                    todo_keys.append(key)
        while todo_keys:
            key = todo_keys.pop()
            if key in keys:
                continue
            keys.add(key)
            touched = prog.writers.get(key, set())
            if readers:
                touched = touched | prog.deps.get(key, set())
            for unit in touched - units:
                units.add(unit)
                todo_units.append(unit)
    return units, keys


def stored_value(prog: Program, key: str, previous: dict[str, ir.Module] | None = None
                 ) -> object:
    """What the readers of a store key see of it, comparable across runs; a kind of
    key not known here compares unequal to everything (its readers always run)."""
    head, _, rest = key.partition(":")
    if head == "ir":  # what others read of the file, as it was (previous) or is now
        return interface(prog.modules.get(rest) if previous is None else previous.get(rest))
    if head == "module":
        env = prog.globals.get(rest)
        return None if env is None else dict(env)
    if head == "global":
        path, name = rest.rsplit(":", 1)
        return (_key(prog.globals.get(path, {}).get(name)),
                _key(prog.global_writes.get(path, {}).get(name)))
    if head == "class":
        cid, name = rest.rsplit(":", 1)
        if name == "__bases__":
            return _key(prog.class_bases.get(cid))
        return _key(prog.class_attrs.get(cid, {}).get(name))
    if head == "env":
        fid, name = rest.rsplit(":", 1)
        found = prog.summaries.get(fid)
        return None if found is None else _key(found.env.get(name))
    if head == "load":
        return rest in prog.modules
    if "::" in key and head not in ("param", "person-noun", "record-noun"):
        found = prog.summaries.get(key)
        return None if found is None else found.key()
    return object()


def interface(module: ir.Module | None) -> tuple[Any, ...] | None:
    """What other files' units read of a module's code itself, not through a store:
    its imports and exports, its classes and its functions' signatures (with the
    settings that functions without parameters return: http.configured_by). Where these
    stand in the file is left out (a function's position matters to its own run,
    which is part of the re-run), not where its exports' expressions stand."""
    if module is None:
        return None
    return (module.imports, module.exports,
            {cid: POSITION.sub("", repr(c)) for cid, c in module.classes.items()},
            {fid: POSITION.sub("", repr((replace(fn, body=()), returned(fn))))
             for fid, fn in module.functions.items()})


def same_interface(old: Any, new: Any) -> bool:
    """Classes and functions added are none of their business: others reached the
    old ones through stores, which the re-run compares."""
    if old is None or new is None:
        return old is new
    return old[:2] == new[:2] and all(
        new[i].get(name) == shape for i in (2, 3) for name, shape in old[i].items())


def _key(value: Any) -> object:
    return None if value is None else value.key()


def settled(prog: Program) -> bool:
    """After a narrow re-run: whether every store it emptied and rebuilt reads, to the
    readers it held back, as it did before."""
    assert prog.hold is not None
    hold, prog.hold = prog.hold, None
    read = {key_path(key) for key in hold if prog.deps.get(key, set()) - prog.fresh}
    for key, old in hold.items():
        if key.startswith("ir:"):
            if key[3:] in read and not same_interface(old, stored_value(prog, key)):
                return False  # callers read signatures, importers exports, say
            continue
        if not prog.deps.get(key, set()) - prog.fresh:
            continue
        if key.startswith("module:"):
            if not _same_env(prog, key[7:], old):
                return False
        elif stored_value(prog, key) != old:
            return False
    prog.fresh = set()
    return True


def _same_env(prog: Program, path: str, old: object) -> bool:
    """A module's globals as its importers see them: those it had, and of the new ones
    (a helper added), those its exports name; an importer reads no other."""
    new = prog.globals.get(path)
    if old is None or new is None:
        return old is None and new is None
    assert isinstance(old, dict)
    module = prog.modules.get(path)
    names = set(old)
    if module is not None and module.language != "python":
        names |= set(new) & names_read(tuple(
            ir.Eval(e.value) for e in module.exports if e.value is not None))
    else:
        names |= set(new)
    return all(_key(old.get(n)) == _key(new.get(n)) for n in names)


def rebind(prog: Program, dirty: set[str]) -> set[str]:
    """Parameter bindings are joins of what each caller passes: the dirty callers'
    parts are taken out (they bind again when they run) and the callee runs again with
    what the clean callers pass. No cascade: a callee's callers are not made dirty."""
    callees: set[str] = set()
    for key, parts in prog.param_parts.items():
        gone = parts.keys() & dirty
        if not gone:
            continue
        for unit in gone:
            del parts[unit]
        fid, index = key[6:].rsplit(":", 1)
        binds = prog.param_binds.get(fid, {})
        if parts:
            binds[int(index)] = join_all(list(parts.values()))
        else:
            binds.pop(int(index), None)
        prog.changes.pop(key, None)
        callees.add(fid)
    return callees


def reset(prog: Program, keys: Iterable[str], dirty: set[str], edited: set[str]) -> None:
    for key in keys:
        prog.changes.pop(key, None)
        head, _, rest = key.partition(":")
        if head == "module":
            prog.globals.pop(rest, None)
        elif head == "global":
            path, name = rest.rsplit(":", 1)
            prog.global_writes.get(path, {}).pop(name, None)
        elif head == "class":
            cid, name = rest.rsplit(":", 1)
            prog.class_attrs.get(cid, {}).pop(name, None)
        elif head not in ("load", "ir", "env"):
            prog.summaries.pop(key, None)
            prog.closure_sinks.pop(key, None)
        prog.unwrote(key)
    for unit in dirty:
        prog.visits.pop(unit, None)
        prog.contributed.pop(unit, None)
        prog.reported.pop(unit, None)
    for key in [k for k in prog.findings if k[0] in edited]:  # lines may have moved
        del prog.findings[key]
        prog.pending.pop(key, None)
    for store in (prog.class_bases, prog.used):
        for name in of_files(store, edited):
            del store[name]

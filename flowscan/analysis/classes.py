"""The project's classes as the analysis sees them (mixed into `Program`): attributes
looked up through bases, declared field types, bases evaluated when a module runs,
inherited methods run per subclass, and the classes code reaches through registries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING

from flowscan import ir
from flowscan.analysis.common import REQUEST_STATE
from flowscan.analysis.values import EMPTY, Val, join
from flowscan.analysis.walk import state_slots_written
from flowscan.pickling import may_mention


class ClassStore:
    if TYPE_CHECKING:
        classes: dict[str, tuple[ir.Class, ir.Module]]
        _reverse: tuple[int, dict[tuple[str, str], tuple[str, bool]]] | None
        functions: dict[str, tuple[ir.Function, ir.Module]]
        clones: dict[str, list[str]]
        indexed: set[str]
        class_attrs: dict[str, dict[str, Val]]
        class_bases: dict[str, Val]
        global_writes: dict[str, dict[str, Val]]
        deps: dict[str, set[str]]
        visits: dict[str, int]
        _state_writes: dict[str, set[str]]
        _state_unwritten: dict[str, set[str]]
        _state_reads: tuple[int, set[str]]

        def depend(self, key: str, unit: str) -> None: ...
        def wrote(self, key: str) -> None: ...
        def changed(self, key: str) -> None: ...
        def import_value(self, module: ir.Module, imp: ir.Import, unit: str,
                         seen: frozenset[str] = frozenset()) -> Val: ...
        def module_global(self, path: str, name: str, unit: str) -> Val | None: ...
        def own(self, fid: str, fn: ir.Function) -> None: ...
        def function_ids(self) -> Iterable[str]: ...

    def registered_classes(self) -> set[str]:
        """Classes a function put into a module-level container (`_REGISTRY[cls.name] =
        cls` in a `@register` decorator): code reaches them by lookup, not by name."""
        out: set[str] = set()
        for written in self.global_writes.values():
            for v in written.values():
                for item in (v.fields or {}).values():
                    out |= item.classes
        return out

    def class_attr(self, cid: str, name: str, unit: str, depth: int = 0) -> Val | None:
        self.depend(f"class:{cid}:{name}", unit)
        v = self.class_attrs.get(cid, {}).get(name)
        entry = self.classes.get(cid)
        if entry is not None:
            method = entry[0].methods.get(name)
            if method is not None:
                return join(v or EMPTY, Val(funcs=frozenset({(method, None)})))
        if v is not None:
            return v
        self.depend(f"class:{cid}:__bases__", unit)
        base = self.class_bases.get(cid)
        if base is not None and depth < 8:
            for b in sorted(base.classes):
                found = self.class_attr(b, name, unit, depth + 1)
                if found is not None:
                    return found
            if base.refs:
                return Val(refs=frozenset((vnd, f"{p}().{name}") for vnd, p in base.refs))
        return None

    def field_type(self, cid: str, name: str, unit: str) -> tuple[Val, str] | None:
        """What a declared field type names (`partner: Learner` on an interface,
        `owner: Mapped["User"]` on a model, `cio: TrackClient` from an SDK), resolved
        where it is declared, and the type's name."""
        entry = self.classes.get(cid)
        declared = entry[0].types.get(name) if entry is not None else None
        if entry is not None and declared is None:  # a Django reverse relation:
            found = self.reverse_relations().get((entry[0].name, name))  # the records
            if found is not None:  # of the model whose ForeignKey names this one (one
                related, single = found  # record, for a OneToOneField)
                return (Val(insts=frozenset({related})) if single
                        else Val(classes=frozenset({related}))), self.classes[related][0].name
        if entry is None or declared is None:
            return None
        module = entry[1]
        if "::" in declared:  # a composed type's own shape (jsx_types.py: declared_type)
            return Val(classes=frozenset({declared})), declared.rsplit("::", 1)[-1]
        imp = next((i for i in module.imports if i.local == declared), None)
        found = self.import_value(module, imp, unit) if imp is not None \
            else self.module_global(module.path, declared, unit)
        return (found, declared) if found is not None else None

    def reverse_relations(self) -> dict[tuple[str, str], tuple[str, bool]]:
        """(model name, accessor) -> the class whose relation field gives that model the
        accessor (`~results` in its types, python.py: reverse_accessor), and whether
        it is one record (`~=patient`, a OneToOneField); rebuilt when classes were
        added."""
        if self._reverse is None or self._reverse[0] != len(self.classes):
            found: dict[tuple[str, str], tuple[str, bool]] = {}
            for cid, (c, _) in sorted(self.classes.items()):
                for key, target in c.types.items():
                    if key.startswith("~"):
                        found.setdefault((target.rsplit(".", 1)[-1], key[1:].lstrip("=")),
                                         (cid, key.startswith("~=")))
            self._reverse = (len(self.classes), found)
        return self._reverse[1]

    def inherited(self, fid: str, cid: str) -> tuple[str, ir.Function]:
        """A base class's method as run on instances of subclass `cid`: its own unit, so
        `this.dispatch(body)` in a template method reaches that subclass's dispatch
        only, not every subclass's that some caller used."""
        clone = f"{fid}@{cid}"
        entry = self.functions.get(clone)
        if entry is None:
            fn, module = self.functions[fid]
            entry = self.functions[clone] = (replace(fn, fid=clone), module)
            self.clones.setdefault(module.path, []).append(clone)
            if module.path in self.indexed:  # (else indexed with its module: owned_by)
                self.own(clone, entry[0])
        return clone, entry[0]

    def set_bases(self, cid: str, bases: Val) -> None:
        """What a class extends, once its module's imports resolve (a base class in a
        file read later is first an unknown name)."""
        key = f"class:{cid}:__bases__"
        self.wrote(key)
        old = self.class_bases.get(cid)
        if old is None or old.key() != bases.key():
            self.class_bases[cid] = bases
            self.changed(key)

    # ---------------------------------------------------------- per-request state
    # (kept as the attributes of a pseudo-class, REQUEST_STATE: `g.member`,
    # `request.state.member`, `req.member` set by a middleware)

    def state_writers(self) -> list[str]:
        """Functions not run yet that set a slot of per-request state some unit reads
        (a middleware in a file with no vendor: `request.state.member = ...`)."""
        read = self.state_slots_read()
        if not read:
            return []
        found = []
        # a stored set of slots absent / written (a resumed run's still a text:
        # PackedSets) -> whether it holds all of / meets `read`: most functions were
        # asked with the same slots read, and most write none
        covers: dict[str, bool] = {}
        meets: dict[str, bool] = {}
        visits, writes, unwritten = self.visits, self._state_writes, self._state_unwritten
        # those a stored answer settles first, unsorted and undecoded: only the others
        # are sorted, to be read in a fixed order (a million lines have 22,000
        # functions, 7,000 of them not run)
        todo = []
        for fid in self.function_ids():
            if fid in visits:
                continue
            slots = dict.get(writes, fid)
            if slots is not None:
                if slots.__class__ is not str:
                    hit = not read.isdisjoint(slots)
                elif (hit := meets.get(slots)) is None:
                    hit = meets[slots] = not read.isdisjoint(slots.split("\0") if slots else ())
                if hit:
                    found.append(fid)
                continue
            absent = dict.get(unwritten, fid)
            if absent is not None:
                if absent.__class__ is not str:
                    held = read <= absent
                elif (held := covers.get(absent)) is None:
                    held = covers[absent] = read <= set(absent.split("\0") if absent else ())
                if held:
                    continue
            todo.append(fid)
        for fid in sorted(todo):
            fn, module = self.functions[fid]
            if not may_mention(fn, "body", read):  # (its body stays a pickle)
                self._state_unwritten[fid] = set(read)
                continue
            flask_g = any(imp.local == "g" and imp.module == "flask"
                          for imp in module.imports)
            writes[fid] = state_slots_written(fn.body, flask_g)
            if writes[fid] & read:
                found.append(fid)
        return sorted(found)

    def state_slots_read(self) -> set[str]:
        """The slots of per-request state some unit reads: the store keys read are only
        ever added, in order, so each growth round looks at those added since the last
        (formbricks has 32,000; the state keeps how far it looked)."""
        prefix = f"class:{REQUEST_STATE}:"
        seen, slots = self._state_reads
        if seen > len(self.deps):  # (keys taken out: look again from the start)
            seen, slots = 0, set()
        since = getattr(self.deps, "since", None)  # (a resumed run's: incremental.py)
        added = since(seen) if since is not None else islice(self.deps, seen, None)
        slots.update(key[len(prefix):] for key in added if key.startswith(prefix))
        self._state_reads = (len(self.deps), slots)
        return slots

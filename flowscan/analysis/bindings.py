"""A function's parameters and what flows back out through them: the values bound on
entry (callers' bindings, defaults, declared types, names that say what a parameter
holds), the fields a function adds to a caller's object or a closure to its enclosing
function's locals, and the instances a declared type or return type names. Apart from
frame.py so that the interpreter's statements and expressions read on their own; mixed
into `Frame`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowscan import ir
from flowscan.analysis.common import ARGUMENT, FOREIGN, OUTER, FrameParts
from flowscan.analysis.values import ParamLabel, Source, Val, join

MAX_ARGUMENT_FIELDS = 32  # keys a function may add to a caller's object (argument_writes)

FETCH = Val(refs=frozenset({("", "fetch")}))  # the global fetch, as an unbound name is


def enclosing(v: Val, hops: int) -> Val:
    """A captured variable as a closure sees it: the enclosing function's parameter
    labels are marked with how many functions out they belong (`FOREIGN * hops + i`),
    so that a sink inside `withScope(scope => scope.setExtras(context))` becomes a sink
    of the function whose parameter `context` is (engine.run_function)."""
    if not any(isinstance(lab, ParamLabel) for lab in v.labels) and not v.fields:
        return v
    labels = frozenset(ParamLabel(lab.index + FOREIGN * hops, lab.path)
                       if isinstance(lab, ParamLabel) and lab.index < FOREIGN else lab
                       for lab in v.labels)
    fields = {k: enclosing(f, hops) for k, f in v.fields.items()} if v.fields else v.fields
    return Val(labels, fields, v.refs, v.funcs, v.classes, v.insts, v.mods, v.text, v.clean,
               v.closed)


def added_to(before: Val, after: Val) -> Val | None:
    """What an object gained in place: the keys set on it (also a key set on an opaque
    object, as labels); None when nothing, or too much to be a record's fields."""
    if after is before:
        return None
    old = before.fields or {}
    added = {k: v for k, v in (after.fields or {}).items()
             if not v.is_empty() and (k not in old or old[k].key() != v.key())}
    labels = after.labels - before.labels
    if not (added or labels) or len(added) > MAX_ARGUMENT_FIELDS:
        return None
    return Val(labels, added or None)


class Bindings(FrameParts):
    """The parameter side of the interpreter (mixed into `Frame`)."""

    if TYPE_CHECKING:
        ret: Val
        bound: dict[str, tuple[int, Val]]
        mutated: set[str]
        adopted: dict[str, Val]
        named_params: dict[Source, int]

        def classify_name(self, name: str, pos: ir.Pos) -> Source | None: ...
        def named_by_function(self, name: str) -> Source | None: ...
        def validated_field(self, field: str, pos: ir.Pos) -> Source | None: ...

    def bind_params(self) -> None:
        fn = self.fn
        assert fn is not None
        binds = self.prog.param_binds.get(fn.fid, {})
        for i, p in enumerate(fn.params):
            v = Val(frozenset({ParamLabel(i)}))
            if i == 0 and fn.bound and fn.cls:  # self, this; cls of a @classmethod
                v = join(v, Val(classes=frozenset({fn.cls})) if fn.receives_class
                         else Val(insts=frozenset({fn.cls})))
            if i in binds:
                v = join(v, binds[i])
            if p.default is not None:  # def __init__(self, client=analytics): the default
                default = self.expr(p.default)  # holds when a caller leaves it out
                v = join(v, Val(refs=default.refs, funcs=default.funcs,
                                classes=default.classes, insts=default.insts,
                                mods=default.mods))
                if default.text is not None:  # `base_url=settings.onfido_base_url`: the
                    # URL a client is built with unless a caller says otherwise (callers'
                    # constants are not bound here: stores only grow, so a default taken
                    # before a caller ran could not be taken back)
                    v = v.with_text(default.text)
            if p.annotation:  # body: SignupRequest -> an instance of that model
                v = join(v, self.instance_of(self.declared(p.annotation, fn.pos),
                                             p.annotation))
            if p.kind == "pattern" and p.pattern is not None:
                self.assign(p.pattern, v, weak=False)
                fetch = self.env.get("fetch") if self.module.language != "python" else None
                if fetch is not None and not fetch.refs:  # SvelteKit's `({ fetch }) =>`:
                    self.env["fetch"] = join(fetch, FETCH)  # the event's fetch is fetch
                continue
            if p.kind in ("pos", "kwonly") and p.name not in ("self", "this", "cls") \
                    and not p.boolean:
                src = self.classify_name(p.name, fn.pos) or self.named_by_function(p.name)
                if src is not None:
                    self.named_params[src] = i
                if src is None and i == 1 and fn.cls and fn.name.startswith("validate_"):
                    src = self.validated_field(fn.name[9:], fn.pos)  # DRF: the field's value
                if src is not None:
                    v = join(v, Val(frozenset({src})))
            self.env[p.name] = v
            self.bound[p.name] = (i, v)

    def argument_writes(self) -> dict[tuple[str, str], Val]:
        """The fields a function added to a parameter's object, that object still being
        the caller's (`def fill(d, u): d["email"] = u.email`, `p.append("To", phone)`),
        not a new one bound to the name: they are the caller's after the call."""
        out: dict[tuple[str, str], Val] = {}
        for name, (i, before) in self.bound.items():
            after = self.env.get(name) if name in self.mutated else None
            if after is not None and ParamLabel(i) in after.labels:
                delta = added_to(before, after)
                if delta is not None:
                    out[(ARGUMENT, str(i))] = delta
        return out

    def adopt_captured(self, name: str, builder: bool = False) -> bool:
        """A closure changes a local of the function around it in place
        (`entries.forEach(([k, v]) => params.append(k, v))`): it works on that object
        here, and what it adds is the enclosing function's after the call (OUTER)."""
        fn = self.fn
        if fn is None or fn.parent is None or fn.parent not in self.prog.functions \
                or name in self.bound:
            return False
        found = self.prog.captured(fn.parent, name, self.unit)
        if found is None or found.funcs or found.classes or found.mods or (
                found.refs and not builder):
            return False  # (a client or a module is no container it fills; an SDK
            # builder, `new Identify()`, is, when its setters are called)
        self.env[name] = self.adopted[name] = enclosing(found, 1)
        return True

    def outer_writes(self) -> dict[tuple[str, str], Val]:
        """What a closure added to the enclosing function's locals (adopt_captured)."""
        out: dict[tuple[str, str], Val] = {}
        for name, before in self.adopted.items():
            after = self.env.get(name)
            delta = added_to(before, after) if after is not None else None
            if delta is not None:
                out[(OUTER, name)] = delta
        return out

    def write_argument(self, given: ir.Expr | None, delta: Val) -> None:
        """A callee's argument write (argument_writes) into the caller's variable."""
        if not isinstance(given, ir.Name) or given.id not in self.env or delta.is_empty():
            return
        old = self.env[given.id]
        fields = old.fields
        if delta.fields:
            fields = dict(old.fields or {})
            for k, v in delta.fields.items():
                fields[k] = join(fields[k], v) if k in fields else v
        self.env[given.id] = Val(old.labels | delta.labels, fields, old.refs, old.funcs,
                                 old.classes, old.insts, old.mods, old.text, old.clean,
                                 old.closed)

    def declared_return(self) -> None:
        """`def parse(...) -> CpapSummary`, `): Promise<Trainer>`: what the function
        returns is an instance of the declared class, whatever literal it is built as
        (its fields then classify in that class's context)."""
        fn = self.fn
        if fn is None or fn.returns is None or self.ret.insts \
                or any(vendor for vendor, _ in self.ret.refs):
            return
        declared = self.declared(fn.returns, fn.pos)
        if declared.classes:
            self.ret = join(self.ret, Val(insts=declared.classes))
        elif any(vendor for vendor, _ in declared.refs):  # `): PostHog` of what a plugin
            self.ret = join(self.ret, self.instance_of(declared, fn.returns))  # injected

    def declared(self, annotation: str, pos: ir.Pos) -> Val:
        """What a type annotation names, resolved where it is written (`Sentry.Scope`,
        a model imported from another file)."""
        if "::" in annotation:  # an inline shape's class (jsx_types.py: declared_type)
            return Val(classes=frozenset({annotation}))
        first, *rest = annotation.split(".")
        declared = self.lookup(first, pos)
        for part in rest:
            declared = self.attr(declared, part, None, None)
        return declared

    def instance_of(self, declared: Val, annotation: str) -> Val:
        """What a value of a declared type is: an instance of the project classes it
        names; for an SDK type, that SDK object (scope: Sentry.Scope; client: Analytics
        is an instance of the SDK's class, whose sinks are on `Analytics().track`)."""
        typename = annotation.rsplit(".", 1)[-1]  # `stripe: Stripe` (default import)
        vendor_types = frozenset(r for r in declared.refs if r[0]) | frozenset(
            (r[0], r[1] + "()") for r in declared.refs
            if r[0] and not r[1].endswith("()") and (
                r[1].rsplit(".", 1)[-1][:1].isupper() or typename[:1].isupper()))
        vendor_types |= frozenset(  # `client: LDClient`: the catalog's returns say
            (r[0], bound) for r in vendor_types  # which object that type names
            if (bound := self.lang.returned(r[1])))
        return Val(refs=vendor_types, insts=declared.classes)

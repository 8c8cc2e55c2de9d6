"""The interpreter of one unit (a module body or a function) over abstract values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.values import (
    CLEAN,
    EMPTY,
    ParamLabel,
    Source,
    Val,
    flatten,
    join,
    join_all,
    taint_only,
)
from flowscan.analysis.walk import object_key
from flowscan.catalog import Sink
from flowscan.model import Span, Step

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program

GLOBAL_OBJECTS = {"window", "globalThis", "global"}
NO_PROPAGATION = {  # calls whose result says something about a value, never the value
    "len", "bool", "isinstance", "issubclass", "hasattr", "callable", "id", "type", "count",
    "index", "startswith", "endswith", "isdigit", "isalpha", "exists", "includes", "indexOf",
    "test", "has", "Boolean", "isArray", "print", "sleep", "setTimeout", "setInterval",
    "range", "any", "all", "sum", "isNaN", "match", "search", "fullmatch", "keys",
}
MUTATORS = {"update", "setdefault", "append", "extend", "push", "add", "insert", "unshift"}
COPIERS = {"copy", "dict", "deepcopy", "toJSON", "to_dict", "model_dump", "dict_", "items",
           "values", "entries", "clone", "structuredClone"}
SINK_KEY = tuple[str, int, int, str]
MAX_LIBRARY_REFS = 4  # paths into non-vendor libraries kept per value


@dataclass
class FindingAcc:
    """Everything known about one (sink call, vendor) while the analysis runs."""

    span: Span
    vendor: str
    sink: str
    callee: str
    scope: str
    kind: str
    confidence: str
    message: str = ""
    hits: set[tuple[Source, str]] = field(default_factory=set)
    categories: tuple[str, ...] = ()  # config leaks: what the SDK collects by itself


@dataclass
class Summary:
    ret: Val = EMPTY
    sinks: frozenset[tuple[ParamLabel, SINK_KEY, str]] = frozenset()
    env: dict[str, Val] = field(default_factory=dict)

    def key(self) -> tuple[Any, ...]:
        return (self.ret.key(), self.sinks,
                tuple(sorted((k, v.key()) for k, v in self.env.items())))


def expr_text(e: ir.Expr, depth: int = 0) -> str:
    if depth > 6:
        return "…"
    if isinstance(e, ir.Name):
        return e.id
    if isinstance(e, ir.Attr):
        return f"{expr_text(e.obj, depth + 1)}.{e.name}"
    if isinstance(e, ir.Index):
        key = f'"{e.key.value}"' if isinstance(e.key, ir.Str) else expr_text(e.key, depth + 1)
        return f"{expr_text(e.obj, depth + 1)}[{key}]"
    if isinstance(e, ir.Call):
        return f"{expr_text(e.func, depth + 1)}()"
    if isinstance(e, ir.Str):
        return repr(e.value[:20])
    return "…"


def last_name(e: ir.Expr) -> str:
    if isinstance(e, ir.Name):
        return e.id
    if isinstance(e, ir.Attr):
        return e.name
    if isinstance(e, ir.Index) and isinstance(e.key, ir.Str):
        return e.key.value
    if isinstance(e, ir.Call):
        return last_name(e.func)
    return ""


CONFIG_ROOTS = ("process.env", "os.environ", "settings", "config", "app.config",
                "current_app.config", "import.meta.env", "environ", "conf", "CONFIG", "Config",
                "django.conf.settings", "self.settings", "self.config", "self.conf", "this.config",
                "this.configService", "this.settings")


def is_configuration(obj: ir.Expr | None) -> bool:
    """The app's own settings and environment: its API keys are not a person's."""
    if obj is None:
        return False
    text = expr_text(obj)
    return any(text == root or text.startswith(root + ".") for root in CONFIG_ROOTS)


def literal(e: ir.Expr | None) -> object:
    if isinstance(e, ir.Str):
        return e.value
    if isinstance(e, ir.Lit):
        return e.value
    return _UNKNOWN


_UNKNOWN = object()


def option_matches(e: ir.Call, leak: dict[str, Any]) -> bool:
    """Whether a call sets the option a config-leak rule names to the value it names
    (any value when the rule gives none; any call when it names no option)."""
    kw, key = leak.get("kw"), leak.get("key")
    if kw is None and key is None:
        return True
    value: ir.Expr | None = None
    if kw is not None:
        value = next((v for k, v in e.kwargs if k == kw), None)
    else:
        arg = leak.get("arg")
        obj = e.args[arg] if arg is not None and arg < len(e.args) else None
        for part in (key or "").split("."):
            if not isinstance(obj, ir.Obj):
                obj = None
                break
            obj = next((v for k, v in obj.entries if k == part), None)
        value = obj
    if value is None:
        return False
    return "equals" not in leak or literal(value) == leak["equals"]


def join_envs(envs: list[dict[str, Val]]) -> dict[str, Val]:
    """What holds after control merges: a name bound on one way only may be unbound
    (EMPTY) on another, so it is joined with nothing there."""
    if len(envs) == 1:
        return envs[0]
    out: dict[str, Val] = {}
    for name in {k for e in envs for k in e}:
        vals = [e.get(name, EMPTY) for e in envs]
        first = vals[0]
        out[name] = first if all(v is first for v in vals) else join_all(vals)
    return out


class Frame:
    def __init__(self, prog: Program, module: ir.Module, fn: ir.Function | None,
                 unit: str) -> None:
        self.prog = prog
        self.module = module
        self.fn = fn
        self.unit = unit
        self.env: dict[str, Val] = {}
        self.recv_memo: dict[int, tuple[ir.Expr, Val]] = {}
        self.ret: Val = EMPTY
        self.param_sinks: set[tuple[ParamLabel, SINK_KEY, str]] = set()
        self.lang = prog.catalog.lang(module.language)
        self.imports = {imp.local: imp for imp in module.imports if imp.local}
        cls = prog.classes.get(fn.cls) if fn is not None and fn.cls else None
        self.class_name = cls[0].name if cls is not None else ""
        self.scope = (fn.fid.split("::", 1)[1] if fn is not None else "<module>")
        self.persons = prog.person_objects(unit, fn.body if fn is not None else module.body)

    # ------------------------------------------------------------ statements

    def bind_params(self) -> None:
        fn = self.fn
        assert fn is not None
        binds = self.prog.param_binds.get(fn.fid, {})
        for i, p in enumerate(fn.params):
            v = Val(frozenset({ParamLabel(i)}))
            if i == 0 and fn.bound and fn.cls:
                v = join(v, Val(insts=frozenset({fn.cls})))
            if i in binds:
                v = join(v, binds[i])
            if p.annotation:  # body: SignupRequest -> an instance of that model
                first, *rest = p.annotation.split(".")
                declared = self.lookup(first, fn.pos)
                for part in rest:
                    declared = self.attr(declared, part, None, None)
                if declared.classes:
                    v = join(v, Val(insts=declared.classes))
                vendor_types = frozenset(r for r in declared.refs if r[0])
                if vendor_types:  # scope: Sentry.Scope -> that SDK object
                    v = join(v, Val(refs=vendor_types))
            if p.kind == "pattern" and p.pattern is not None:
                self.assign(p.pattern, v, weak=False)
                continue
            if p.kind in ("pos", "kwonly") and p.name not in ("self", "this", "cls"):
                src = self.classify_name(p.name, fn.pos)
                if src is not None:
                    v = join(v, Val(frozenset({src})))
            self.env[p.name] = v

    def block(self, stmts: tuple[ir.Stmt, ...]) -> None:
        for s in stmts:
            if isinstance(s, ir.Assign):
                self.assign(s.target, self.expr(s.value), s.weak, s.value)
            elif isinstance(s, ir.Eval):
                self.expr(s.value)
            elif isinstance(s, ir.Return):
                self.ret = join(self.ret, self.expr(s.value))
            elif isinstance(s, ir.Branch):
                self.branch(s)
            else:
                self.try_(s)

    def run_from(self, env: dict[str, Val], stmts: tuple[ir.Stmt, ...]) -> dict[str, Val]:
        self.env = dict(env)
        self.block(stmts)
        return self.env

    def branch(self, s: ir.Branch) -> None:
        start = self.env
        ends = [self.run_from(start, b) for b in s.blocks]
        if s.may_skip or not ends:
            ends.append(start)
        self.env = join_envs(ends)

    def try_(self, s: ir.Try) -> None:
        start = self.env
        done = self.run_from(start, s.body)
        if s.orelse:
            done = self.run_from(done, s.orelse)
        interrupted = join_envs([start, done])
        ends = [done, *(self.run_from(interrupted, h) for h in s.handlers)]
        self.env = join_envs(ends)
        if s.final:
            self.block(s.final)

    def assign(self, target: ir.Target, value: Val, weak: bool,
               src: ir.Expr | None = None) -> None:
        if isinstance(target, ir.Name):
            old = self.env.get(target.id)
            self.env[target.id] = join(old, value) if weak and old is not None else value
        elif isinstance(target, ir.Attr | ir.Index):
            key = target.name if isinstance(target, ir.Attr) else (
                target.key.value if isinstance(target.key, ir.Str) else None)
            obj = target.obj
            if isinstance(obj, ir.Name) and obj.id in ("self", "this") and self.fn is not None \
                    and self.fn.cls and key is not None:
                self.prog.set_class_attr(self.fn.cls, key, value)
            elif isinstance(obj, ir.Name) and obj.id not in self.imports:
                base = self.env.get(obj.id, EMPTY)
                self.env[obj.id] = self.with_field(base, key, value, weak)
            elif isinstance(obj, ir.Attr | ir.Index) and self.root_local(obj) is not None:
                # event["properties"]["$email"] = ...: rebuild the path from the variable
                inner = self.expr(obj)
                self.assign(obj, self.with_field(inner, key, value, weak), weak)
            elif isinstance(obj, ir.Name | ir.Attr | ir.ClassRef):
                holder = self.expr(obj)
                for cid in sorted(holder.insts | holder.classes):
                    if key is not None:
                        self.prog.set_class_attr(cid, key, value)
        elif isinstance(target, ir.DObj):
            for key, t in target.entries:
                pos = t.pos if isinstance(t, ir.Name) and t.pos[0] else None
                self.assign(t, self.attr(value, key, src, pos), weak)
            if target.rest is not None:
                rest_fields = {k: v for k, v in (value.fields or {}).items()
                               if k not in {k for k, _ in target.entries}}
                self.assign(target.rest, Val(value.labels, rest_fields or None), weak)
        elif isinstance(target, ir.DSeq):
            for i, t in enumerate(target.items):
                self.assign(t, self.item(value, str(i)), weak)

    def root_local(self, e: ir.Expr) -> str | None:
        """The local variable an access path starts from, if it is a plain local."""
        depth = 0
        while isinstance(e, ir.Attr | ir.Index) and depth < 6:
            e = e.obj
            depth += 1
        if isinstance(e, ir.Name) and e.id in self.env and e.id not in ("self", "this"):
            return e.id
        return None

    def with_field(self, base: Val, key: str | None, value: Val, weak: bool) -> Val:
        if key is None:
            return join(base, taint_only(value))
        fields = dict(base.fields or {})
        old = fields.get(key)
        fields[key] = join(old, value) if weak and old is not None else value
        return Val(base.labels, fields, base.refs, base.funcs, base.classes, base.insts,
                   base.mods)

    # ------------------------------------------------------------ names

    def classify_name(self, name: str, pos: ir.Pos) -> Source | None:
        if name.isupper() and len(name) > 1:  # ADMIN_ID, MIXPANEL_TOKEN: constants
            return None
        c = self.prog.tax.classify(name, None)
        if c is None:
            return None
        return Source(c.category, name, self.span(pos), c.pattern, c.context or "")

    def span(self, pos: ir.Pos) -> Span:
        return Span(self.module.path, pos[0], pos[1], pos[2], pos[3])

    def lookup(self, name: str, pos: ir.Pos) -> Val:
        v = self.env.get(name)
        if v is not None:
            return v
        fn = self.fn
        while fn is not None and fn.parent is not None:  # closures
            parent = self.prog.summary(fn.parent, self.unit)
            if parent is not None and name in parent.env:
                return parent.env[name]
            fn = self.prog.functions[fn.parent][0] if fn.parent in self.prog.functions else None
        if self.fn is not None or name in self.imports:
            g = self.prog.module_global(self.module.path, name, self.unit)
            if g is not None:
                return g
        imp = self.imports.get(name)
        if imp is not None:
            return self.prog.import_value(self.module, imp, self.unit)
        hit = self.lang.globals.get(name)
        if hit is not None:
            return Val(refs=frozenset({hit}))
        return Val(refs=frozenset({("", name)}))

    # ------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr) -> Val:
        if isinstance(e, ir.Name):
            v = self.lookup(e.id, e.pos)
            if v.opaque() or (v.refs and all(r[0] == "" for r in v.refs) and not v.labels):
                src = self.classify_name(e.id, e.pos)
                if src is not None:
                    return join(v, Val(frozenset({src})))
            return v
        if isinstance(e, ir.Attr):
            if isinstance(e.obj, ir.Name) and e.obj.id in GLOBAL_OBJECTS \
                    and e.obj.id not in self.env:
                hit = self.lang.globals.get(e.name)
                if hit is not None:
                    return Val(refs=frozenset({hit}))
            return self.attr(self.receiver_value(e.obj), e.name, e.obj, e.pos)
        if isinstance(e, ir.Index):
            obj = self.expr(e.obj)
            if isinstance(e.key, ir.Str):
                return self.attr(obj, e.key.value, e.obj, e.pos, key=True)
            self.expr(e.key)
            return join(Val(flatten(obj)), self.item(obj, None))
        if isinstance(e, ir.Call):
            return self.call(e)
        if isinstance(e, ir.Str):
            return Val(text=e.value, clean=True)
        if isinstance(e, ir.Lit):
            return CLEAN
        if isinstance(e, ir.Obj):
            return self.obj(e)
        if isinstance(e, ir.Seq):
            vals = [self.expr(i) for i in e.items]
            return Val(fields={str(i): v for i, v in enumerate(vals)}, closed=True) \
                if vals else CLEAN
        if isinstance(e, ir.Join):
            vals = [self.expr(p) for p in e.parts]
            labels = frozenset().union(*(flatten(v) for v in vals)) if vals else frozenset()
            text = "".join(v.text or "" for v in vals) if all(
                v.text is not None for v in vals[:1]) else None
            return Val(labels, text=text, clean=not labels)
        if isinstance(e, ir.Op):
            vals = [self.expr(p) for p in e.parts]
            return join_all(vals) if vals else EMPTY
        if isinstance(e, ir.Spread):
            return self.expr(e.value)
        if isinstance(e, ir.Test):
            for part in e.parts:
                self.expr(part)
            return CLEAN
        if isinstance(e, ir.FuncRef):
            return Val(funcs=frozenset({(e.fid, None)}))
        if isinstance(e, ir.ClassRef):
            entry = self.prog.classes.get(e.cid)
            if entry is not None and e.cid not in self.prog.class_bases and entry[0].bases:
                self.prog.class_bases[e.cid] = join_all([self.expr(b) for b in entry[0].bases])
            return Val(classes=frozenset({e.cid}))
        return EMPTY

    def context_of(self, obj: ir.Expr | None) -> str:
        if obj is None:
            return ""
        name = last_name(obj)
        if name in ("self", "this", "cls"):
            return self.class_name
        return name

    def attr(self, v: Val, name: str, obj: ir.Expr | None, pos: ir.Pos | None,
             key: bool = False) -> Val:
        if v.fields is not None and name in v.fields:
            hit = v.fields[name]
            if any(vendor for vendor, _ in v.refs):  # `ok ? new PostHog() : {capture() {}}`
                hit = join(hit, Val(refs=frozenset((vendor, f"{path}.{name}")
                                                   for vendor, path in v.refs if vendor)))
            return hit
        out = EMPTY
        # A part of a personal value is personal (birthday.year); a field of an object
        # built from personal data is not (fields is {} for those). A field of a
        # caller's value is whatever the caller's side holds there.
        if v.fields is None and v.labels:
            out = Val(frozenset(lab.child(name) if isinstance(lab, ParamLabel) else lab
                                for lab in v.labels))
        if v.refs:
            refs = frozenset((vendor, f"{path}.{name}") for vendor, path in v.refs)
            out = join(out, Val(refs=refs))
        for cid in sorted(v.insts):
            found = self.prog.class_attr(cid, name, self.unit)
            if found is not None:
                if found.funcs:
                    found = Val(found.labels, found.fields, found.refs,
                                frozenset((f, v) for f, _ in found.funcs), found.classes,
                                found.insts, found.mods)
                out = join(out, found)
        for cid in sorted(v.classes):
            found = self.prog.class_attr(cid, name, self.unit)
            if found is not None:
                out = join(out, found)
        for mod in sorted(v.mods):
            out = join(out, self.prog.module_export(mod, name, self.unit))
        vendor_object = any(vendor for vendor, _ in v.refs)
        constant = not key and name.isupper() and len(name) > 1  # Method.EMAIL, not META[...]
        classifiable = (pos is not None and not vendor_object and not constant
                        and not v.mods and not v.classes and (not v.closed or v.labels)
                        and not is_configuration(obj))
        if classifiable:
            ctx = self.context_of(obj)
            c = self.prog.tax.classify(name, ctx or None)
            for cid in sorted(v.insts) if c is None else ():  # an instance of class Customer
                entry = self.prog.classes.get(cid)
                if entry is not None:
                    c = self.prog.tax.classify(name, entry[0].name)
                    if c is not None:
                        break
            if c is None and obj is not None and object_key(obj) in self.persons \
                    and not self.prog.tax.is_non_person(ctx):
                c = self.prog.tax.classify(name, "person")
            if c is not None:
                text = f"{expr_text(obj)}.{name}" if obj is not None else name
                src = Source(c.category, text, self.span(pos), c.pattern, c.context or "")
                out = join(out, Val(frozenset({src})))
        return out

    def item(self, v: Val, index: str | None) -> Val:
        if v.fields is not None:
            if index is not None and index in v.fields:
                return v.fields[index]
            if not v.fields:  # an opaque holder: its items are opaque holders too
                return Val(v.labels, {}) if v.labels else EMPTY
            return join(Val(v.labels), join_all(list(v.fields.values())))
        if v.labels:
            return Val(v.labels)
        return EMPTY

    def obj(self, e: ir.Obj) -> Val:
        fields: dict[str, Val] = {}
        labels: set[Any] = set()
        for key, value in e.entries:
            v = self.expr(value)
            if key is None:
                if v.fields:
                    fields.update(v.fields)
                elif v.insts:  # {...dto}: the model's personal fields
                    fields.update(self.model_fields(v, getattr(value, "pos", None)))
                labels |= v.labels
            elif isinstance(key, str):
                # The key names what an unknown value holds: {"postal_code": zip}
                if not v.clean and not any(isinstance(lab, Source) for lab in flatten(v)) \
                        and not any(vendor for vendor, _ in v.refs) and not v.funcs \
                        and not isinstance(value, ir.Lit | ir.Str):
                    c = self.prog.tax.classify(key, None)
                    # {"api_key": ...}, {"token": ...} sent to a vendor is its own key
                    if c is not None and c.category != "credentials" \
                            and isinstance(value, ir.Name | ir.Attr | ir.Index | ir.Call):
                        pos = getattr(value, "pos", (0, 0, 0, 0))
                        v = Val(frozenset({Source(c.category, key, self.span(pos), c.pattern)}))
                fields[key] = v
            else:
                self.expr(key)
                labels |= flatten(v)
        return Val(frozenset(labels), fields, closed=True)

    # ------------------------------------------------------------ calls

    def call(self, e: ir.Call) -> Val:
        try:
            return self._call(e)
        finally:
            if isinstance(e.func, ir.Attr):
                self.recv_memo.pop(id(e.func.obj), None)

    def _call(self, e: ir.Call) -> Val:
        if isinstance(e.func, ir.Attr):
            self.recv_memo[id(e.func.obj)] = (e.func.obj, self.expr(e.func.obj))
        func = self.expr(e.func)
        args = [self.expr(a) for a in e.args]
        kwargs = [(k, self.expr(v)) for k, v in e.kwargs]
        if not any(vendor for vendor, _ in func.refs) and self.prog.tax.is_sanitiser(
                last_name(e.func)):
            return CLEAN  # mask_iban(...) is a sanitiser whatever its body does
        result = EMPTY
        resolved = False
        library: list[str] = []
        for vendor, path in sorted(func.refs):
            if vendor:
                resolved = True
                result = join(result, self.vendor_call(e, vendor, path, args, kwargs))
            else:
                library.append(path)
        if library:
            result = join(result, self.library_call(e, library, args, kwargs))
            resolved = resolved or any(self.prog.tax.is_sanitiser(p) for p in library)
        for fid, recv in sorted(func.funcs, key=lambda f: f[0]):
            resolved = True
            result = join(result, self.apply(e, fid, recv, args, kwargs))
        for cid in sorted(func.classes):
            resolved = True
            inst = Val(insts=frozenset({cid}))
            ctor = self.prog.class_attr(cid, "__init__", self.unit) or self.prog.class_attr(
                cid, "constructor", self.unit)
            if ctor is not None:
                for fid, _ in sorted(ctor.funcs, key=lambda f: f[0]):
                    self.apply(e, fid, inst, args, kwargs)
            base = self.prog.class_bases.get(cid)
            if base is not None and base.refs:
                inst = join(inst, Val(refs=frozenset((v, f"{p}()") for v, p in base.refs)))
            result = join(result, inst)
        if not resolved:
            result = join(result, self.unknown_call(e, func, args, kwargs))
        return result

    def receiver_value(self, obj: ir.Expr) -> Val:
        """A method call's receiver, evaluated once per call: a chain a.b().c().d()
        would otherwise be evaluated twice per link, exponentially."""
        memo = self.recv_memo.get(id(obj))
        if memo is not None and memo[0] is obj:
            return memo[1]
        return self.expr(obj)

    def unknown_call(self, e: ir.Call, func: Val, args: list[Val],
                     kwargs: list[tuple[str, Val]]) -> Val:
        name = last_name(e.func)
        getter = self.getter_source(e, name) if not args and not kwargs else None
        if getter is not None:
            return Val(frozenset({getter}))
        if self.prog.tax.is_sanitiser(name):
            return CLEAN
        if name in NO_PROPAGATION:
            return CLEAN
        recv_expr = e.func.obj if isinstance(e.func, ir.Attr) else None
        recv = self.receiver_value(recv_expr) if recv_expr is not None else None
        if recv is not None and name in ("get", "getattr") and args:
            key = e.args[0]
            if isinstance(key, ir.Str):
                return self.attr(recv, key.value, recv_expr, e.pos, key=True)
        if recv is not None and name in MUTATORS and isinstance(recv_expr, ir.Name) \
                and recv_expr.id in self.env:
            merged = self.env[recv_expr.id]
            for a in [*args, *(v for _, v in kwargs)]:
                if a.fields:
                    merged = Val(merged.labels, {**(merged.fields or {}), **a.fields},
                                 merged.refs, merged.funcs)
                else:
                    merged = join(merged, taint_only(a))
            self.env[recv_expr.id] = merged
            return CLEAN
        if name == "assign" and isinstance(e.func, ir.Attr) and last_name(e.func.obj) == "Object" \
                and args:
            merged = args[0]
            for a in args[1:]:
                merged = Val(merged.labels | a.labels, {**(merged.fields or {}),
                                                         **(a.fields or {})})
            target = e.args[0]
            if isinstance(target, ir.Name) and target.id in self.env:
                self.env[target.id] = merged
            return merged
        if recv is not None and name in COPIERS:
            if recv.insts and not recv.fields:  # body.model_dump(exclude={"password"})
                drop = {i.value for k, v in e.kwargs if k == "exclude"
                        for i in (v.items if isinstance(v, ir.Seq) else ())
                        if isinstance(i, ir.Str)}
                fields = {k: v for k, v in self.model_fields(recv, e.pos).items()
                          if k not in drop}
                return Val(recv.labels, fields)
            return recv
        parts = [*args, *(v for _, v in kwargs)]
        if recv is not None:
            parts.append(recv)
        labels: set[Any] = set()
        funcs: set[Any] = set()
        for p in parts:
            labels |= flatten(p)
        for p in args:  # useCallback(fn), debounce(fn), memoize(fn) return a caller of fn
            funcs |= p.funcs
        if funcs:
            return Val(frozenset(labels), {} if labels else None, funcs=frozenset(funcs))
        # An opaque result that holds the data: passed on whole it is personal, but its
        # attributes are not (User(email=e).plan is not an email)
        return Val(frozenset(labels), {}) if labels else EMPTY

    def model_fields(self, v: Val, pos: ir.Pos | None) -> dict[str, Val]:
        """The personal fields a model class declares (Pydantic, dataclass, Django,
        TypeORM entity, DTO), for an instance passed on whole or spread."""
        out: dict[str, Val] = {}
        span = self.span(pos) if pos is not None else self.span((1, 1, 1, 1))
        for cid in sorted(v.insts):
            entry = self.prog.classes.get(cid)
            if entry is None:
                continue
            cls = entry[0]
            for name in cls.fields:
                c = self.prog.tax.classify(name, cls.name)
                if c is not None and name not in out:
                    src = Source(c.category, f"{cls.name}.{name}", span, c.pattern,
                                 c.context or "")
                    out[name] = Val(frozenset({src}))
        return out

    def getter_source(self, e: ir.Call, name: str) -> Source | None:
        """`user.get_full_name()`, `recipient.name()`, `user.getEmail()`: a getter
        returns the field it is named after."""
        if not isinstance(e.func, ir.Attr):
            return None
        field_name = name
        for prefix in ("get_", "get"):
            if name.startswith(prefix) and len(name) > len(prefix) and (
                    prefix == "get_" or name[len(prefix)].isupper()):
                field_name = name[len(prefix):]
                break
        ctx = self.context_of(e.func.obj)
        c = self.prog.tax.classify(field_name, ctx or None)
        if c is None or (field_name == name and not c.contextual):
            return None  # a bare verb-less name must be a person's field (user.name())
        text = f"{expr_text(e.func.obj)}.{name}()"
        return Source(c.category, text, self.span(e.pos), c.pattern, c.context or "")

    def library_call(self, e: ir.Call, paths: list[str], args: list[Val],
                     kwargs: list[tuple[str, Val]]) -> Val:
        """A call into a library that is not a vendor SDK (or into something unknown):
        the possible paths are tried as sanitisers and HTTP clients, then the call
        passes its data on once, whatever the number of paths."""
        if any(self.prog.tax.is_sanitiser(p) for p in paths):
            return CLEAN
        for path in paths:
            http = self.prog.http_call(self, e, path, args, kwargs)
            if http is not None:
                return http
        # keep the library path: httpx.AsyncClient().post is still recognisable
        refs = frozenset(("", f"{p}()") for p in paths[:MAX_LIBRARY_REFS])
        return join(self.unknown_call(e, Val(), args, kwargs), Val(refs=refs))

    def vendor_call(self, e: ir.Call, vendor: str, path: str, args: list[Val],
                    kwargs: list[tuple[str, Val]]) -> Val:
        sink = self.lang.sink(path)
        if sink is not None:
            self.sink(e, sink, path, args, kwargs)
        elif self.prog.catalog.tier(vendor) == "inventory":
            generic = Sink(vendor, path, (), "unknown")
            self.sink(e, generic, path, args, kwargs)
        for leak in self.lang.config_leaks(path) if self.lang.config else ():
            if option_matches(e, leak):
                self.report_config(e, vendor, path, leak)
        for cb in self.lang.callbacks.get(path, ()):
            if cb.arg < len(args):
                for fid, _ in args[cb.arg].funcs:
                    self.prog.bind_param(fid, cb.param, Val(refs=frozenset({(vendor, cb.binds)})))
        result = Val(refs=frozenset({(vendor, f"{path}()")}))
        if sink is None:
            # SDK builders and data objects (BaseEvent(...), Identify().set(k, v)) hold
            # what they were given until a sink sends them
            data = frozenset().union(*(flatten(v) for v in [*args, *(v for _, v in kwargs)]))
            recv = e.func.obj if isinstance(e.func, ir.Attr) else None
            if isinstance(recv, ir.Name) and recv.id in self.env and data:
                self.env[recv.id] = join(self.env[recv.id], Val(data))
            if recv is not None:
                data |= self.receiver_value(recv).labels
            if data:
                result = Val(data, refs=result.refs)
        binds = self.lang.returned(f"{path}()")
        if binds is not None:
            result = join(result, Val(refs=frozenset({(vendor, binds)})))
        return result

    def sink(self, e: ir.Call, sink: Sink, path: str, args: list[Val],
             kwargs: list[tuple[str, Val]]) -> None:
        reached: list[tuple[Val, str]] = []
        if sink.kind == "unknown":
            reached = [(v, "unknown") for v in [*args, *(v for _, v in kwargs)]]
        else:
            kw = dict(kwargs)
            spread = kw.get("**")
            for role in sink.args:
                if role.pos is not None and role.pos < len(args):
                    chosen = args[role.pos:] if role.rest else [args[role.pos]]
                    reached.extend((v, role.role) for v in chosen)
                elif role.kw is not None and role.kw in kw:
                    reached.append((kw[role.kw], role.role))
                elif role.kw is not None and spread is not None:
                    reached.append((self.attr(spread, role.kw, None, None), role.role))
        self.report(e, sink.vendor, path, "data" if sink.kind == "data" else "data",
                    "high" if sink.kind == "data" else "low", reached)

    def report(self, e: ir.Call, vendor: str, path: str, kind: str, confidence: str,
               reached: list[tuple[Val, str]], message: str = "") -> None:
        key = (self.module.path, e.pos[0], e.pos[1], vendor)
        acc = FindingAcc(self.span(e.pos), vendor, path, expr_text(e.func), self.scope, kind,
                         confidence, message)
        for v, role in reached:
            if v.insts and not v.fields:  # a model instance sent whole
                v = join(v, Val(fields=self.model_fields(v, e.pos)))
            for lab in flatten(v):
                if isinstance(lab, Source):
                    self.prog.record(key, acc, lab, role)
                elif self.fn is not None:
                    self.param_sinks.add((lab, key, role))
                    self.prog.pending.setdefault(key, acc)

    def report_config(self, e: ir.Call, vendor: str, path: str, leak: dict[str, Any]) -> None:
        """An SDK configured to collect personal data by itself: a finding at the
        init call, whatever data the code passes elsewhere."""
        key = (self.module.path, e.pos[0], e.pos[1], vendor)
        acc = self.prog.findings.get(key)
        if acc is None:
            acc = FindingAcc(self.span(e.pos), vendor, path, expr_text(e.func), self.scope,
                             "config", "high", leak["message"])
            self.prog.findings[key] = acc
        acc.kind = "config"
        acc.message = leak["message"]
        acc.categories = tuple(sorted(set(acc.categories) | set(leak.get("categories", ()))))

    def apply(self, e: ir.Call, fid: str, recv: Val | None, args: list[Val],
              kwargs: list[tuple[str, Val]]) -> Val:
        entry = self.prog.functions.get(fid)
        if entry is None:
            return EMPTY
        fn = entry[0]
        actual, exprs = self.bind_actuals(fn, e, recv, args, kwargs)
        for i, v in actual.items():
            self.prog.bind_param(fid, i, v)
        summary = self.prog.summary(fid, self.unit)
        if summary is None:
            return EMPTY
        step = Step(self.span(e.pos), f"{expr_text(e.func)}(...)", "call")
        for label, key, role in summary.sinks:
            v = self.project(actual.get(label.index, EMPTY), label.path,
                             exprs.get(label.index), e.pos)
            for lab in flatten(v):
                if isinstance(lab, Source):
                    acc = self.prog.pending.get(key)
                    if acc is not None:
                        self.prog.record(key, acc, lab.through(step), role)
                elif self.fn is not None:
                    self.param_sinks.add((lab, key, role))
        return self.instantiate(summary.ret, actual, step)

    def bind_actuals(self, fn: ir.Function, e: ir.Call, recv: Val | None, args: list[Val],
                     kwargs: list[tuple[str, Val]]
                     ) -> tuple[dict[int, Val], dict[int, ir.Expr]]:
        """Which caller value (and expression) each parameter receives."""
        params = fn.params
        actual: dict[int, Val] = {}
        exprs: dict[int, ir.Expr] = {}
        i0 = 0
        if fn.bound:
            i0 = 1
            if recv is not None:
                actual[0] = recv
                if isinstance(e.func, ir.Attr):
                    exprs[0] = e.func.obj
        names = {p.name: i for i, p in enumerate(params)}
        pos_params = [i for i, p in enumerate(params) if p.kind in ("pos", "pattern")
                      and i >= i0]
        var = next((i for i, p in enumerate(params) if p.kind in ("varargs", "rest")), None)
        for j, v in enumerate(args):
            if j < len(pos_params):
                actual[pos_params[j]] = v
                exprs[pos_params[j]] = e.args[j]
            elif var is not None:
                extra_item = Val(fields={str(j - len(pos_params)): v})
                actual[var] = join(actual.get(var, EMPTY), extra_item)
        extra: dict[str, Val] = {}
        kwp = next((i for i, p in enumerate(params) if p.kind == "kwargs"), None)
        for (k, v), (_, ex) in zip(kwargs, e.kwargs, strict=False):
            if k == "**":
                if kwp is not None:
                    actual[kwp] = join(actual.get(kwp, EMPTY), v)
                for name, i in names.items():  # f(**kw) binds each parameter by name
                    if i >= i0 and i not in actual and params[i].kind in ("pos", "kwonly"):
                        part = self.attr(v, name, None, None)
                        if not part.is_empty():
                            actual[i] = part
            elif k in names:
                actual[names[k]] = v
                exprs[names[k]] = ex
            else:
                extra[k] = v
        if extra and kwp is not None:
            actual[kwp] = join(actual.get(kwp, EMPTY), Val(fields=extra))
        return actual, exprs

    def project(self, v: Val, path: tuple[str, ...], src: ir.Expr | None = None,
                pos: ir.Pos | None = None) -> Val:
        """What the callee read at `path` of a caller's value. The caller's expression
        names the object (`track(current_user)` reading `u.id` is current_user.id)."""
        obj = src if isinstance(src, ir.Name | ir.Attr | ir.Index | ir.Call) else None
        for name in path:
            v = self.attr(v, name, obj, pos if obj is not None else None)
            obj = ir.Attr(obj, name) if obj is not None else None
        return v

    def instantiate(self, ret: Val, actual: dict[int, Val], step: Step, depth: int = 0) -> Val:
        if ret is EMPTY:
            return EMPTY
        labels: set[Any] = set()
        out = EMPTY
        for lab in ret.labels:
            if isinstance(lab, ParamLabel):
                out = join(out, self.project(actual.get(lab.index, EMPTY), lab.path))
            else:
                labels.add(lab)
        fields = None
        if ret.fields is not None and depth < 4:
            fields = {k: self.instantiate(v, actual, step, depth + 1)
                      for k, v in ret.fields.items()}
        return join(out, Val(frozenset(labels), fields, ret.refs, ret.funcs, ret.classes,
                             ret.insts, ret.mods, ret.text, ret.clean))

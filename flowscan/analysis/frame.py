"""The interpreter of one unit (a module body or a function) over abstract values."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from flowscan import ir
from flowscan.analysis.bindings import Bindings, enclosing
from flowscan.analysis.calls import Calls
from flowscan.analysis.common import (
    FOREIGN,
    REQUEST_STATE,
    SINK_KEY,
    Deferred,
    is_configuration,
    last_name,
)
from flowscan.analysis.fields import Fields, type_owner
from flowscan.analysis.idioms import FRESH_IDS
from flowscan.analysis.values import (
    CLEAN,
    EMPTY,
    Label,
    ParamLabel,
    Source,
    Val,
    client_like,
    flatten,
    join,
    join_all,
    params_only,
    same_site,
    taint_only,
)
from flowscan.analysis.walk import CONTACT_DATA
from flowscan.model import Span
from flowscan.taxonomy import Classification, Taxonomy, normalise

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program

# plain names of an uploaded file: in a function that handles a face image
# (taxonomy `face_flows`: upload_headshot, save_player_photo) it is that image
IMAGE_FILES = frozenset({"file", "file_storage", "upload", "uploaded", "image", "img",
                         "photo", "picture", "pic", "blob", "buffer", "data", "stream",
                         "content", "fp", "fh", "f", "data_uri", "data_url", "base64",
                         "b64", "buf", "bytes", "path", "filepath", "file_path", "fileobj",
                         "file_obj"})

IMAGE_SUFFIXES = frozenset({"image", "img", "photo", "picture", "scan", "file", "upload",
                            "bytes", "buffer", "blob", "path"})


def is_image_file(name: str) -> bool:
    """A file's plain name (`file`, `image`) or one that says which side or scan it is
    (`front_image`, `licence_scan`)."""
    n = normalise(name)
    return n in IMAGE_FILES or (n.rpartition("_")[2] in IMAGE_SUFFIXES and "_" in n)


GLOBAL_OBJECTS = {"window", "globalThis", "global"}


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


EMPTY_LIST = Val(fields={}, clean=True, closed=True)
def subscript_key(target: ir.Target) -> str | None:
    """The constant key a statement writes into a local dict or object (`d["k"] = v`,
    `o.k = v` on a plain local), which names the value as an object literal's would."""
    if isinstance(target, ir.Index) and isinstance(target.key, ir.Str) \
            and isinstance(target.obj, ir.Name) and target.obj.id not in ("self", "this"):
        return target.key.value
    if isinstance(target, ir.Attr) and isinstance(target.obj, ir.Name) \
            and target.obj.id not in ("self", "this", ir.MODULE_SCOPE):
        return target.name  # attributes.consent_ip = clientAddress
    return None


@lru_cache(maxsize=1 << 16)
def health_by_function(tax: Taxonomy, name: str, function: str) -> Classification | None:
    """Frame.named_by_function's answer, once per name and function (a function runs
    again and again; its name does not change)."""
    words = normalise(function).split("_")
    if len(words) < 2:  # one word (`send`, `post`) records nothing
        return None
    c = tax.classify(name, function)
    own = normalise(name)
    if c is None and words[-1] in (own, f"{own}s", own.removesuffix("s")):
        c = tax.classify(function)  # `note` of add_feeding_note(note) is the feeding note
    return c if c is not None and c.category == "health" else None


def only_derived_params(v: Val) -> bool:
    """Nothing known but where it was read from: out of a parameter (`memberId =
    req.header("x-member-id")` in a handler no project code calls), out of a library
    call, or off a vendor's response (`userId = session.client_reference_id`): the
    variable's name is evidence too (a parameter's own name counts when it is bound)."""
    return bool(v.labels or v.refs) and not (v.fields or v.funcs or v.classes or v.insts
                                             or v.mods) and all(
        isinstance(lab, ParamLabel) for lab in v.labels) and all(
        not vendor or not client_like(path) for vendor, path in v.refs)


class Frame(Bindings, Fields, Calls):
    def __init__(self, prog: Program, module: ir.Module, fn: ir.Function | None,
                 unit: str) -> None:
        self.prog = prog
        self.module = module
        self.fn = fn
        self.unit = unit
        self.env: dict[str, Val] = {}
        self.recv_memo: dict[int, tuple[ir.Expr, Val]] = {}
        self.selected: set[Label] = set()  # columns a query selects (idioms.model_columns)
        self.ret: Val = EMPTY
        self.param_sinks: set[tuple[ParamLabel, SINK_KEY, str]] = set()
        self.named_params: dict[Source, int] = {}  # a source read off a parameter's name
        self.named_sinks: set[tuple[int, SINK_KEY, str, Source]] = set()  # Summary.named
        self.deferred: set[Deferred] = set()  # Summary.requests
        self.writes: dict[tuple[str, str], Val] = {}  # Summary.writes
        self.bound: dict[str, tuple[int, Val]] = {}  # parameter name -> index, first value
        self.mutated: set[str] = set()  # names whose object was changed in place
        self.adopted: dict[str, Val] = {}  # enclosing function's locals it changes
        self.lang = prog.catalog.lang(module.language)
        self.imports = {imp.local: imp for imp in module.imports if imp.local}
        cls = prog.classes.get(fn.cls) if fn is not None and fn.cls else None
        self.class_name = cls[0].name if cls is not None else ""
        self.elements: dict[str, str] = {}  # loop variable -> what it iterates (its context)
        outer = fn
        while outer is not None:  # `pharmacies.map((ph) => ...)`, also seen from closures
            entry = prog.functions.get(outer.parent) if outer.parent else None
            if outer.element_of and outer.params and outer.params[0].kind == "pos":
                # (rows: Branch[]).map((b) => ...): a Branch's, when the declared type
                # says whose; else the list's name does (recipients: Foo[])
                of = outer.element_of
                declared = entry[0].declared(of) if entry is not None else None
                owner = type_owner(declared) if declared else ""
                if owner and (prog.tax.is_non_person(owner) or prog.tax.is_person(owner)):
                    of = owner
                self.elements.setdefault(outer.params[0].name, of)
            outer = entry[0] if entry is not None else None
        self.scope = (fn.fid.split("::", 1)[1] if fn is not None else "<module>")
        self._persons: frozenset[str] | None = None
        self.booleans = frozenset(p.name for p in fn.params if p.boolean) \
            if fn is not None else frozenset()  # parameters declared bool/boolean

    @property
    def persons(self) -> frozenset[str]:
        """The objects this unit treats as persons, worked out when a field is first
        read (a frame that only evaluates an export never needs them)."""
        if self._persons is None:
            self._persons = self.prog.person_objects(
                self.unit, self.fn.body if self.fn is not None else self.module.body)
        return self._persons

    # ------------------------------------------------------------ statements

    def snippet_settings(self, target: ir.Attr | ir.Name, value: Val,
                         src: ir.Expr | None) -> None:
        """`window.intercomSettings = {app_id, email, name}`, `window.pylon = {chat_settings:
        {...}}`: a vendor's snippet reads the object the page puts there, so the
        assignment sends it (one field set later, `window.intercomSettings.email = e`,
        too)."""
        def global_name(e: ir.Expr) -> str | None:
            if isinstance(e, ir.Attr) and isinstance(e.obj, ir.Name) \
                    and e.obj.id in GLOBAL_OBJECTS and e.obj.id not in self.env:
                return e.name
            if isinstance(e, ir.Name) and e.id not in self.env and e.id not in self.imports:
                return e.id
            return None

        name, key = global_name(target), None
        if (name is None or name not in self.lang.settings) and isinstance(target, ir.Attr):
            name, key = global_name(target.obj), target.name
        hit = self.lang.settings.get(name) if name is not None else None
        sink = self.lang.sink(hit[1]) if hit is not None else None
        if hit is None or sink is None:
            return
        call = ir.Call(target, (src if src is not None else ir.LIT,), (), target.pos)
        self.sink(call, sink, hit[1], [Val(fields={key: value}) if key else value], [])

    def block(self, stmts: tuple[ir.Stmt, ...]) -> None:
        for s in stmts:
            if isinstance(s, ir.Assign):
                if isinstance(s.value, ir.Obj) and isinstance(s.target, ir.Name):
                    value = self.obj(s.value, s.target.id)  # intake = {faith: ...}: the
                else:  # variable names whose record it is, as `intake.faith` would
                    value = self.expr(s.value)
                    if isinstance(s.target, ir.Name) and not value.labels:
                        value = self.fresh_id(s.target.id, s.value, s.target.pos, value)
                key = subscript_key(s.target)
                if key is not None:  # props["postal_code"] = zip, tags["donor.id"] = id
                    owner = s.target.obj.id if isinstance(s.target.obj, ir.Name) else None
                    value = self.named_by_key(key, value, s.value,  # (cat.medication = ...
                                              owner)              # is a cat's)
                self.assign(s.target, value, s.weak, s.value)
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
        settings = self.lang.settings  # (JS only; most assignments name none of them)
        if settings and ((isinstance(target, ir.Name) and target.id in settings) or (
                isinstance(target, ir.Attr) and (target.name in settings or (
                    isinstance(target.obj, ir.Attr) and target.obj.name in settings)))):
            self.snippet_settings(target, value, src)
        if isinstance(target, ir.Name) and isinstance(src, ir.Each):
            self.elements[target.id] = last_name(src.value)  # for row in dependents
        if isinstance(target, ir.Name):
            old = self.env.get(target.id)
            self.env[target.id] = join(old, value) if weak and old is not None else value
        elif isinstance(target, ir.Attr) and isinstance(target.obj, ir.Name) \
                and target.obj.id == ir.MODULE_SCOPE:  # `global client; client = X()`
            self.write_global(self.module.path, target.name, value)
        elif isinstance(target, ir.Attr | ir.Index):
            key = target.name if isinstance(target, ir.Attr) else (
                target.key.value if isinstance(target.key, ir.Str) else None)
            obj = target.obj
            if key is not None and self.request_state(obj, key):  # a middleware's
                self.prog.set_class_attr(REQUEST_STATE, key, value)  # request.state.member
            owner = self.instance_class() if isinstance(obj, ir.Name) \
                and obj.id in ("self", "this") and key is not None else None
            if owner is not None and key is not None:
                self.prog.set_class_attr(owner, key, value)
            elif isinstance(obj, ir.Name) and obj.id not in self.imports:
                adopted = obj.id not in self.env and self.adopt_captured(obj.id)  # (a
                # callback's `payload[k] = user[k]`: the enclosing function's payload)
                if not adopted and self.mutate_global(
                        obj.id, self.with_field(EMPTY, key or "*", value, weak)):
                    return
                base = self.env.get(obj.id, EMPTY)
                self.env[obj.id] = self.with_field(base, key, value, weak)
                self.mutated.add(obj.id)
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
            defaults = dict(target.defaults)
            parts: list[tuple[str, ir.Target, Val]] = []
            for key, t in target.entries:
                pos = t.pos if isinstance(t, ir.Name) and t.pos[0] else None
                part = self.attr(value, key, src, pos)
                if key in defaults:  # `{ stripeClient = stripe } = {}`: what a caller leaves out
                    part = join(part, self.expr(defaults[key]))
                parts.append((key, t, part))
            if any(isinstance(lab, Source) and lab.category in CONTACT_DATA
                   for _, _, part in parts for lab in part.labels) \
                    and not self.prog.tax.is_non_person(self.context_of(src)):
                parts = [(key, t, self.person_sibling(key, t, part)) for key, t, part in parts]
            for _, t, part in parts:
                self.assign(t, part, weak)
            if target.rest is not None:
                known = value.fields
                if value.insts:  # `{ passwordHash, ...publicProfile } = guardian`: the
                    known = {**self.model_fields(value, None), **(known or {})}  # rest
                rest_fields = {k: v for k, v in (known or {}).items()  # of its model's
                               if k not in {k for k, _ in target.entries}}  # fields
                self.assign(target.rest, Val(  # an opaque record's rest is opaque too
                    value.labels, rest_fields if known is not None else None,
                    insts=value.insts if known is None else frozenset()), weak)
        elif isinstance(target, ir.DSeq):
            for i, t in enumerate(target.items):
                self.assign(t, self.item(value, str(i)), weak)

    def mutate_global(self, name: str, delta: Val) -> bool:
        """`_REGISTRY[cls.name] = cls`, `HANDLERS.append(fn)` in a function: the module's
        container grows (its readers see it); an entry with a computed key is `*`."""
        if self.fn is None or name in self.env \
                or self.prog.module_global(self.module.path, name, self.unit) is None:
            return False
        self.write_global(self.module.path, name, delta)
        return True

    def write_global(self, path: str, name: str, delta: Val) -> None:
        """The data sources go into the store now; what came from the parameters goes
        in at each call, with the caller's arguments (summaries.py: apply)."""
        self.prog.set_global(path, name, delta)
        mine = params_only(delta, FOREIGN)
        if self.fn is not None and not mine.is_empty():
            old = self.writes.get((path, name))
            self.writes[(path, name)] = mine if old is None else join(old, mine)

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
                   base.mods, base.text)  # (a URL whose searchParams are set is that URL)

    # ------------------------------------------------------------ names

    def named_by_function(self, name: str) -> Source | None:
        """A parameter its function's name says is a record of someone's health:
        `notes` of `recordInjury(riderId, notes)`, `details` of `log_symptoms`."""
        fn = self.fn
        if fn is None or fn.name.startswith("<") or name.isupper():
            return None
        c = health_by_function(self.prog.tax, name, fn.name)
        return None if c is None else Source(c.category, name, self.span(fn.pos), c.pattern,
                                             c.context or "")

    def classify_name(self, name: str, pos: ir.Pos) -> Source | None:
        if name.isupper() and len(name) > 1:  # ADMIN_ID, MIXPANEL_TOKEN: constants
            return None
        c = self.prog.tax.classify(name, None)
        if c is None and self.fn is not None and self.prog.tax.in_secret_flow(self.fn.name):
            c = self.prog.tax.classify(name, "user")  # a token in send_magic_link()
            if c is not None and c.category != "credentials":
                c = None
        if c is None:
            c = self.own_person_id(name)
        if c is None and self.fn is not None and is_image_file(name) \
                and not name[:1].isupper():  # (Node's `Buffer` is a class, not a file)
            c = self.uploaded(self.flow_name, name)  # upload_headshot(m, file), upload_id_card
        if c is None:
            return None
        return Source(c.category, name, self.span(pos), c.pattern, c.context or "")

    def fresh_id(self, name: str, e: ir.Expr, pos: ir.Pos, value: Val) -> Val:
        """`customerId = crypto.randomUUID()`, `member_id = str(uuid4())`: a fresh id the
        variable's name says is a person's is that person's id from then on."""
        if isinstance(e, ir.Attr):  # uuid4().hex
            e = e.obj
        if isinstance(e, ir.Call) and last_name(e.func) in ("str", "String") and e.args:
            e = e.args[0]
        if not (isinstance(e, ir.Call) and last_name(e.func) in FRESH_IDS):
            return value
        found = self.classify_name(name, pos)
        return Val(frozenset({found})) if found is not None and found.category == "user_id" \
            else value

    def own_person_id(self, name: str) -> Classification | None:
        """`housemateId`, `walker_id`: the id of one of the project's own persons
        (is_person_noun), whatever the taxonomy thinks the word usually means."""
        n = normalise(name)
        if not n.endswith("_id") or len(n) < 5:
            return None
        if not self.prog.is_person_noun(n[:-3].replace("_", ""), self.unit):
            return None
        return self.prog.tax.classify("id", "person")

    def validated_field(self, field: str, pos: ir.Pos) -> Source | None:
        """`def validate_email(self, value)` on a serializer or form: value is the
        submitted email, in the context of the class (GuestSerializer)."""
        c = self.prog.tax.classify(field, self.class_name or None)
        if c is None:
            return None
        return Source(c.category, field, self.span(pos), c.pattern, c.context or "")

    def span(self, pos: ir.Pos) -> Span:
        return Span(self.module.path, pos[0], pos[1], pos[2], pos[3])

    def instance_class(self) -> str | None:
        """The class whose instance `self`/`this` is here: a method's, or, in a closure
        that reads it from an enclosing method (`.subscribe(() => { this.last = x })`),
        that method's; then `this.last = x` sets the instance's attribute rather than
        shadowing `this` in the closure."""
        fn = self.fn
        for _ in range(8):
            if fn is None or fn.cls:
                return fn.cls if fn is not None else None
            entry = self.prog.functions.get(fn.parent) if fn.parent else None
            fn = entry[0] if entry is not None else None
        return None

    def lookup(self, name: str, pos: ir.Pos) -> Val:
        v = self.env.get(name)
        if v is not None:
            return v
        fn = self.fn
        hops = 0
        while fn is not None and fn.parent is not None:  # closures
            hops += 1
            found = self.prog.captured(fn.parent, name, self.unit)
            if found is not None:
                return enclosing(found, hops)
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
        auto = self.prog.auto_import(self.module, name, self.unit)
        if auto is not None:
            return auto
        return Val(refs=frozenset({("", name)}))

    # ------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr) -> Val:
        if isinstance(e, ir.Name):
            v = self.lookup(e.id, e.pos)
            module = self.imports.get(e.id)
            if module is not None and e.id not in self.env and (module.name is None or (
                    v.refs and not v.labels and not any(vnd for vnd, _ in v.refs))):
                return v  # `import secrets`, `import email`: a module, not data; and a
                # library's class or function (`from starlette... import Secret`)
            if (v.opaque() or only_derived_params(v)) and not self.boolean_param(e.id):
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
            if obj.clean and not obj.fields and not obj.labels and obj.text is None:
                return CLEAN  # sha256(...).hexdigest()[:12]: a part of a clean value
            labels = flatten(obj)  # (an empty join would drop a text the items share:
            out = join(Val(labels) if labels else EMPTY, self.item(obj, None))  # HOSTS[env])
            if obj.insts and obj.fields is None:  # tests[-1] of `tests: list[HearingTest]`
                out = join(out, Val(insts=obj.insts))
            return out
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
                if vals else EMPTY_LIST  # `adapters = []` then append(): a list it builds
        if isinstance(e, ir.Join):
            vals = [self.expr(p) for p in e.parts]
            labels = frozenset().union(*(flatten(v) for v in vals)) if vals else frozenset()
            text = "".join(v.text or "" for v in vals) if all(
                v.text is not None for v in vals[:1]) else None
            # f"{secrets.randbelow(10**6):06d}": only what a library call made, so the
            # variable it goes into is named by its own name (pin), like the call itself
            refs = frozenset() if labels else frozenset(
                r for v in vals if only_derived_params(v) for r in v.refs if not r[0])
            return Val(labels, refs=refs, text=text, clean=not labels and not refs)
        if isinstance(e, ir.Op):
            vals = [self.expr(p) for p in e.parts]
            out = join_all(vals) if vals else EMPTY
            urls = {v.text for v in vals if v.text and "://" in v.text}
            if out.text is None and len(urls) == 1:  # env.BRAZE_URL || "https://rest..."
                out = out.with_text(urls.pop())
            elif out.text is None and len(urls) > 1:  # live ? "https://api.x.com" :
                site: str | None = min(urls)  # "https://api-sandbox.x.com": one site
                for url in urls:
                    site = same_site(site, url)
                if site is not None:
                    out = out.with_text(site)
            elif out.text is None and len(vals) == 2 and vals[1].text \
                    and is_configuration(e.parts[0]):  # process.env.DD_SITE ?? "datadoghq.eu":
                out = out.with_text(vals[1].text)  # the host a URL is built on, by default
            if out.closed and any(v.opaque() for v in vals):  # position?.coords ?? {latitude:
                out = Val(out.labels, out.fields, out.refs, out.funcs, out.classes,  # 0}: a
                          out.insts, out.mods, out.text, out.clean, False)  # default only
            if out.clean and any(v.opaque() for v in vals):  # form.get("needs") || null:
                out = EMPTY  # unknown still, so the variable it goes into names it
            return out
        if isinstance(e, ir.Spread):
            return self.expr(e.value)
        if isinstance(e, ir.Comp):  # its targets live in its own scope
            outer, self.env = self.env, dict(self.env)
            whole: set[Label] = set()
            try:
                for target, iterable in e.clauses:
                    items = self.expr(iterable)
                    if not items.fields:  # [m.name for m in resident.medications.all()]:
                        whole |= {lab for lab in items.labels  # what an opaque personal
                                  if not isinstance(lab, ParamLabel)}  # collection holds;
                        # a caller's is read per element (`a.allergen for a in
                        # self.allergies`: the allergens, not every Allergy field)
                    self.assign(target, self.element(items), False, ir.Each(iterable))
                out = self.expr(e.elt)
            finally:
                self.env = outer
            return join(out, Val(frozenset(whole))) if whole else out
        if isinstance(e, ir.Each):
            return self.element(self.expr(e.value))
        if isinstance(e, ir.Typed):
            v = self.expr(e.value)
            declared = self.expr(e.type)
            return join(v, Val(insts=declared.classes)) if declared.classes else v
        if isinstance(e, ir.Test):
            for part in e.parts:
                self.expr(part)
            return CLEAN
        if isinstance(e, ir.FuncRef):
            return Val(funcs=frozenset({(e.fid, None)}))
        if isinstance(e, ir.ClassRef):
            entry = self.prog.classes.get(e.cid)
            if entry is not None and entry[0].bases:  # again on every run: an imported base
                self.prog.set_bases(e.cid, join_all([self.base(b) for b in entry[0].bases]))
            return Val(classes=frozenset({e.cid}))
        return EMPTY

    def base(self, b: ir.Expr) -> Val:
        """A class's base; a generic one's subscript names a type, not the base
        (`class MixpanelWrapper(BaseWrapper[UserData])` is a BaseWrapper)."""
        v = self.expr(b)
        if isinstance(b, ir.Index) and not v.classes and not v.refs:
            v = self.expr(b.obj)
        return v

    def element(self, v: Val) -> Val:
        """What a loop over `v` binds: the elements of a list it built (instances whose
        methods then resolve: `for adapter in adapters: adapter.identify(p)`); an
        iterable it knows nothing of inside is like its elements."""
        if not v.fields:
            return v
        return join(self.item(v, None), Val(v.labels, insts=v.insts))

    def item(self, v: Val, index: str | None) -> Val:
        if v.fields is not None:
            if index is not None and index in v.fields:
                return v.fields[index]
            if not v.fields:  # an opaque holder: its items are opaque holders too
                return Val(v.labels, {}) if v.labels else EMPTY
            return join(Val(v.labels) if v.labels else EMPTY,  # (keeps a text they share)
                        join_all(list(v.fields.values())))
        if v.labels:
            return Val(v.labels)
        return EMPTY

"""Calls: into vendor SDKs (sinks, builders, configuration leaks), into other
libraries (HTTP clients, sanitisers, unknown code) and into the project's own
functions (summaries applied at the call site)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.common import (
    ARGUMENT,
    FOREIGN,
    OUTER,
    SINK_KEY,
    Deferred,
    FindingAcc,
    expr_text,
    is_configuration,
    last_name,
    strip_credentials,
)
from flowscan.analysis.http import (
    CURL_HANDLE,
    curl_call,
    http_call,
    is_request,
    send,
    vendor_for_url,
    vendor_named,
)
from flowscan.analysis.idioms import COPIERS, NO_PROPAGATION, PROMISED, Idioms
from flowscan.analysis.values import (
    ANSWER,
    BASE_MARK,
    CLEAN,
    EMPTY,
    MAX_FIELDS_DEPTH,
    ParamLabel,
    Source,
    Val,
    answer_of,
    answered,
    data_only,
    flatten,
    join,
    params_only,
)
from flowscan.catalog import MODEL_INPUTS, MODEL_ROUTED, ArgRole, Sink, name_words
from flowscan.model import Span, Step

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program
    from flowscan.catalog import LanguageIndex

USER_ID_KEYS = ("id", "user_id", "userId", "uid", "external_id", "externalId")


CONTACT = frozenset({"name", "email", "phone", "address"})  # a person's or a business's
IMPLIED = "implied:"  # a summary's sink role: a parameter under a key the contract names


def zip_kwargs(e: ir.Call, kwargs: list[tuple[str, Val]]) -> list[tuple[str, ir.Expr, Val]]:
    """Each keyword argument with its expression and the value it was evaluated to."""
    return [(k, x, v) for (k, x), (_, v) in zip(e.kwargs, kwargs, strict=False)]


def entries_named(obj: ir.Obj, v: Val, keys: tuple[str, ...]) -> list[tuple[ir.Expr, Val]]:
    """The entries of an object literal under `keys`, with the values it evaluated to."""
    fields = v.fields or {}
    return [(x, fields.get(k, EMPTY)) for k, x in obj.entries if k in keys]
ID_NAME = re.compile(r"(?:(.+)_)?(?:id|pk|uid|uuid|guid|ref|reference)"
                     r"|(.+[a-z0-9])(?:Id|ID|Pk|Uid|Uuid|Guid|Ref|Reference)")
MAX_LIBRARY_REFS = 4  # paths into non-vendor libraries kept per value
PATTERN_MATCH = "ts-pattern.match"  # match(x).with(...).otherwise(...): calls.pattern_arm
PATTERN_CHAIN = f"{PATTERN_MATCH}()"


CLIENT_FACTORIES = {"create", "Client", "AsyncClient", "extend", "ClientSession"}
BASE_URL_KEYS = ("baseURL", "base_url", "prefixUrl", "prefixURL", "baseUrl")


def base_url(e: ir.Call, args: list[Val], kwargs: list[tuple[str, Val]]
             ) -> tuple[str | None, ir.Expr | None]:
    """The base URL an HTTP client factory is given: its text when it is a known
    string, and the expression that gives it."""
    for (name, v), (_, x) in zip(kwargs, e.kwargs, strict=False):
        if name in BASE_URL_KEYS:
            return v.text, x
    if args and args[0].fields:
        given = dict(e.args[0].entries) if isinstance(e.args[0], ir.Obj) else {}
        for key in BASE_URL_KEYS:
            v = args[0].fields.get(key)
            if v is not None:
                x = given.get(key)
                return v.text, x if isinstance(x, ir.Expr) else None
    return None, None


# calls that call their argument with the rest: name -> index of the callable
FORWARDERS = {"to_thread": 0, "run_in_executor": 1, "submit": 0, "run_sync": 0,
              "call_soon": 0, "call_soon_threadsafe": 0, "enqueue": 0, "enqueue_call": 0,
              "add_task": 0, "run_in_threadpool": 0}  # (Starlette's, FastAPI's)
WRAPPERS = {"sync_to_async", "async_to_sync", "database_sync_to_async"}  # asgiref: f2(a)
TASK_CALLS = {"delay", "s", "si", "signature"}  # Celery: task.delay(a, k=v) runs task(a, k=v)


def forwarded_call(e: ir.Call) -> ir.Call | None:
    """`asyncio.to_thread(f, a, k=v)`, `loop.run_in_executor(None, f, a)`,
    `executor.submit(f, a)`, `run_in_threadpool(f, a)`, `sync_to_async(f)(a)`, RQ's
    `queue.enqueue(f, a)`, Celery's `f.delay(a)` and `f.apply_async((a,), {"k": v})`: the
    call of `f` they make (a queue's worker makes it later, with the same arguments)."""
    if isinstance(e.func, ir.Attr) and isinstance(e.func.obj, ir.Name | ir.Attr):
        if e.func.name in TASK_CALLS:
            return ir.Call(e.func.obj, e.args, e.kwargs, e.pos)
        if e.func.name == "apply_async":
            kw = dict(e.kwargs)
            given = kw.get("args") or (e.args[0] if e.args else None)
            named = kw.get("kwargs") or (e.args[1] if len(e.args) > 1 else None)
            return ir.Call(e.func.obj, given.items if isinstance(given, ir.Seq) else (),
                           tuple((k, v) for k, v in named.entries if isinstance(k, str))
                           if isinstance(named, ir.Obj) else (), e.pos)
    if isinstance(e.func, ir.Call) and e.func.args and last_name(e.func.func) in WRAPPERS:
        return ir.Call(e.func.args[0], e.args, e.kwargs, e.pos)  # sync_to_async(f)(a)
    at = FORWARDERS.get(last_name(e.func))
    if at is None or len(e.args) <= at or isinstance(e.args[at], ir.Str | ir.Lit):
        return None
    return ir.Call(e.args[at], e.args[at + 1:], e.kwargs, e.pos)


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


def constructs(e: ir.Call) -> bool:
    """A call that makes an object (a class, by its capitalised name) rather than asks
    for something."""
    return last_name(e.func)[:1].isupper()


def unenclosed(v: Val, depth: int = 0) -> Val:
    """The enclosing function's part of what a closure wrote (labels of its parameters
    as the closure sees them, FOREIGN up, and data sources), in the enclosing
    function's own numbering."""
    fields = None
    if v.fields and depth < MAX_FIELDS_DEPTH:
        fields = {k: f for k, f in ((k, unenclosed(f, depth + 1))
                                    for k, f in v.fields.items()) if not f.is_empty()}
    labels = frozenset(
        ParamLabel(lab.index - FOREIGN, lab.path) if isinstance(lab, ParamLabel) else lab
        for lab in v.labels if not isinstance(lab, ParamLabel)
        or FOREIGN <= lab.index < 2 * FOREIGN)
    if not labels and not fields:
        return EMPTY
    return Val(labels, fields or None)


class Calls(Idioms):
    """The call half of the interpreter (mixed into `Frame`)."""

    if TYPE_CHECKING:
        prog: Program
        module: ir.Module
        fn: ir.Function | None
        unit: str
        env: dict[str, Val]
        scope: str
        lang: LanguageIndex
        param_sinks: set[Any]
        named_params: dict[Source, int]
        named_sinks: set[tuple[int, SINK_KEY, str, Source]]
        recv_memo: dict[int, tuple[ir.Expr, Val]]

        def expr(self, e: ir.Expr) -> Val: ...
        def attr(self, v: Val, name: str, obj: ir.Expr | None, pos: ir.Pos | None,
                 key: bool = False) -> Val: ...
        def span(self, pos: ir.Pos) -> Any: ...
        def context_of(self, obj: ir.Expr | None) -> str: ...
        def write_global(self, path: str, name: str, delta: Val) -> None: ...
        def write_argument(self, given: ir.Expr | None, delta: Val) -> None: ...
        def adopt_captured(self, name: str, builder: bool = False) -> bool: ...

        def named_by_key(self, key: str, v: Val, value: ir.Expr, context: str | None = None
                         ) -> Val: ...

    def call(self, e: ir.Call) -> Val:
        forwarded = forwarded_call(e)
        if forwarded is not None:  # asyncio.to_thread(cio.track, customer_id=...)
            return self.call(forwarded)
        try:
            return self._call(e)
        finally:
            if isinstance(e.func, ir.Attr):
                self.recv_memo.pop(id(e.func.obj), None)

    def _call(self, e: ir.Call) -> Val:
        if isinstance(e.func, ir.Name) and e.func.id in ("require", "import") and e.args \
                and isinstance(e.args[0], ir.Str) and self.module.language != "python" \
                and e.func.id not in self.env:  # { ...require('./sms') }, import('x').then()
            return self.prog.import_value(
                self.module, ir.Import(None, e.args[0].value, None, e.pos), self.unit)
        if isinstance(e.func, ir.Attr):
            self.recv_memo[id(e.func.obj)] = (e.func.obj, self.expr(e.func.obj))
        func = self.expr(e.func)
        if isinstance(e.func, ir.Attr) and e.func.name == "then" and func.refs \
                and self.module.language != "python":  # a promise's, not the SDK's API:
            func = Val(func.labels, func.fields, frozenset(  # import('posthog-js').then(...)
                r for r in func.refs if not r[0] or r[1] in self.lang.callbacks
                or self.lang.sink(r[1]) is not None),  # (Airship's `UA.then(sdk => ...)`)
                func.funcs, func.classes, func.insts, func.mods)
        args = [self.expr(a) for a in e.args]
        kwargs = [(k, self.expr(v)) for k, v in e.kwargs]
        if isinstance(e.func, ir.Call) and args and args[0].funcs:
            self.bound_task(e.func, args[0])
        if not any(vendor for vendor, _ in func.refs) and self.prog.tax.is_sanitiser(
                last_name(e.func)):
            return CLEAN  # mask_iban(...) is a sanitiser whatever its body does
        if not func.funcs and not func.classes and not any(v for v, _ in func.refs) \
                and self.prog.tax.is_token_maker(last_name(e.func)):
            return EMPTY  # make_token(user): a new secret, not the user's email
        result = EMPTY
        resolved = False
        library: list[str] = []
        sent = False
        for vendor, path in sorted(func.refs):
            if vendor:
                resolved = True
                result = join(result, self.vendor_call(e, vendor, path, args, kwargs))
                sent = sent or self.sends(e, vendor, path)
            else:
                library.append(path)
        if resolved and not args and not kwargs and last_name(e.func).startswith("$"):
            result = join(result, Val(refs=frozenset(r for r in func.refs if r[0])))  # a
            # plugin may provide a getter of its client: `$posthog().capture(...)` (Nuxt)
        if resolved and any(self.lang.returned(f"{path}()") == "" for vendor, path in func.refs
                            if vendor):  # the vendor's data (a webhook event), under any of
            result = Val(result.labels)  # the paths its client goes by
        if sent and result.labels:  # what a sink returns is the vendor's answer, not the
            result = Val(frozenset(), None, result.refs)  # data it was sent (other paths
            # to the same call may look like builders that hold their arguments)
        pairs = tuple(sorted({pair for vendor, path in func.refs if vendor
                              for pair in self.prog.catalog.answers(
                                  vendor, path, self.fn.name if self.fn else "")})) \
            if sent else ()
        if pairs:  # maps.geocode({address}): that address's coordinates
            result = join(result, answered([*args, *(v for _, v in kwargs)], pairs, Step(
                self.span(e.pos), f"{expr_text(e.func)}(...)", "answer")))
        if library and isinstance(e.func, ir.Attr) and e.func.name in COPIERS \
                and self.receiver_value(e.func.obj).insts:  # a project model's dump
            library = []  # (pydantic's model_dump): its fields, read as the idiom does
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
            elif (args or kwargs) and self.module.language == "python":  # a dataclass,
                # NamedTuple or model: its fields are what it was made with
                inst = Val(insts=inst.insts, fields=self.record_fields(cid, e, args, kwargs))
            base = self.prog.class_bases.get(cid)
            if base is not None and base.refs:
                inst = join(inst, Val(refs=frozenset((v, f"{p}()") for v, p in base.refs)))
            result = join(result, inst)
        if not resolved:
            result = join(result, self.unknown_call(e, func, args, kwargs))
        default = next((v.text for k, v in kwargs if k == "default"), None)
        if default is not None and "://" in default and result.text is None \
                and not any(vendor for vendor, _ in result.refs):
            result = result.with_text(default)  # base_url = URLField(default=API_URL): a
            # configuration model's URL field, unless set otherwise, is that URL
        if e.types and not result.insts:  # request<Trainer>(...), get<User[]>(...): what
            for name in e.types:           # the type argument says the answer is
                declared = self.lookup(name, e.pos).classes
                if declared:
                    result = join(result, Val(insts=declared))
        return result

    def record_fields(self, cid: str, e: ir.Call, args: list[Val],
                      kwargs: list[tuple[str, Val]]) -> dict[str, Val]:
        """`BrazeAttributes(external_id=g.id, email=g.email)` of a class without a
        constructor of its own: keywords name the fields, positions follow the declared
        field order."""
        declared = self.prog.classes[cid][0].fields if cid in self.prog.classes else ()
        fields = {declared[i]: v for i, v in enumerate(args[: len(declared)])
                  if i < len(e.args) and not isinstance(e.args[i], ir.Spread)}
        for k, x, v in zip_kwargs(e, kwargs):
            if k != "**":
                fields[k] = self.named_by_key(k, v, x)
        # the data and nested records only: a record that carries a client or a manager
        # object along is not made a way to that vendor (saleor's CheckoutInfo holds the
        # plugin manager), one that holds another record keeps it (job.customer.postcode)
        return {k: self.record_value(v) for k, v in fields.items()}

    def record_value(self, v: Val) -> Val:
        data = data_only(v)
        records = frozenset(cid for cid in v.insts if cid in self.prog.classes and (
            self.prog.class_attr(cid, "__init__", self.unit)
            or self.prog.class_attr(cid, "constructor", self.unit)) is None)
        return Val(data.labels, data.fields, insts=records) if records else data

    def bound_task(self, decorator: ir.Call, task: Val) -> None:
        """`@app.task(bind=True, base=NotifyingTask)`: the task's `self` is an instance
        of that base class (its clients and helpers are `self.cio`, `self.notify()`)."""
        kw = dict(decorator.kwargs)
        if literal(kw.get("bind")) is not True or "base" not in kw:
            return
        base = self.expr(kw["base"])
        if base.classes:
            for fid, _ in sorted(task.funcs, key=lambda f: f[0]):
                self.prog.bind_param(fid, 0, Val(insts=base.classes))

    def receiver_value(self, obj: ir.Expr) -> Val:
        """A method call's receiver, evaluated once per call: a chain a.b().c().d()
        would otherwise be evaluated twice per link, exponentially."""
        memo = self.recv_memo.get(id(obj))
        if memo is not None and memo[0] is obj:
            return memo[1]
        return self.expr(obj)

    def library_call(self, e: ir.Call, paths: list[str], args: list[Val],
                     kwargs: list[tuple[str, Val]]) -> Val:
        """A call into a library that is not a vendor SDK (or into something unknown):
        the possible paths are tried as sanitisers and HTTP clients, then the call
        passes its data on once, whatever the number of paths."""
        if paths[0] == PATTERN_MATCH:  # ts-pattern's match(x): the arms decide
            return Val(refs=frozenset({("", PATTERN_CHAIN)}))
        if any(self.prog.tax.is_sanitiser(p) for p in paths) or (  # crypto.randomUUID()
                paths[0].rsplit(".", 1)[-1] in NO_PROPAGATION and paths[0] not in PROMISED):
            return CLEAN
        if paths[0] in MODEL_ROUTED and args and args[0].fields:
            return self.model_routed(e, paths[0], args[0])
        if args and args[0].fields:
            for path in paths:
                for key, param, cats, what in self.prog.tax.library_callbacks(path):
                    self.called_back(e, args[0], key, param, cats, what)
        if paths[0].startswith(f"{PATTERN_CHAIN}.") and isinstance(e.func, ir.Attr):
            return self.pattern_arm(e, paths[0].rsplit(".", 1)[1], args)
        if paths[0].startswith(CURL_HANDLE):
            curl = curl_call(self.prog, self, e, paths[0], args)
            if curl is not None:
                return curl
        recv = self.receiver_value(e.func.obj) if isinstance(e.func, ir.Attr) else None
        base = next((p[1:] for _, p in sorted(recv.refs) if p.startswith(BASE_MARK)), None) \
            if recv is not None else None
        for path in paths:
            if path.startswith(BASE_MARK):
                continue
            http = http_call(self.prog, self, e, path, args, kwargs, base)
            if http is not None:
                return http
        # keep the library path: httpx.AsyncClient().post is still recognisable
        refs = frozenset(("", f"{p}()") for p in paths[:MAX_LIBRARY_REFS])
        plain = self.unknown_call(e, Val(), args, kwargs)
        out = join(plain, Val(refs=refs))
        if plain.text is not None:  # a URL default survives the library's path
            out = Val(out.labels, out.fields, out.refs, text=plain.text)
        given, given_by = base_url(e, args, kwargs) \
            if paths[0].rsplit(".", 1)[-1] in CLIENT_FACTORIES else (None, None)
        if given is None and given_by is not None:  # `baseURL: process.env.BRAZE_REST_URL`
            vendor = vendor_named(self.prog, self, given_by)  # (or in braze.ts): by names
            hosts = self.prog.catalog.vendors[vendor].get("hosts") if vendor else None
            given = f"https://{hosts[0]}" if hosts else None
        if given and vendor_for_url(self.prog, given):  # a client bound to a vendor's API:
            out = join(out, Val(refs=frozenset({("", BASE_MARK + given)})))  # kept by joins
        if any(map(is_request, paths)):  # a response holds what the server sent back, not
            out = Val(frozenset(), out.fields, out.refs, text=out.text)  # what it was sent
        return out

    def called_back(self, e: ir.Call, options: Val, key: re.Pattern[str], param: int,
                    cats: tuple[str, ...], what: str) -> None:
        """A library that calls the functions it is given under `key` of its options
        back with a person's data (the taxonomy's `library_callbacks`): Better Auth's
        `secondaryStorage: {set(key, value)}` is handed sessions."""
        vals = [EMPTY] * param + [Val(frozenset(
            Source(cat, what, self.span(e.pos), "library_callbacks") for cat in cats))]
        call = ir.Call(e.func, tuple(ir.LIT for _ in vals), (), e.pos)
        todo = [("", options, 0)]
        while todo:
            prefix, v, depth = todo.pop()
            for name, f in sorted((v.fields or {}).items()):
                dotted = prefix + name
                if key.fullmatch(dotted):
                    for fid, _ in sorted(f.funcs, key=lambda x: x[0]):
                        self.apply(call, fid, None, vals, [])
                elif f.fields and depth < 3:
                    todo.append((dotted + ".", f, depth + 1))

    def model_routed(self, e: ir.Call, path: str, options: Val) -> Val:
        """`generateText({ model: anthropic("claude-3-5-sonnet"), system, prompt })`: the
        prompt goes to the vendor (or vendors) whose model it is; the callbacks
        (`onFinish`), tools and telemetry options stay in the process."""
        assert options.fields is not None
        model = options.fields.get("model", EMPTY)
        sent = Val(fields={k: v for k, v in options.fields.items() if k in MODEL_INPUTS})
        for vendor in sorted({v for v, _ in model.refs if v}):
            self.sink(e, Sink(vendor, path, (ArgRole("content", pos=0),)), path, [sent], [])
        return EMPTY  # the model's answer, not the prompt

    def sends(self, e: ir.Call, vendor: str, path: str) -> bool:
        """Whether a vendor call sends what it is given, so that what it answers is the
        vendor's data: a catalog sink, or any method call of an inventory-tier SDK
        (maps.geocode(...)'s coordinates are Google's, not the address). An SDK object
        made with its input (`new SendEmailCommand(input)`, `CreateParams(...)`) holds
        that input until a call sends it."""
        return self.lang.sink(path) is not None or (
            self.prog.catalog.tier(vendor) == "inventory" and not constructs(e))

    def vendor_call(self, e: ir.Call, vendor: str, path: str, args: list[Val],
                    kwargs: list[tuple[str, Val]]) -> Val:
        if len(args) >= 2 and isinstance(e.args[0], ir.Str):  # identify.set("age", value):
            args = [args[0], self.named_by_key(e.args[0].value, args[1], e.args[1],  # the
                                               "person"), *args[2:]]  # user's property
        sink = self.lang.sink(path)
        if sink is not None:
            self.sink(e, sink, path, args, kwargs)
        elif self.prog.catalog.tier(vendor) == "inventory":
            self.sink(e, Sink(vendor, path, (), "unknown"), path, args, kwargs)
        for leak in self.lang.config_leaks(path) if self.lang.config else ():
            if option_matches(e, leak):
                self.report_config(e, vendor, path, leak)
        for cb in self.lang.callbacks.get(path, ()):
            given = EMPTY
            if 0 <= cb.arg < len(args):
                given = args[cb.arg] if cb.key is None else (args[cb.arg].fields or {}).get(
                    cb.key, EMPTY)  # <Sentry.ErrorBoundary beforeCapture={scope => ...}>
            if cb.kw is not None:
                given = join(given, next((v for k, v in kwargs if k == cb.kw), EMPTY))
            bound = Val(refs=frozenset({(vendor, cb.binds)}))
            for fid, _ in given.funcs:
                self.prog.bind_param(fid, cb.param, bound)
                if cb.sends:  # beforeSend(event) { event.user = {...}; return event }
                    self.callback_sends(e, vendor, path, fid, cb.param, bound)
        result = Val(refs=frozenset({(vendor, f"{path}()")}))
        if not self.sends(e, vendor, path):
            # SDK builders and data objects (BaseEvent(...), Identify().set(k, v)) hold
            # what they were given until a sink sends them
            data = frozenset(lab for v in [*args, *(v for _, v in kwargs)] for lab in flatten(v)
                             if not self.own_secret(lab))
            recv = e.func.obj if isinstance(e.func, ir.Attr) else None
            root = recv  # profile.set("email", e).set("name", n): the chain's builder
            while isinstance(root, ir.Call) and isinstance(root.func, ir.Attr):
                root = root.func.obj
            if isinstance(root, ir.Name) and data and (
                    root.id in self.env or self.adopt_captured(root.id, builder=True)):
                self.env[root.id] = join(self.env[root.id], Val(data))
            if recv is not None:
                data |= self.receiver_value(recv).labels
            if data:
                result = Val(data, refs=result.refs)
        binds = self.lang.returned(f"{path}()")
        if binds:
            result = join(result, Val(refs=frozenset({(vendor, binds)})))
        return result

    def pattern_arm(self, e: ir.Call, method: str, args: list[Val]) -> Val:
        """ts-pattern's `match(x).with(p, () => A).otherwise(() => B)`: the value is what
        the arms' handlers return (documenso picks its jobs provider so), not the
        subject matched."""
        assert isinstance(e.func, ir.Attr)
        recv = e.func.obj
        first = isinstance(recv, ir.Call) and not isinstance(recv.func, ir.Attr)
        so_far = EMPTY if first else self.receiver_value(recv)  # the arms before this one
        out = Val(so_far.labels, so_far.fields, frozenset(), so_far.funcs, so_far.classes,
                  so_far.insts, so_far.mods)
        if method in ("with", "when", "otherwise") and args:
            out = join(out, self.call_back(e, len(args) - 1, args[-1],
                                           [(EMPTY, e.args[0] if e.args else ir.LIT)]))
        if method in ("with", "when"):  # the chain goes on
            out = join(out, Val(refs=frozenset({("", PATTERN_CHAIN)})))
        return out

    def person_secret_param(self, fn: ir.Function, label: ParamLabel) -> bool:
        """`get_repos(user_access_token)`: the parameter's name says whose token its
        caller passes."""
        return not label.path and label.index < len(fn.params) \
            and self.prog.tax.is_person_secret(fn.params[label.index].name)

    def own_secret(self, lab: Any) -> bool:
        """The project's own secret given to an SDK helper, as in Stripe's
        `webhooks.constructEvent(body, signature, webhookSecret)` (or a
        `stripeSigningSecret`: its key to that vendor): not in the event it hands back.
        A person's is (send_magic_link's token, `indemnitor.plaid_access_token`)."""
        if not (isinstance(lab, Source) and lab.category == "credentials"):
            return False
        words = name_words(lab.context) if lab.context else set()
        return words <= self.prog.named_vendors.keys() and not self.prog.tax.is_person_secret(
            lab.field.rsplit(".", 1)[-1])  # (`indemnitor_plaid` names a person's)

    def callback_sends(self, e: ir.Call, vendor: str, path: str, fid: str, param: int,
                       bound: Val) -> None:
        """What a registered callback returns is sent (Sentry's `beforeSend(event)`):
        its data reaches the call that registers it, reported there."""
        vals = [EMPTY] * param + [bound]
        call = ir.Call(e.func, tuple(ir.LIT for _ in vals), (), e.pos)
        sent = data_only(self.apply(call, fid, None, vals, []))
        self.sink(e, Sink(vendor, path, (ArgRole("user", pos=0),)), path, [sent], [])

    def sink(self, e: ir.Call, sink: Sink, path: str, args: list[Val],
             kwargs: list[tuple[str, Val]]) -> None:
        reached: list[tuple[Val, str]] = []
        if sink.kind == "unknown":
            reached = [(v, "unknown") for v in [*args, *(v for _, v in kwargs)]]
        else:
            kw = dict(kwargs)
            spreads = [v for k, v in kwargs if k == "**"]  # f(**base, **extra)
            spread = None if not spreads else spreads[0] if len(spreads) == 1 else Val(
                frozenset().union(*(v.labels for v in spreads)),
                {k: f for v in spreads for k, f in (v.fields or {}).items()}
                if all(v.fields is not None for v in spreads) else None)
            named = {role.kw for role in sink.args if role.kw}
            for role in sink.args:
                if role.kw == "**":  # every keyword argument the rule does not name,
                    for k, x, v in zip_kwargs(e, kwargs):  # those a `**extra` dict holds
                        if k == "**" and v.fields is not None:
                            reached.extend((f, role.role) for fk, f in v.fields.items()
                                           if fk not in named)
                            if not v.closed:  # (a model's dump: its fields, no more)
                                reached.append((Val(v.labels), role.role))
                        elif k == "**":
                            reached.append((v, role.role))
                        elif k not in named:  # the keyword names it, as a key would
                            named_by = self.prog.tax.classify(k)  # (reset_token=token),
                            reached.append((v if named_by is not None  # but not the SDK's
                                            and named_by.category == "user_id"  # handle
                                            else self.named_by_key(k, v, x), role.role))
                            # of what it updates (contacts.update(contact_id=record.ref))
                elif role.pos is not None and role.pos < len(args):
                    chosen = args[role.pos:] if role.rest else [args[role.pos]]
                    reached.extend((v, role.role) for v in chosen)
                elif role.kw is not None and role.kw in kw:
                    reached.append((kw[role.kw], role.role))
                elif role.kw is not None and spread is not None:
                    reached.append((self.attr(spread, role.kw, None, None), role.role))
            reached.extend(self.by_contract(e, sink, args, kwargs))
        self.report(e, sink.vendor, path, "data",
                    "high" if sink.kind == "data" else "low", reached)

    def by_contract(self, e: ir.Call, sink: Sink, args: list[Val],
                    kwargs: list[tuple[str, Val]]) -> list[tuple[Val, str]]:
        """What arguments are by the SDK's contract, whatever the code calls the values:
        an identifier argument identifies a person, so does the `id` of a user object
        (`setUser({ id })`), and the catalog's `implies` (Twilio's `to` is a phone)."""
        aligned = len(e.args) == len(args)  # (a spread argument shifts positions)
        out: list[tuple[Val, str]] = []
        for role in sink.args:
            if role.rest or role.role not in ("identifier", "user"):
                continue
            if role.pos is not None and role.pos < len(args):
                if not aligned:
                    continue
                given, v = e.args[role.pos], args[role.pos]
                if role.role == "identifier" and isinstance(given, ir.Obj):  # options:
                    out.extend((self.identifies(x, xv, named=True), "identifier")  # {user_id:
                               for x, xv in entries_named(given, v, USER_ID_KEYS))  # ...}
                elif role.role == "identifier":
                    out.append((self.identifies(given, v), "identifier"))
                elif isinstance(given, ir.Obj):
                    out.extend((self.identifies(x, xv, named=True), "identifier")
                               for x, xv in entries_named(given, v, USER_ID_KEYS))
            elif role.kw is not None and role.role == "identifier":
                out.extend((self.identifies(x, xv), "identifier")
                           for k, x, xv in zip_kwargs(e, kwargs) if k == role.kw)
        for name, category in sink.implies:
            passed = [(x, xv) for k, x, xv in zip_kwargs(e, kwargs) if k == name]
            if aligned:
                for given, v in zip(e.args, args, strict=True):
                    if isinstance(given, ir.Obj):
                        passed.extend(entries_named(given, v, (name,)))
                    elif isinstance(given, ir.Call):  # a request model built in the call:
                        passed.extend((x, self.expr(x)) for k, x in given.kwargs  # Plaid's
                                      if k == name and isinstance(x, ir.Name | ir.Attr | ir.Index))
                        # ItemPublicTokenExchangeRequest(public_token=token)
            passed = [inner for x, xv in passed for inner in (  # {Image: {Bytes: photo}}
                [(y, (xv.fields or {}).get(k, EMPTY)) for k, y in x.entries if isinstance(k, str)]
                if isinstance(x, ir.Obj) else [(x, xv)])]
            for x, xv in passed:
                handed = self.handed_on(x, xv, category)
                out.append((handed, IMPLIED + category) if handed is not None else
                           (self.identifies(x, xv, named=True, category=category),
                            "identifier"))
        return out

    def handed_on(self, given: ir.Expr, v: Val, category: str) -> Val | None:
        """A wrapper's own parameter under a key the contract says holds a kind of data
        (`to: mobile` in `verifyMobile(mobile)`): what the callers pass is that kind of
        data unless it says otherwise (a constant, a setting, data of another kind), so
        the parameter is handed on to them (`apply`)."""
        if category in ("user_id", "credentials") or not isinstance(given, ir.Name) \
                or v.clean or v.text is not None:
            return None
        params = frozenset(lab for lab in v.labels if isinstance(lab, ParamLabel) and not lab.path)
        return Val(params) if params and not any(
            isinstance(lab, Source) for lab in flatten(v)) else None

    def identifies(self, given: ir.Expr, v: Val, named: bool = False,
                   category: str = "user_id") -> Val:
        """What the SDK's identifier argument says by itself: the id of an object that
        is not a business's or a thing's (`mixpanel.people.track_charge(client.id)`,
        `distinct_id=row.uid`) identifies a person, whatever the object is called; so
        does the `id` of the user an SDK is told about (`setUser({id: req.params.id})`:
        `named`, the key says it is an id)."""
        inner = [p for p in given.parts if not isinstance(p, ir.Str)] \
            if isinstance(given, ir.Join) else []
        if len(inner) == 1 and isinstance(inner[0], ir.Attr | ir.Index) \
                and self.prog.tax.is_person(self.context_of(inner[0].obj)):
            given = inner[0]  # `vol-${volunteer.id}`: a person's id, prefixed, is still
            v = self.expr(given)  # theirs (`door-${door.pk}`, `kiosk-${id}` are no one's)
        if any(isinstance(lab, Source) and (category == "user_id" or lab.category == category)
               for lab in flatten(v)) or v.clean or v.text is not None or is_configuration(given) \
                or (category not in ("user_id", "credentials") and isinstance(given, ir.Name)
                    and any(isinstance(lab, ParamLabel) and not lab.path for lab in v.labels)):
            return EMPTY  # (a wrapper's `to` parameter: its callers say what they pass; a
            # token the contract calls a person's, as Plaid's access_token, is one anyway)
        while isinstance(given, ir.Call) and given.args and last_name(given.func) in (
                "str", "String", "toString", "int", "Number"):
            given = given.args[0]  # str(client.id)
        if not isinstance(given, ir.Attr | ir.Index | ir.Name):
            return EMPTY
        name = last_name(given)
        if self.prog.tax.is_sanitiser(name) or (name.isupper() and len(name) > 1):
            return EMPTY  # setUser({id: hashed}), to=OPS_PHONE
        if category in CONTACT and self.prog.tax.is_non_person(name):
            return EMPTY  # name=client.company_name: the company's
        said = self.prog.tax.classify(name, None)
        if said is not None and said.category != category:
            return EMPTY  # setDeviceId(deviceId): the name says what it is
        m = ID_NAME.fullmatch(name)
        owner = (m.group(1) or m.group(2)) if m is not None else None
        if (m is None and not named) or (owner and self.prog.tax.is_non_person(owner)):
            return EMPTY  # (user.orgId, team_id: an organisation's)
        context = self.context_of(given.obj) if isinstance(given, ir.Attr | ir.Index) else ""
        if context and ((self.prog.tax.is_non_person(context) and not self.prog.is_person_noun(
                context.lower(), self.unit)) or is_configuration(given)):
            return EMPTY  # (a `tenant` is a person where the project's Tenant has a name)
        if isinstance(given, ir.Attr | ir.Index) and self.of_things(given.obj):
            return EMPTY  # str(instance.pk) of a `Clinic` instance: the clinic's
        return Val(frozenset({Source(category, expr_text(given), self.span(given.pos),
                                     "identifier argument", context)}))

    def of_things(self, obj: ir.Expr) -> bool:
        """An object known only as instances of classes named for things (`Clinic`,
        `Order`): not a person's record, whatever the variable is called."""
        if not isinstance(obj, ir.Name):
            return False
        insts = self.lookup(obj.id, obj.pos).insts
        return bool(insts) and all(
            (entry := self.prog.classes.get(cid)) is not None
            and self.prog.tax.is_non_person(entry[0].name) and not self.prog.person_class(cid)
            for cid in insts)

    def report(self, e: ir.Call, vendor: str, path: str, kind: str, confidence: str,
               reached: list[tuple[Val, str]], message: str = "") -> None:
        if confidence == "low":  # any call of an inventory SDK: a key or token passed to
            reached = [(strip_credentials(v), r) for v, r in reached]  # it is its auth
        key = (self.module.path, e.pos[0], e.pos[1], vendor)
        acc = FindingAcc(self.span(e.pos), vendor, path, expr_text(e.func), self.scope, kind,
                         confidence, message)
        for v, role in reached:
            v = self.with_records(v, e.pos)
            for lab in flatten(v):
                if isinstance(lab, Source):
                    self.prog.record(key, acc, lab, role)
                    index = self.named_params.get(lab)
                    if index is not None:  # `to_email` at the sink: unless its callers
                        self.named_sinks.add((index, key, role, lab))  # say otherwise
                elif self.fn is not None:
                    self.param_sinks.add((lab, key, role))
                    self.prog.pending.setdefault(key, acc)

    def with_records(self, v: Val, pos: ir.Pos, depth: int = 0) -> Val:
        """A model instance sent whole, also inside an object (`properties: {who:
        member}`), sends the personal fields its class declares."""
        if v.insts and not v.fields and (depth == 0 or not any(
                isinstance(lab, ParamLabel) for lab in v.labels)):  # (a caller's record
            return join(v, Val(fields=self.model_fields(v, pos)))  # holds what it holds)
        if not v.fields or depth >= 3:
            return v
        fields = {k: self.with_records(f, pos, depth + 1) for k, f in v.fields.items()}
        if all(fields[k] is f for k, f in v.fields.items()):
            return v
        return Val(v.labels, fields, v.refs, v.funcs, v.classes, v.insts, v.mods, v.text,
                   v.clean, v.closed)

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
        if fn.bound and fn.cls and recv is not None and len(recv.insts) == 1 \
                and fn.cls not in recv.insts:  # an inherited method, on one subclass
            fid, fn = self.prog.inherited(fid, next(iter(recv.insts)))
        actual, exprs = self.bind_actuals(fn, e, recv, args, kwargs)
        for i, v in actual.items():
            self.prog.bind_param(fid, i, v)
        summary = self.prog.summary(fid, self.unit)
        if summary is None:
            return EMPTY
        step = Step(self.span(e.pos), f"{expr_text(e.func)}(...)", "call")
        named = self.named_by_params(fn, entry[1].path, actual, exprs)
        for label, key, role in summary.sinks:
            v = self.project(actual.get(label.index, EMPTY), label.path,
                             exprs.get(label.index), e.pos)
            if role.startswith(IMPLIED):  # the contract's kind of data, at a wrapper's
                role, v = self.implied(role, v, exprs.get(label.index))  # parameter
            for lab in flatten(v):
                if isinstance(lab, Source):
                    acc = self.prog.pending.get(key)
                    if acc is not None and not (  # a caller's token in a request's header
                            role == "metadata" and acc.kind == "http"  # is its key to the
                            and lab.category == "credentials"  # vendor (http.py), unless
                            and not self.person_secret_param(fn, label)):  # a person's
                        self.prog.record(key, acc, lab.through(step), role)
                elif self.fn is not None:
                    self.param_sinks.add((lab, key, role))
        for index, key, _, src in sorted(summary.named, key=repr):
            self.prog.name_verdict(key, src, self.speaks(actual.get(index),
                                                          exprs.get(index)))
        for deferred in sorted(summary.requests, key=repr):
            self.resolve_request(e, deferred, actual, exprs, step)
        for (path, name), delta in sorted(summary.writes.items()):
            if path == ARGUMENT:
                self.write_argument(exprs.get(int(name)),
                                    self.instantiate(delta, actual, step, named))
                continue
            if path == OUTER:  # a callback of this function filled one of its locals
                if fn.parent is not None and fn.parent == self.unit:
                    self.write_argument(ir.Name(name, e.pos), join(
                        self.instantiate(params_only(delta, FOREIGN), actual, step, named),
                        unenclosed(delta)))
                continue
            self.write_global(path, name, self.instantiate(delta, actual, step, named))
        return self.instantiate(summary.ret, actual, step, named)

    def implied(self, role: str, v: Val, given: ir.Expr | None) -> tuple[str, Val]:
        """What a caller's argument is at a wrapper's parameter that reaches a key of the
        contract's kind (`handed_on`): that kind, by the contract, when the argument is
        data of no known kind (`verifyMobile(body.mobile)`: a phone); handed on again
        when it is this function's own parameter."""
        category = role[len(IMPLIED):]
        if given is None:
            return "identifier", EMPTY
        handed = self.handed_on(given, v, category)
        if handed is not None:
            return role, handed
        return "identifier", self.identifies(given, v, named=True, category=category)

    def resolve_request(self, e: ir.Call, d: Deferred, actual: dict[int, Val],
                        exprs: dict[int, ir.Expr], step: Step) -> None:
        """A callee's request to the URL this call passes: a vendor's URL makes this
        call its sink (`cls.post(TELEGRAM_URL, json=payload)`); a URL this function was
        itself passed hands the request on to its own callers."""
        url = self.project(actual.get(d.url.index, EMPTY), d.url.path,
                           exprs.get(d.url.index), e.pos)
        reached = [(Val(frozenset({lab.through(step)})) if isinstance(lab, Source) else
                    self.project(actual.get(lab.index, EMPTY), lab.path,
                                 exprs.get(lab.index), e.pos), role)
                   for lab, role in sorted(d.reached, key=repr)]
        send(self.prog, self, e, d.library, url.text, url, exprs.get(d.url.index), reached)

    def speaks(self, v: Val | None, given: ir.Expr | None) -> bool:
        """Whether a caller's argument says for itself what a parameter holds, so the
        parameter's name need not: personal data of its own (an email passed as
        `user_id`), a hashed value, a string constant (`"club-server"`, also by name),
        or a setting whose own name is no one's data (`settings.TEAM_INBOX`, not
        `JUNIOR_COACH_EMAIL`). A computed number or string (`len(rows) + 1`,
        `f"aupair_{n}"`) says nothing: an id is made so."""
        if v is not None and any(isinstance(lab, Source) for lab in flatten(v)):
            return True
        if isinstance(given, ir.Name) and v is not None and (
                (v.clean and self.prog.tax.is_sanitiser(given.id))  # emailHash
                or (v.text is not None and not v.labels)):  # MARSHALS_INBOX = "marshals@..."
            return True  # (a sum of debts is clean of labels, and still a debt)
        while isinstance(given, ir.Typed):  # process.env.INBOX as string
            given = given.value
        if isinstance(given, ir.Str):
            return True
        return is_configuration(given) and self.prog.tax.classify(
            last_name(given), None) is None

    def named_by_params(self, fn: ir.Function, path: str, actual: dict[int, Val],
                        exprs: dict[int, ir.Expr]) -> frozenset[tuple[str, Span]]:
        """The sources a function read off its own parameters' names (`def map_url(lat,
        lng)`: coordinates) that this call's arguments speak for: what the caller passes
        is better evidence than what the callee calls it (a zone's centroid passed as
        `lat` is still a zone's). An argument that says nothing of its own about personal
        data (no label, no constant: a field of a vendor's response) leaves the name."""
        span = Span(path, fn.pos[0], fn.pos[1], fn.pos[2], fn.pos[3])
        return frozenset((fn.params[i].name, span) for i, v in actual.items()
                         if i < len(fn.params) and (v.labels or v.clean or v.text is not None
                                                    or self.speaks(v, exprs.get(i))))

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
            else:  # track_application(app, medical_outcome=outcome): into **extra,
                extra[k] = self.named_by_key(k, v, ex)  # the keyword names the value
        if extra and kwp is not None:
            actual[kwp] = join(actual.get(kwp, EMPTY), Val(fields=extra))
        return actual, exprs

    def project(self, v: Val, path: tuple[str, ...], src: ir.Expr | None = None,
                pos: ir.Pos | None = None, step: Step | None = None) -> Val:
        """What the callee read at `path` of a caller's value. The caller's expression
        names the object (`track(current_user)` reading `u.id` is current_user.id)."""
        obj = src if isinstance(src, ir.Name | ir.Attr | ir.Index | ir.Call) else None
        for name in path:
            if name.startswith(ANSWER):  # what the callee's vendor answered about it
                v, obj = answer_of(v, name, step), None
                continue
            v = self.attr(v, name, obj, pos if obj is not None else None)
            obj = ir.Attr(obj, name) if obj is not None else None
        return v

    def instantiate(self, ret: Val, actual: dict[int, Val], step: Step,
                    named: frozenset[tuple[str, Span]] = frozenset(), depth: int = 0) -> Val:
        if ret is EMPTY:
            return EMPTY
        labels: set[Any] = set()
        out = EMPTY
        for lab in ret.labels:
            if isinstance(lab, ParamLabel):
                out = join(out, self.project(actual.get(lab.index, EMPTY), lab.path,
                                             step=step))
            elif not (named and isinstance(lab, Source) and not lab.via
                      and (lab.field, lab.span) in named):
                labels.add(lab)
        fields = None
        if ret.fields is not None and depth < 4:
            fields = {k: self.instantiate(v, actual, step, named, depth + 1)
                      for k, v in ret.fields.items()}
        result = join(out, Val(frozenset(labels), fields, ret.refs, ret.funcs, ret.classes,
                               ret.insts, ret.mods, ret.text, ret.clean))
        if ret.text is not None and result.text is None:  # slackUrl(path) returns
            result = Val(result.labels, result.fields, result.refs, result.funcs,  # a URL
                         result.classes, result.insts, result.mods, ret.text,  # on its host
                         result.clean, result.closed)  # whatever the caller passes
        return result

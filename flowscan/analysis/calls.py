"""Calls: into vendor SDKs (sinks, builders, configuration leaks: sinks.py), into other
libraries (HTTP clients, sanitisers, unknown code) and into the project's own
functions (summaries applied at the call site: summaries.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flowscan import ir
from flowscan.analysis.common import expr_text, last_name
from flowscan.analysis.http import (
    CURL_HANDLE,
    curl_call,
    http_call,
    is_request,
    vendor_for_url,
    vendor_named,
)
from flowscan.analysis.idioms import COPIERS, NO_PROPAGATION, PROMISED, STRING_METHODS, Idioms
from flowscan.analysis.sinks import Sinks, literal, zip_kwargs
from flowscan.analysis.summaries import Summaries
from flowscan.analysis.values import (
    BASE_MARK,
    CLEAN,
    EMPTY,
    Ref,
    Source,
    Val,
    answered,
    data_only,
    join,
)
from flowscan.catalog import MODEL_INPUTS, MODEL_ROUTED, ArgRole, Sink
from flowscan.model import Step

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


class Calls(Summaries, Sinks, Idioms):
    """The call half of the interpreter (mixed into `Frame`)."""

    if TYPE_CHECKING:
        recv_memo: dict[int, tuple[ir.Expr, Val]]

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
        if isinstance(e.func, ir.Attr) and func.refs:
            kept = self.method_refs(e.func.name, func.refs)
            if kept is not None:
                func = Val(func.labels, func.fields, kept, func.funcs, func.classes,
                           func.insts, func.mods)
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

    def method_refs(self, name: str, refs: frozenset[Ref]) -> frozenset[Ref] | None:
        """The SDK paths a method of a value holding `refs` is a call of, when not all of
        them (None): a promise's `then` is not the SDK's API (`import('posthog-js')
        .then(...)`, but Airship's `UA.then(sdk => ...)` is), and a text's own methods
        are the text's (a parameter some caller filled with `await redis.get(key)`)."""
        if name == "then" and self.module.language != "python":
            return frozenset(r for r in refs if not r[0] or r[1] in self.lang.callbacks
                             or self.lang.sink(r[1]) is not None)
        if name in STRING_METHODS:
            return frozenset(r for r in refs if not r[0])
        return None

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


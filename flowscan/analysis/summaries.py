"""A project function's summary applied at a call: which caller value each parameter
receives, what the callee's sinks, requests, writes and return become with the caller's
arguments in place of its parameter labels. Apart from calls.py because it is the
interprocedural half of a call; mixed into `Calls`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.common import (
    ARGUMENT,
    FOREIGN,
    OUTER,
    Deferred,
    FrameParts,
    expr_text,
)
from flowscan.analysis.http import send
from flowscan.analysis.sinks import IMPLIED
from flowscan.analysis.values import (
    ANSWER,
    EMPTY,
    MAX_FIELDS_DEPTH,
    ParamLabel,
    Source,
    Val,
    answer_of,
    flatten,
    join,
    params_only,
)
from flowscan.model import Span, Step

if TYPE_CHECKING:
    pass


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


class Summaries(FrameParts):
    """Callees' summaries at the call site (mixed into `Calls`)."""

    if TYPE_CHECKING:
        param_sinks: set[Any]

        def write_global(self, path: str, name: str, delta: Val) -> None: ...
        def write_argument(self, given: ir.Expr | None, delta: Val) -> None: ...
        def implied(self, role: str, v: Val, given: ir.Expr | None) -> tuple[str, Val]: ...
        def speaks(self, v: Val | None, given: ir.Expr | None) -> bool: ...
        def person_secret_param(self, fn: ir.Function, label: ParamLabel) -> bool: ...

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
                    if acc is None:  # its unit not run again yet after an edit
                        self.prog.await_sink(key)
                    elif not (  # a caller's token in a request's header
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

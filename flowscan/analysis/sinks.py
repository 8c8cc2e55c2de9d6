"""Vendor sinks: what a call into a vendor SDK sends (the catalog's argument roles,
what arguments are by the SDK's contract, builders that hold data until a sink sends
it, configuration that collects data by itself) and the findings it records. Apart
from calls.py so that the call dispatch reads on its own; mixed into `Calls`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.common import (
    SINK_KEY,
    FindingAcc,
    FrameParts,
    expr_text,
    is_configuration,
    last_name,
    strip_credentials,
)
from flowscan.analysis.values import (
    EMPTY,
    ParamLabel,
    Source,
    Val,
    data_only,
    flatten,
    join,
)
from flowscan.catalog import ArgRole, Sink, name_words

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


class Sinks(FrameParts):
    """The vendor half of `Calls`: sinks, builders, configuration leaks, findings."""

    if TYPE_CHECKING:
        scope: str
        param_sinks: set[Any]
        named_params: dict[Source, int]
        named_sinks: set[tuple[int, SINK_KEY, str, Source]]

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
                    self.prog.sink_met(key, acc)  # as this run sees the sink

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

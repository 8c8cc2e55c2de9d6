"""The abstract values of the taint analysis.

A ``Val`` is what the analysis knows about a runtime value: which personal-data
sources and which caller parameters it carries (``labels``), its known keys
(``fields``, for field sensitivity), which vendor SDK object it is (``refs``), and which
of the project's functions, classes, instances and modules it may be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowscan.model import Span, Step
from flowscan.pickling import by_fields

MAX_FIELDS_DEPTH = 8  # LLM message lists nest five deep
MAX_VIA = 6
MAX_PARAM_PATH = 3
MAX_REFS = 8
MAX_TARGETS = 24


@by_fields
@dataclass(frozen=True, slots=True, order=True)
class Source:
    """A personal-data field read at ``span``; ``via`` lists the calls it crossed."""

    category: str
    field: str
    span: Span
    pattern: str = ""
    context: str = ""
    via: tuple[Step, ...] = ()

    def through(self, step: Step) -> Source:
        if len(self.via) >= MAX_VIA or step in self.via:
            return self
        return Source(self.category, self.field, self.span, self.pattern, self.context,
                      (*self.via, step))


@by_fields
@dataclass(frozen=True, slots=True, order=True)
class ParamLabel:
    """Whatever the caller passes as parameter ``index``, read at ``path``."""

    index: int
    path: tuple[str, ...] = ()

    def child(self, name: str) -> ParamLabel:
        if len(self.path) >= MAX_PARAM_PATH:
            return self
        return ParamLabel(self.index, (*self.path, name))


Label = Source | ParamLabel
Ref = tuple[str, str]  # (vendor id or "" for other libraries, call path)


NOTHING: frozenset[Any] = frozenset()
_DEFAULTS = (NOTHING, None, NOTHING, NOTHING, NOTHING, NOTHING, NOTHING, None, False, False)


class Val:
    __slots__ = ("labels", "fields", "refs", "funcs", "classes", "insts", "mods", "text",
                 "clean", "closed", "_key")

    def __init__(
        self,
        labels: frozenset[Label] = frozenset(),
        fields: dict[str, Val] | None = None,
        refs: frozenset[Ref] = frozenset(),
        funcs: frozenset[tuple[str, Val | None]] = frozenset(),
        classes: frozenset[str] = frozenset(),
        insts: frozenset[str] = frozenset(),
        mods: frozenset[str] = frozenset(),
        text: str | None = None,
        clean: bool = False,
        closed: bool = False,
    ) -> None:
        self.labels = labels
        self.fields = fields
        self.refs = refs
        self.funcs = funcs
        self.classes = classes
        self.insts = insts
        self.mods = mods
        self.text = text  # constant string value, when known
        self.clean = clean  # a literal or a sanitised value: never personal
        self.closed = closed  # a literal dict/object/list: its keys are all known
        self._key: tuple[object, ...] | None = None  # values are never changed once built

    def with_text(self, text: str | None) -> Val:
        """This value, known to be the constant `text` (a URL default, say)."""
        return Val(self.labels, self.fields, self.refs, self.funcs, self.classes, self.insts,
                   self.mods, text, self.clean, self.closed)

    def __reduce__(self) -> tuple[type[Val], tuple[object, ...]]:
        # a call, not the slots' state: twice as fast to load, and the memoised key
        # (as large as the value) stays out of the stored program state. Trailing
        # defaults are left out and every empty set is one object (pickled once, then
        # referred to): most values hold labels only, and loading a fifth faster
        parts = [self.labels or NOTHING, self.fields, self.refs or NOTHING,
                 self.funcs or NOTHING, self.classes or NOTHING, self.insts or NOTHING,
                 self.mods or NOTHING, self.text, self.clean, self.closed]
        while parts and parts[-1] is _DEFAULTS[len(parts) - 1]:
            parts.pop()
        return Val, tuple(parts)

    def is_empty(self) -> bool:
        return not (self.labels or self.fields or self.refs or self.funcs or self.classes
                    or self.insts or self.mods)

    def opaque(self) -> bool:
        """Nothing known: its name is the best evidence of what it holds."""
        return self.is_empty() and self.text is None and not self.clean

    def key(self, depth: int = 0) -> tuple[object, ...]:
        if depth == 0:
            if self._key is None:
                self._key = self._compute_key(0)
            return self._key
        return self._compute_key(depth)

    def _compute_key(self, depth: int) -> tuple[object, ...]:
        fields = ()
        if self.fields and depth < MAX_FIELDS_DEPTH:
            fields = tuple(sorted((k, v.key(depth + 1)) for k, v in self.fields.items()))
        return (self.labels, fields, self.refs,
                frozenset((f, r.key(depth + 1) if r is not None and depth < 2 else None)
                          for f, r in self.funcs),
                self.classes, self.insts, self.mods, self.text, self.clean, self.closed)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Val) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        parts = [f"{k}={getattr(self, k)!r}" for k in self.__slots__ if k != "_key"
                 if getattr(self, k) not in (frozenset(), None, False)]
        return f"Val({', '.join(parts)})"


EMPTY = Val()
CLEAN = Val(clean=True)


def join(a: Val, b: Val, depth: int = 0) -> Val:
    if a is b or b is EMPTY:
        return a
    if a is EMPTY:
        return b
    fields: dict[str, Val] | None
    if a.fields is None or depth >= MAX_FIELDS_DEPTH:
        fields = b.fields if depth < MAX_FIELDS_DEPTH else None
    elif b.fields is None:
        fields = a.fields
    else:
        fields = dict(a.fields)
        for k, v in b.fields.items():
            fields[k] = join(fields[k], v, depth + 1) if k in fields else v
    refs = a.refs | b.refs
    if len(refs) > MAX_REFS:  # library paths are hints; vendor paths are kept whole
        vendor = [r for r in refs if r[0]]
        library = sorted(r for r in refs if not r[0])[: max(0, MAX_REFS - len(vendor))]
        refs = frozenset([*vendor, *library])
    return Val(
        a.labels | b.labels, fields, refs, _cap(a.funcs | b.funcs),
        _cap(a.classes | b.classes), _cap(a.insts | b.insts), a.mods | b.mods,
        _text(a, b), a.clean and b.clean, a.closed and b.closed,
    )


def _text(a: Val, b: Val) -> str | None:
    """The constant a join still is: theirs if they agree, or if the other side knew
    nothing yet (a class attribute first stored before the module global it is read
    from was: `self.base_url = HOSTS["sandbox"]`), or the site two URLs share."""
    if a.text == b.text:
        return a.text
    if a.text is None and a.opaque():
        return b.text
    if b.text is None and b.opaque():
        return a.text
    return same_site(a.text, b.text)


def same_site(a: str | None, b: str | None) -> str | None:
    """Two URLs on one site (`https://sandbox.plaid.com`, `https://production.plaid.com`,
    one per environment) stand for that site: the first of them, else nothing."""
    if a is None or b is None or "://" not in a or "://" not in b:
        return None
    hosts = [u.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower() for u in (a, b)]
    sites = [".".join(h.rsplit(".", 2)[-2:]) for h in hosts]
    return min(a, b) if sites[0] == sites[1] and "." in sites[0] else None


def _cap(items: frozenset[Any]) -> frozenset[Any]:
    """A value that may be any of hundreds of functions or classes (a dispatch table,
    a node hierarchy) resolves calls to the first MAX_TARGETS of them, deterministically:
    precision there was already gone, and memory and time would not be bounded."""
    if len(items) <= MAX_TARGETS:
        return items
    return frozenset(sorted(items, key=repr)[:MAX_TARGETS])


def join_all(vals: list[Val] | tuple[Val, ...]) -> Val:
    out = EMPTY
    for v in vals:
        out = join(out, v)
    return out


def flatten(v: Val, depth: int = 0) -> frozenset[Label]:
    """Every label a value carries, inside its fields too: what a sink receives."""
    if not v.fields or depth >= MAX_FIELDS_DEPTH:
        return v.labels
    out = set(v.labels)
    for f in v.fields.values():
        out |= flatten(f, depth + 1)
    return frozenset(out)


ANSWER = "=>"  # a parameter path step: what a vendor answered of it (`=>address:location`)
# what an answer says about itself, not about what it was asked (`data.get("status")`;
# not `message`: a language model's reply is `choices[0].message.content`)
ANSWER_META = frozenset({"status", "status_code", "statusText", "ok", "error", "errors",
                         "error_message", "code", "attribution", "query", "type"})


def answered(sent: list[Val], pairs: tuple[tuple[str, str], ...], step: Step | None) -> Val:
    """What a vendor sends back about what it was sent, as catalog `answers` declare:
    a geocoder's coordinates for a person's address are that person's location. Of a
    parameter, the caller's value answered so (a path step, see `answer_of`). `step`:
    the call, an `answer` step of the flow."""
    labels: set[Label] = set()
    for lab in frozenset().union(*(flatten(v) for v in sent)) if sent else ():
        for sends, gives in pairs:
            if isinstance(lab, Source) and lab.category == sends:
                made = Source(gives, lab.field, lab.span, lab.pattern, lab.context, lab.via)
                labels.add(made.through(step) if step is not None else made)
            elif isinstance(lab, ParamLabel) and len(lab.path) < MAX_PARAM_PATH:
                labels.add(ParamLabel(lab.index, (*lab.path, f"{ANSWER}{sends}:{gives}")))
    return Val(frozenset(labels)) if labels else EMPTY


def answer_of(v: Val, step_name: str, step: Step | None) -> Val:
    """A caller's value as a callee's vendor answered it (`answered`, its parameter path
    step `=>address:location`); `step`: the call of the callee."""
    sends, _, gives = step_name[len(ANSWER):].partition(":")
    return answered([v], ((sends, gives),),
                    Step(step.span, step.expr, "answer") if step is not None else None)


def is_answer(lab: Label) -> bool:
    """A label of what a vendor answered (`answered`), not of what the code holds."""
    if isinstance(lab, ParamLabel):
        return any(part.startswith(ANSWER) for part in lab.path)
    return any(step.kind == "answer" for step in lab.via)


def data_only(v: Val, depth: int = 0) -> Val:
    """A value's data and shape without the objects it holds (clients, managers,
    functions): what a record keeps of its constructor's arguments."""
    fields = v.fields
    if fields and depth < MAX_FIELDS_DEPTH:
        fields = {k: data_only(f, depth + 1) for k, f in fields.items()}
    if not v.labels and not fields:
        return EMPTY if fields is None else Val(fields={})
    return Val(v.labels, fields)


def taint_only(v: Val) -> Val:
    """The data of a value without its identity: what an unknown call passes on."""
    labels = flatten(v)
    return Val(labels) if labels else EMPTY


def truncate(v: Val, depth: int) -> Val:
    """The value with its fields cut at `depth` (what lies below is kept as plain
    labels): summaries of recursive builders stop growing one level per pass."""
    if not v.fields:
        return v
    if depth <= 0:
        return Val(flatten(v), None, v.refs, v.funcs, v.classes, v.insts, v.mods)
    return Val(v.labels, {k: truncate(f, depth - 1) for k, f in v.fields.items()}, v.refs,
               v.funcs, v.classes, v.insts, v.mods, v.text, v.clean, v.closed)


# fields of what a vendor returns (`intent.amount`, `obj.id.total`), not sub-clients
RESPONSE_FIELDS = frozenset({
    "id", "data", "amount", "total", "status", "result", "results", "items", "body",
    "json", "text", "value", "values", "count", "metadata", "object", "response",
    "content", "choices", "message", "usage", "error", "errors", "headers",
    "url", "name", "email", "type", "created", "currency", "payment_intent", "charges",
    "captured_amount", "amount_received", "client_secret", "last_response",
})


def client_like(path: str) -> bool:
    """An SDK module, class or object (`posthog`, `stripe.Customer`,
    `openai.OpenAI().chat.completions`, `HubSpot().crm.contacts.basic_api`), not data
    read off a vendor's response (`stripe.StripeObject().id.total`): a few names past
    the last call at most, none of them a response's field."""
    if "()" in path:
        tail, most = path.rsplit("()", 1)[-1].split(".")[1:], 3
    else:
        tail, most = path.split(".")[1:], 3  # sentry_sdk.Hub.current.scope
    return len(tail) <= most and not any(part.removesuffix("()") in RESPONSE_FIELDS
                                         for part in path.split(".")[1:])


BASE_MARK = "@"  # a library ref "@https://api.x.com": an HTTP client's base URL


def shareable(v: Val, keep: frozenset[str], depth: int = 0) -> Val:
    """What a value looks like to other units (summaries, class attributes, module
    globals): paths into ordinary libraries are dropped, except those `keep` names
    (HTTP clients), and so is data read off a vendor's response (`intent.amount`), so
    shared stores converge instead of churning on noise."""
    refs = frozenset(r for r in v.refs if (r[0] and client_like(r[1])) or r[1].split(
        ".", 1)[0].removesuffix("()") in keep or r[1].startswith(BASE_MARK))
    fields = v.fields
    if fields and depth < MAX_FIELDS_DEPTH:
        fields = {k: shareable(f, keep, depth + 1) for k, f in fields.items()}
    funcs = frozenset((f, None) for f, _ in v.funcs) if any(r is not None for _, r in v.funcs) \
        else v.funcs  # bound receivers are the caller's business
    if refs == v.refs and fields is v.fields and funcs is v.funcs:
        return v
    return Val(v.labels, fields, refs, funcs, v.classes, v.insts, v.mods, v.text, v.clean,
               v.closed)


def params_only(v: Val, below: int, depth: int = 0) -> Val:
    """The part of a value that came from the parameters numbered below `below`, at
    every depth: what a call's arguments put where the function put its parameters."""
    fields = None
    if v.fields and depth < MAX_FIELDS_DEPTH:
        fields = {k: f for k, f in ((k, params_only(f, below, depth + 1))
                                    for k, f in v.fields.items()) if not f.is_empty()}
    labels = frozenset(lab for lab in v.labels
                       if isinstance(lab, ParamLabel) and lab.index < below)
    if not labels and not fields:
        return EMPTY
    return Val(labels, fields or None)


def without_params(v: Val, depth: int = 0) -> Val:
    """A value as a shared store keeps it: data sources only, at every depth
    (`self.headers = {"Authorization": options["token"]}` holds no caller's token)."""
    fields = v.fields
    if fields and depth < MAX_FIELDS_DEPTH:
        fields = {k: without_params(f, depth + 1) for k, f in fields.items()}
    return Val(frozenset(lab for lab in v.labels if isinstance(lab, Source)), fields,
               v.refs, frozenset((f, None) for f, _ in v.funcs), v.classes, v.insts,
               v.mods, v.text, v.clean, v.closed)


"""What the interpreter and the engine share: sink keys, the finding accumulator,
summaries, and how an expression is named in reports."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.analysis.values import EMPTY, ParamLabel, Source, Val, flatten
from flowscan.model import Span
from flowscan.taxonomy import normalise

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program
    from flowscan.catalog import LanguageIndex

SINK_KEY = tuple[str, int, int, str]


class FrameParts:
    """What the mixins of `Frame` (fields, calls, sinks, summaries, idioms, bindings)
    use of one another: declared once, for the type checker; nothing at run time."""

    if TYPE_CHECKING:
        prog: Program
        module: ir.Module
        fn: ir.Function | None
        unit: str
        env: dict[str, Val]
        lang: LanguageIndex

        def expr(self, e: ir.Expr) -> Val: ...
        def attr(self, v: Val, name: str, obj: ir.Expr | None, pos: ir.Pos | None,
                 key: bool = False) -> Val: ...
        def span(self, pos: ir.Pos) -> Span: ...
        def lookup(self, name: str, pos: ir.Pos) -> Val: ...
        def context_of(self, obj: ir.Expr | None) -> str: ...
        def adopt_captured(self, name: str, builder: bool = False) -> bool: ...
        def receiver_value(self, obj: ir.Expr) -> Val: ...
        def model_fields(self, v: Val, pos: ir.Pos | None) -> dict[str, Val]: ...
        def assign(self, target: ir.Target, value: Val, weak: bool,
                   src: ir.Expr | None = None) -> None: ...
        def apply(self, e: ir.Call, fid: str, recv: Val | None, args: list[Val],
                  kwargs: list[tuple[str, Val]]) -> Val: ...
        def named_by_key(self, key: str, v: Val, value: ir.Expr, context: str | None = None
                         ) -> Val: ...


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


FOREIGN = 1000  # parameter labels of enclosing functions, as closures see them (bindings.py)
# Summary.writes key (ARGUMENT, "i"): what the function put into its i-th parameter's
# object (`params.append("To", phone)`, `d["email"] = ...`): the caller's object gets it
ARGUMENT = "#argument"
# (OUTER, name): what a closure put into a local of the function around it
OUTER = "#outer"


@dataclass(frozen=True)
class Deferred:
    """An HTTP request whose URL a caller passes in (`def post(url, json): requests.post(
    url, json=json)`): whose it is is known where a caller passes a vendor's URL, so that
    call reports it. `reached` holds what the request sends, as sources and parameters
    with their roles."""

    url: ParamLabel
    library: str
    reached: frozenset[tuple[Source | ParamLabel, str]]


@dataclass
class Summary:
    ret: Val = EMPTY
    sinks: frozenset[tuple[ParamLabel, SINK_KEY, str]] = frozenset()
    env: dict[str, Val] = field(default_factory=dict)
    # (module path, global name) -> what of the parameters the function puts into that
    # module-level container (`buffer.push({...attrs})`): each call writes its arguments
    writes: dict[tuple[str, str], Val] = field(default_factory=dict)
    requests: frozenset[Deferred] = frozenset()
    # sources read off a parameter's own name that reached a sink here (index, sink,
    # role, source): each caller says whether its argument speaks for it instead
    named: frozenset[tuple[int, SINK_KEY, str, Source]] = frozenset()

    def key(self) -> tuple[Any, ...]:
        return (self.ret.key(), self.sinks,
                tuple(sorted((k, v.key()) for k, v in self.env.items())),
                tuple(sorted((k, v.key()) for k, v in self.writes.items())), self.requests,
                self.named)


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
        if isinstance(e.func, ir.Attr) and e.func.name == "get" and e.args \
                and isinstance(e.args[0], ir.Str):
            return f'{expr_text(e.func.obj, depth + 1)}.get("{e.args[0].value}")'
        return f"{expr_text(e.func, depth + 1)}()"
    if isinstance(e, ir.Op) and e.parts:  # (a or {}).id
        return expr_text(e.parts[0], depth + 1)
    if isinstance(e, ir.Typed):  # (req.query as Params).id
        return expr_text(e.value, depth + 1)
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
    """The app's own settings and environment: its API keys are not a person's.

    Asked of the same expression on every run of its unit (105,000 times in a cold
    scan of formbricks, for 49,000 expressions): the answer is kept by the node's
    identity, the node held with it so that its id is not reused."""
    if obj is None:
        return False
    kept = _CONFIGURATION.get(id(obj))
    if kept is not None and kept[0] is obj:
        return kept[1]
    if len(_CONFIGURATION) >= 1 << 18:
        _CONFIGURATION.clear()
    found = _is_configuration(obj)
    _CONFIGURATION[id(obj)] = (obj, found)
    return found


_CONFIGURATION: dict[int, tuple[ir.Expr, bool]] = {}


def _is_configuration(obj: ir.Expr) -> bool:
    name = last_name(obj)  # CLEARBIT_CONFIG, appConfig, stripeSettings
    if name.lstrip("_") in CONFIG_NAMES or (not name.islower() and CONFIG_WORDS.search(name)):
        return True
    root = obj
    while isinstance(root, ir.Attr | ir.Index):  # CLEARBIT_CONFIG.apiKey
        root = root.obj
    name = last_name(root)
    if root is not obj and not name.islower() and CONFIG_WORDS.search(name):
        return True
    if isinstance(root, ir.Call) \
            and CONFIG_GETTER.fullmatch(last_name(root.func)):  # get_settings().X
        return True
    return _CONFIG_ROOT.match(expr_text(obj)) is not None


CONFIG_WORDS = re.compile(r"(?i)(config|settings|environ)(?![a-z])|_ENV$")
CONFIG_NAMES = {"config", "settings", "conf", "env", "cfg", "options", "opts"}
CONFIG_GETTER = re.compile(r"(?i)_*(get|load|use|read)_?(app_?|runtime_?)?(settings|config)")
_CONFIG_ROOT = re.compile("(?:" + "|".join(re.escape(r) for r in CONFIG_ROOTS) + r")(?:\.|$)")


PROJECT_KEYS = {"apikey", "api_key", "api_secret", "write_key", "writekey", "secret_key",
                "app_key", "server_key", "client_secret", "access_key", "rest_api_key",
                "project_key", "site_key", "license_key", "dsn", "account_sid"}


ORGANISATION_APIS = frozenset({"companies", "company", "organizations", "organization",
                               "organisations", "organisation"})
ORGANISATION_DATA = frozenset({"name", "email", "phone", "address", "location"})


def organisation_contact(sink_path: str, category: str) -> bool:
    """A name, phone or address sent to a vendor's API for organisations (HubSpot's
    `crm.companies.basic_api.create`, Intercom's companies) is the organisation's."""
    return category in ORGANISATION_DATA and organisation_api(sink_path)


@lru_cache(maxsize=4096)
def organisation_api(sink_path: str) -> bool:
    return not ORGANISATION_APIS.isdisjoint(
        part.removesuffix("()") for part in sink_path.split("."))


def is_project_key(field: str) -> bool:
    """A key the project holds for a vendor's API (`settings.AMPLITUDE_API_KEY`,
    `api_key`): how it authenticates, not a person's secret."""
    last = normalise(field.rsplit(".", 1)[-1].strip("'\"[]"))  # amplitudeApiKey too
    return last in PROJECT_KEYS or last.endswith(("_api_key", "_apikey", "_write_key",
                                                  "_secret_key", "_server_key", "_api_secret",
                                                  "_app_secret"))


def key_meaning(key: str, entries: Iterable[tuple[Any, Any]]) -> str | None:
    """OAuth's token request (`{code, client_id, client_secret}`): its `code` is the
    person's authorization code, exchanged for their access token. (The other keys are
    looked at only for a `code`: this runs for every key of every object literal.)"""
    if key == "code" and any(isinstance(k, str) and normalise(k) == "client_secret"
                             for k, _ in entries):
        return "authorization_code"
    return None


def without_credentials(labels: Iterable[Any], keep: Callable[[str], bool] | None = None
                        ) -> frozenset[Any]:
    """`keep`: the secrets that stay, by the last part of their field's name."""
    return frozenset(lab for lab in labels
                     if not (isinstance(lab, Source) and lab.category == "credentials")
                     or (keep is not None and keep(lab.field.rsplit(".", 1)[-1])))


def strip_credentials(v: Val, keep: Callable[[str], bool] | None = None) -> Val:
    labels = flatten(v)
    kept = without_credentials(labels, keep)
    return v if kept == labels else Val(kept)


# Per-request state: a middleware or dependency writes it, a handler in another file reads
# it back by attribute name (Starlette's request.state, Koa's ctx.state, Express's
# res.locals and req.<name>, SvelteKit's event.locals, Flask's g, Django's request.<name>);
# and the app's (Starlette's app.state, Express's app.locals, Flask's app.extensions), set
# at start-up
REQUEST_STATE = "<request state>"  # the store's key, as a class id (engine.class_attr)
PROVIDED = "<provided>"  # Vue's app.provide(KEY, value) / inject(KEY), by the key's name
REQUEST_NAMES = frozenset({"request", "req", "ctx", "context", "event", "res", "response"})
STATE_HOLDERS = frozenset({"state", "locals", "extensions"})  # (Flask: app.extensions["sms"])
REQUEST_OWN = frozenset({  # what the framework itself puts on a request, not a middleware
    "body", "query", "params", "headers", "cookies", "signedCookies", "session", "method",
    "url", "originalUrl", "path", "ip", "ips", "app", "protocol", "hostname", "files", "file",
    "GET", "POST", "META", "FILES", "COOKIES", "data", "form", "json", "args", "values",
    "path_params", "query_params", "client", "scope", "route", "raw", "socket", "next"})


def request_state_key(obj: ir.Expr | None, name: str, flask_g: bool) -> bool:
    """Whether `<obj>.<name>` is a slot of per-request state (`flask_g`: obj is Flask's
    imported `g`)."""
    if isinstance(obj, ir.Attr):  # (and the app's: app.state, request.app.state)
        return obj.name in STATE_HOLDERS \
            and last_name(obj.obj) in REQUEST_NAMES | {"app", "current_app"} \
            and isinstance(obj.obj, ir.Name | ir.Attr)
    if isinstance(obj, ir.Name):  # (SvelteKit's `locals` destructured from the event)
        return flask_g or obj.id == "locals" or (
            obj.id in ("req", "request") and name not in REQUEST_OWN
            and name not in STATE_HOLDERS)
    return False


ORM_CLIENTS = frozenset({"db", "tx", "trx", "client", "database", "orm"})


def orm_client(obj: ir.Expr) -> bool:
    """`prisma`, `this.prisma`, `db`, a transaction's `tx`: what a Prisma client is
    called (its model properties are the project's models)."""
    name = last_name(obj).lower()
    return "prisma" in name or name in ORM_CLIENTS


def provide_key(e: ir.Expr) -> str | None:
    """The name a provided value is found by: `PostHogKey` (an InjectionKey constant
    both sides import), `'posthog'`."""
    if isinstance(e, ir.Str):
        return e.value
    if isinstance(e, ir.Name | ir.Attr):
        return last_name(e) or None
    return None

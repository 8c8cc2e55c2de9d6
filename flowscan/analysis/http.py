"""Raw HTTP requests as vendor sinks: a request to a catalog vendor's API host (or to a
host the code's names say is a vendor's) sends its body as data and its URL and headers
as metadata."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flowscan import ir
from flowscan.analysis.common import FOREIGN, Deferred, expr_text, strip_credentials
from flowscan.analysis.values import CLEAN, ParamLabel, Val, answered, flatten
from flowscan.catalog import HTTP_CLIENTS, URL_WORDS, name_parts, name_words
from flowscan.model import Step

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program
    from flowscan.analysis.frame import Frame

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "request", "urlopen", "fetch",
                "send", "stream", "head", "options", "sendBeacon",
                "ofetch"}  # import { ofetch } from "ofetch"
HTTP_DATA_KWARGS = {"json": "properties", "data": "properties", "params": "properties",
                    "body": "properties", "content": "content", "headers": "metadata",
                    "fields": "properties"}
# words in a file's text that say it may send a request itself (engine.load_requesters)
REQUEST_WORDS = frozenset({"requests", "httpx", "aiohttp", "urllib3", "urlopen", "pycurl",
                           "fetch", "axios", "superagent", "undici", "ofetch"})
REQUEST_OPTIONS = frozenset({"body", "headers", "auth"})  # an options object, not the data
GENERIC_WORDS = frozenset({"self", "this", "config", "settings", "env", "process", "os",
                           "environ", "cfg", "conf", "options", "opts", "app", "current",
                           # the API a client posts to, not whose it is: `self.events_url`
                           # in datadog.py is DataDog's events API
                           "events", "event", "track", "tracking", "ingest", "collect",
                           "capture", "logs", "log", "metrics", "messages", "notify"})


def _library(path: str) -> str:
    library = path.split(".", 1)[0].removesuffix("()")
    return "urllib.request" if library == "urllib" and "request" in path else library


def is_request(path: str) -> bool:
    """`requests.get`, `fetch`, `httpx.AsyncClient().post`: an HTTP request, whose
    response holds what the server sends back, never the request's keys."""
    head, _, method = path.rpartition(".")
    return _library(path) in HTTP_CLIENTS and (not head or method in HTTP_METHODS)


def http_call(prog: Program, frame: Frame, e: ir.Call, path: str, args: list[Val],
              kwargs: list[tuple[str, Val]], base: str | None = None,
              any_client: bool = False) -> Val | None:
    """A request to a catalog vendor's API host is a sink of that vendor: the body is
    data, headers and URL are metadata. `base`: the client's base URL, for a
    relative one (`axios.create({baseURL})`, `httpx.Client(base_url=...)`).
    `any_client`: the receiver is unknown (`ctx["http"].post(URL, ...)`), the
    method name and a vendor URL decide."""
    head, _, method = path.rpartition(".")
    if _library(path) not in HTTP_CLIENTS and not any_client:
        return None
    if head and method not in HTTP_METHODS:  # httpx.AsyncClient().post, axios.create().get
        return None
    # requests.request("POST", url, json=...), httpx.stream(method, url): the method first
    at = 1 if method in ("request", "stream") and len(args) >= 2 and len(e.args) >= 2 \
        and "://" not in (args[0].text or "") else 0
    url = args[at].text if args else None
    kw = dict(kwargs)
    url_val = args[at] if args else kw.get("url")
    if url is None and "url" in kw:
        url = kw["url"].text
    base = base or request_base(args[at + 1:])
    if base and (not url or "://" not in url):
        url = base.rstrip("/") + "/" + (url or "").lstrip("/")
    reached: list[tuple[Val, str]] = [(args[at], "metadata")] if args else []
    for v in args[at + 1:]:  # fetch(url, {method, headers, body}): only the body is data
        if v.fields is not None and not REQUEST_OPTIONS.isdisjoint(v.fields):
            reached.extend((f, "properties" if k in ("body", "data", "json") else
                            "metadata") for k, f in v.fields.items() if k != "auth")
            if not v.closed and any(isinstance(lab, ParamLabel) for lab in v.labels):
                # `{ ...init, headers }`: the caller's options, its body among them
                reached.append((Val(frozenset(lab for lab in v.labels
                                              if isinstance(lab, ParamLabel))), "properties"))
        else:  # (axios's `auth: {username, password}` is the project's login to the API)
            reached.append((v, "properties"))
    for name, v in kwargs:
        if name != "auth":  # requests' auth=(ACCOUNT_SID, token): the same
            reached.append((v, HTTP_DATA_KWARGS.get(name, "metadata")))
    url_expr = e.args[at] if e.args else dict(e.kwargs).get("url")
    ids = frame.ids_in_path(url_expr, e.pos)  # .../contacts/{existing}: a person's id
    if ids.labels:
        reached.append((ids, "identifier"))
    return send(prog, frame, e, path, url, url_val, url_expr, reached)


def request_base(options: list[Val]) -> str | None:
    """The base URL a request is given with its options, axios's per-request config:
    `post('/contacts', body, {baseURL, headers})`."""
    return next((f.text for v in options if (f := (v.fields or {}).get("baseURL")) is not None
                 and f.text and "://" in f.text), None)


def send(prog: Program, frame: Frame, e: ir.Call, path: str, url: str | None,
         url_val: Val | None, url_expr: ir.Expr | None, reached: list[tuple[Val, str]]
         ) -> Val | None:
    """Report a request at `e` if its URL (text, or the names it is built from) is a
    vendor's; one whose URL is a parameter of the function is left to its callers."""
    if url and "://" in url:
        vendor = vendor_for_url(prog, url)
    else:  # the host comes from configuration: what names it, or the code around it
        vendor = vendor_named(prog, frame, url_expr)
        if vendor is None and url is None and url_val is not None:
            defer(frame, e, path, url_val, reached)
    if vendor is None:
        return None
    # a token in a header or the URL is the project's key to the vendor's API, unless
    # its name says it is a person's (`Authorization: Bearer {user_access_token}`)
    reached = [(strip_credentials(v, prog.tax.is_person_secret) if r == "metadata" else v, r)
               for v, r in reached
               if r != "metadata" or not v.clean]
    frame.report(e, vendor, path, "http", "high", reached)
    pairs = prog.catalog.answers(vendor, url or (expr_text(url_expr) if url_expr else ""),
                                 frame.fn.name if frame.fn else "")
    if pairs:  # a geocoding request's response: the coordinates of the address sent,
        got = answered([v for v, _ in reached], pairs,  # read off it as calls.py's
                       Step(frame.span(e.pos), f"{expr_text(e.func)}(...)", "answer"))
        return Val(got.labels, refs=frozenset({("", f"{path}()")}))  # library_call does
    return Val()


def defer(frame: Frame, e: ir.Call, path: str, url: Val,
          reached: list[tuple[Val, str]]) -> None:
    """A request to a URL the function's caller passes (one parameter, the one named a
    URL when the URL is built from several): the caller that passes a vendor's URL
    reports it, with what the request sends."""
    fn = frame.fn
    if fn is None:
        return
    params = sorted(lab for lab in url.labels if isinstance(lab, ParamLabel)
                    and not lab.path and lab.index < min(FOREIGN, len(fn.params))
                    and not (lab.index == 0 and fn.bound))
    if len(params) > 1:
        params = [lab for lab in params if name_words(fn.params[lab.index].name) & URL_WORDS]
    if len(params) != 1:
        return
    sent = frozenset((lab, role) for v, role in reached
                     for lab in flatten(frame.with_records(v, e.pos)))
    frame.deferred.add(Deferred(params[0], path, sent))


# pycurl: a handle's options are set one by one, perform() sends them
CURL_OPTIONS = {"URL": "url", "POSTFIELDS": "body", "COPYPOSTFIELDS": "body",
                "READDATA": "body", "HTTPPOST": "body", "HTTPHEADER": "headers"}
CURL_HANDLE = "pycurl.Curl()."


def curl_call(prog: Program, frame: Frame, e: ir.Call, path: str, args: list[Val]
              ) -> Val | None:
    """`c.setopt(pycurl.URL, url)`, `c.setopt(pycurl.POSTFIELDS, body)`, then
    `c.perform()`: the options are kept on the handle (the local it is bound to) and the
    request is reported, or left to the callers that pass its URL, at perform()."""
    method = path.rsplit(".", 1)[-1]
    if not isinstance(e.func, ir.Attr):
        return None
    if method == "setopt" and len(args) >= 2 and isinstance(e.args[0], ir.Attr) \
            and e.args[0].name in CURL_OPTIONS:
        frame.write_argument(e.func.obj, Val(fields={f"#{CURL_OPTIONS[e.args[0].name]}":
                                                     args[1]}))
        return CLEAN
    if method != "perform":
        return None
    options = frame.receiver_value(e.func.obj).fields or {}
    url = options.get("#url")
    reached = [(v, role) for v, role in ((url, "metadata"), (options.get("#body"),
                                                              "properties"),
                                         (options.get("#headers"), "metadata"))
               if v is not None]
    return send(prog, frame, e, "pycurl.perform", url.text if url else None, url, None,
                reached) or CLEAN


def vendor_named(prog: Program, frame: Frame, url: ir.Expr | None) -> str | None:
    """The vendor a request with a configured host goes to, when names say it:
    `config.SLACK_WEBHOOK_URL`, `f"{config.brazeUrl}/users/track"`, or a module or
    class named after the vendor (`braze.py`, `BrazeClient`) whose base URL comes
    from settings. Vendors whose names are common words never match."""
    if url is None:
        return None
    if isinstance(url, ir.Join) and url.parts:
        url = url.parts[0]
    if isinstance(url, ir.Call) and not url.args and not url.kwargs:
        url = configured_by(prog, frame, url) or url  # `urgent_referral_webhook()`
    if not isinstance(url, ir.Name | ir.Attr | ir.Index):
        return None
    origin = assigned(frame, url.id) if isinstance(url, ir.Name) else None
    for named in (url, origin):  # SLACK_WEBHOOK_URL, config.brazeUrl; or `const webhook =
        if named is None:  # process.env.SLACK_WEBHOOK_URL` in the function or the module
            continue
        words = name_words(expr_text(named))
        found = sorted(w for w in words if w in prog.named_vendors)
        if found and words & URL_WORDS:
            return prog.named_vendors[found[0]]
    if set(name_parts(expr_text(url))) - URL_WORDS - GENERIC_WORDS:
        return None  # REPORTS_URL names some other service
    # self.base_url, API_URL: the module or class says whose (braze.py, BrazeClient)
    stem = frame.module.path.rsplit("/", 1)[-1].split(".", 1)[0]
    for name in (stem, frame.class_name):
        found = sorted(w for w in name_words(name) if w in prog.named_vendors)
        if found:
            return prog.named_vendors[found[0]]
    return None


def configured_by(prog: Program, frame: Frame, call: ir.Call) -> ir.Expr | None:
    """The setting a project function without parameters returns, when it returns one
    (`def urgent_referral_webhook(): return os.environ["SLACK_REFERRALS_WEBHOOK"]`)."""
    found = [value for fid, _ in sorted(frame.expr(call.func).funcs)
             if fid in prog.functions for value in returned(prog.functions[fid][0])]
    if len(found) == 1 and isinstance(found[0], ir.Name | ir.Attr | ir.Index):
        return found[0]
    return None


def returned(fn: ir.Function) -> list[ir.Expr]:
    """What `configured_by` reads of another function's own code, not of its summary
    (so an edit of it is part of what its callers see, incremental.interface)."""
    return [] if fn.params else [st.value for st in fn.body if isinstance(st, ir.Return)]


def assigned(frame: Frame, name: str) -> ir.Expr | None:
    """The configuration a plain name was set from, when the function's or the module's
    own statements set it once from an attribute or a key (an environment variable, a
    settings field)."""
    bodies = [frame.fn.body] if frame.fn is not None else []
    bodies.append(frame.module.body)
    for body in bodies:
        found = [st.value for st in body if isinstance(st, ir.Assign)
                 and isinstance(st.target, ir.Name) and st.target.id == name]
        if found:
            value = found[0] if len(found) == 1 else None
            while isinstance(value, ir.Op) and value.parts:  # env.X || "" / ?? default
                value = value.parts[0]
            return value if isinstance(value, ir.Attr | ir.Index) else None
    return None


def vendor_for_url(prog: Program, url: str) -> str | None:
    rest = url.split("://", 1)[1] if "://" in url else url
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0].lower()  # `https://api.x.com?${qs}`
    while host:
        vendor = prog.hosts.get(host)
        if vendor is not None:
            return vendor
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
    return None



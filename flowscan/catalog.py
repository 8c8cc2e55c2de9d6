"""Loads rules/ (vendors, taxonomy, policy) from one place, validating each file
against its JSON Schema with errors that name the file and line, and indexes the
vendor catalog for the questions the analysis asks on its hot path."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flowscan import __version__
from flowscan.pickling import PackedStore, by_fields, encoded


class RulesError(Exception):
    """A rules or config file is invalid: the message names the file and line."""


def rules_dir() -> Path:
    """Installed wheels carry rules/ inside the package; a source checkout has it at
    the repository root. FLOWSCAN_RULES_DIR points elsewhere (rules development)."""
    override = os.environ.get("FLOWSCAN_RULES_DIR")
    if override:
        return Path(override)
    bundled = Path(__file__).resolve().parent / "rules"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parent.parent / "rules"


# ---------------------------------------------------------------- YAML with lines


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


def load_yaml(path: Path) -> tuple[Any, str]:
    """The data and its text (to find line numbers only when there is an error).
    Always a safe loader: rules and configs never construct objects."""
    import yaml

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}"
                         ) from None
    try:
        data = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise RulesError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return data, text


def _line_of(node: Any, path: tuple[Any, ...]) -> int:
    import yaml

    line = node.start_mark.line + 1 if node is not None else 1
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


@cache
def _validator(schema_name: str) -> Any:
    import jsonschema

    schema = json.loads((rules_dir() / "schema" / schema_name).read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def validate(data: Any, text: str, schema_name: str, path: Path) -> None:
    errors = sorted(_validator(schema_name).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        import yaml

        err = errors[0]
        loc = tuple(err.path)
        where = ".".join(str(p) for p in loc) or "(top level)"
        node = yaml.compose(text, Loader=_loader())
        raise RulesError(f"{path}:{_line_of(node, loc)}: {where}: {err.message}")


def load_validated(path: Path, schema_name: str) -> Any:
    data, text = load_yaml(path)
    validate(data, text, schema_name, path)
    return data


# ---------------------------------------------------------------- the catalog


@by_fields  # the cached catalog holds 5,000 of these and sinks: it loads in 17 ms, not 24
@dataclass(frozen=True, slots=True)
class ArgRole:
    role: str
    pos: int | None = None
    kw: str | None = None
    rest: bool = False


@by_fields
@dataclass(frozen=True, slots=True)
class Sink:
    vendor: str
    call: str
    args: tuple[ArgRole, ...]
    kind: str = "data"  # data | unknown (inventory tier)
    implies: tuple[tuple[str, str], ...] = ()  # (keyword or object key, category)


@dataclass(frozen=True, slots=True)
class Callback:
    call: str
    arg: int  # -1: passed only as keyword `kw`
    param: int
    binds: str
    key: str | None = None  # the callback is this key of the object argument
    kw: str | None = None  # or this keyword argument (Python)
    sends: bool = False  # what it returns goes to the vendor (Sentry's before_send)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(r"(?:[^.]+(?:\.|$))*")
            i += 2
            if i < len(pattern) and pattern[i] == ".":
                i += 1
        elif pattern[i] == "*":
            out.append(r"[^.]+")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


class Glob:
    """A catalog call pattern (`opentelemetry.**.get_tracer()`), compiled on first use:
    a scan whose analysis result comes from the cache never matches one, and there
    are hundreds."""

    __slots__ = ("pattern", "prefix", "_rx")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.prefix = pattern.split("*", 1)[0]  # what every match starts with: most
        self._rx: re.Pattern[str] | None = None  # paths are another vendor's, never compiled

    def fullmatch(self, path: str) -> re.Match[str] | None:
        if not path.startswith(self.prefix):
            return None
        rx = self._rx
        if rx is None:
            rx = self._rx = _pattern_regex(self.pattern)
        return rx.fullmatch(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Glob, (self.pattern,))


# vendor ids that are ordinary words: a `segment.py` or a `courier_url` says nothing
COMMON_WORD_VENDORS = frozenset({
    "segment", "branch", "drift", "close", "stream", "june", "resend", "courier", "linear",
    "magic", "radar", "split", "square", "knock", "loops", "monday", "notion", "sanity",
    "comet", "plausible", "paddle", "persona", "smarty", "together", "replicate",
    "highlight", "fingerprint", "amplitude", "keen", "daily", "spike",
    # words of code itself: `typing.Iterable`, PLAIN_TEXT, adjustHeight, a plural's
    # singular, a Canny edge filter (saleor's files with `Iterable` and a URL setting
    # were read as Iterable's)
    "iterable", "plain", "adjust", "singular", "canny",
})
# HTTP libraries whose requests to a catalog host are that vendor's sinks (engine.py),
# and whose presence with a vendor-named URL setting makes a file touch a vendor
# Vercel's AI SDK (`ai`) sends a prompt to whichever vendor's model it is given:
# `generateText({ model: openai("gpt-4o"), prompt })`. Each LLM vendor's YAML maps its
# `@ai-sdk/<provider>` package, so the model value names the vendor (calls.py)
MODEL_ROUTED = frozenset({f"ai.{name}" for name in (
    "generateText", "streamText", "generateObject", "streamObject", "embed", "embedMany")})
MODEL_INPUTS = frozenset({"prompt", "messages", "system", "value", "values"})  # what is sent
HTTP_CLIENTS = frozenset({
    "requests", "httpx", "aiohttp", "urllib3", "urllib.request", "fetch", "axios", "got",
    "node-fetch", "ky", "superagent", "cross-fetch", "undici", "navigator",
    "$fetch", "ofetch",  # Nuxt's global $fetch and the library behind it
})
URL_WORDS = frozenset({"url", "uri", "endpoint", "host", "webhook", "api", "base", "server",
                       "domain", "rest"})


def name_words(name: str) -> set[str]:
    """`config.brazeRestUrl` -> {config, braze, rest, url, brazerest, resturl, ...}:
    lower-case words and adjacent pairs (`customerIo` -> customerio)."""
    parts = name_parts(name)
    return set(parts) | {a + b for a, b in zip(parts, parts[1:], strict=False)}


def name_parts(name: str) -> list[str]:
    return [p.lower() for p in _WORD.findall(name)]


_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")



@dataclass
class LanguageIndex:
    """The catalog for one language, indexed for the analysis."""

    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # spec -> (vendor, root)
    globals: dict[str, tuple[str, str]] = field(default_factory=dict)
    # a snippet's settings object (`window.intercomSettings = {...}`) -> (vendor, sink path)
    settings: dict[str, tuple[str, str]] = field(default_factory=dict)
    exact: dict[str, Sink] = field(default_factory=dict)
    wild: list[tuple[Glob, Sink]] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)  # root -> vendor
    callbacks: dict[str, list[Callback]] = field(default_factory=dict)
    returns: list[tuple[Glob, str]] = field(default_factory=list)
    config: list[tuple[Glob, dict[str, Any]]] = field(default_factory=list)
    _roots_seen: dict[str, tuple[str, str] | None] = field(default_factory=dict, repr=False,
                                                          compare=False)
    _sinks_seen: dict[str, Sink | None] = field(default_factory=dict, repr=False,
                                                compare=False)
    _returns_seen: dict[str, str | None] = field(default_factory=dict, repr=False,
                                                 compare=False)

    def import_root(self, spec: str) -> tuple[str, str] | None:
        """Longest specifier that is `spec` or a parent package of it."""
        try:
            return self._roots_seen[spec]
        except KeyError:
            hit = self._roots_seen[spec] = self._import_root(spec)
            return hit

    def _import_root(self, spec: str) -> tuple[str, str] | None:
        hit = self.imports.get(spec)
        if hit is not None:
            return hit
        for sep in (".", "/"):
            parts = spec.split(sep)
            for n in range(len(parts) - 1, 0, -1):
                hit = self.imports.get(sep.join(parts[:n]))
                if hit is not None:
                    vendor, root = hit
                    return vendor, ".".join([root, *parts[n:]]).replace("/", ".")
        return None

    def sink(self, path: str) -> Sink | None:
        hit = self.exact.get(path)
        if hit is not None:
            return hit
        try:  # the same paths come back all through an analysis; the wildcard
            return self._sinks_seen[path]  # patterns are tried once per path
        except KeyError:
            found = self._sinks_seen[path] = next(
                (sink for rx, sink in self.wild if rx.fullmatch(path)), None)
            return found

    def config_leaks(self, path: str) -> list[dict[str, Any]]:
        return [leak for rx, leak in self.config if rx.fullmatch(path)]

    def returned(self, path: str) -> str | None:
        """The path a call's result has, or "" when it is the vendor's data."""
        try:
            return self._returns_seen[path]
        except KeyError:
            found = self._returns_seen[path] = next(
                (binds for rx, binds in self.returns if rx.fullmatch(path)), None)
            return found


@dataclass
class Catalog:
    """The vendors and the per-language indexes are PackedStores: each pickles on its
    own and loads when first read. A pre-commit run reads the few vendors its findings
    name and the indexes of its files' languages; loading all of them was half of
    loading the cached catalog."""

    vendors: dict[str, dict[str, Any]]
    languages: dict[str, LanguageIndex]
    taxonomy: Any  # flowscan.taxonomy.Taxonomy
    policy: Any  # flowscan.policy.Policy
    digest: str  # changes whenever any rules file changes: part of every cache key
    # what every run asks of all vendors, kept apart so that asking reads none of them
    names: dict[str, str] = field(init=False, repr=False)
    _hosts: dict[str, str] = field(init=False, repr=False)
    _hints: Any = field(init=False, repr=False, compare=False)  # see hints()

    def __post_init__(self) -> None:
        self.vendors = PackedStore(self.vendors)
        self.languages = PackedStore(self.languages)
        self.names = {vid: str(v.get("name", vid)) for vid, v in self.vendors.items()}
        self._hosts = {h: vid for vid, v in self.vendors.items() for h in v.get("hosts", ())}
        self._hints = None

    def hints(self) -> Any:
        """The workers.Hints of this catalog, built once and kept with the cached
        catalog (a nested pickle: a scan reads them, `explain` does not import the
        workers): building them read every language index, 9 ms of each run."""
        found = self._hints
        if encoded(found):
            found = self._hints = pickle.loads(found)
        elif found is None:
            from flowscan.workers import Hints

            found = self._hints = Hints.of(self)
        return found

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if state["_hints"] is not None and not encoded(state["_hints"]):
            state["_hints"] = pickle.dumps(state["_hints"], protocol=pickle.HIGHEST_PROTOCOL)
        return state

    def named_vendors(self) -> dict[str, str]:
        """Vendor ids as they appear in code names (`customerio`, `googleanalytics`),
        without those that are ordinary words."""
        return {vid.replace("-", ""): vid for vid in self.vendors
                if len(vid) >= 5 and vid not in COMMON_WORD_VENDORS}

    def lang(self, language: str) -> LanguageIndex:
        # asked about 130,000 times in a cold scan of formbricks: no empty index built
        # for each question (setdefault's default), and a language's index is decoded once
        try:
            return self.languages[language]
        except KeyError:
            return self.languages.setdefault(language, LanguageIndex())

    def vendor_name(self, vendor: str) -> str:
        return self.names.get(vendor, vendor)

    def tier(self, vendor: str) -> str:
        return str(self.vendors.get(vendor, {}).get("tier", "sinks"))

    def answers(self, vendor: str, call: str, asker: str = "") -> tuple[tuple[str, str], ...]:
        """What a call to the vendor (its SDK path, or a request's URL) answers about
        what it was sent, as (category sent, category given): a geocoder's coordinates
        for an address (the vendor file's `answers`). `asker`: the name of the function
        that makes the call, which an answer's `asked_in` may require (a model asked
        to draft a note restates what it was told; one asked to classify answers a
        label)."""
        return tuple((a["sends"], a["gives"]) for a in self.vendors.get(vendor, {}).get(
            "answers", ()) if re.search(a["calls"], call)
            and ("asked_in" not in a or re.search(a["asked_in"], asker)))

    def hosts(self) -> dict[str, str]:
        return dict(self._hosts)


def _index_vendor(v: dict[str, Any], languages: dict[str, LanguageIndex]) -> None:
    vid = v["id"]
    for lang, spec in (v.get("languages") or {}).items():
        idx = languages.setdefault(lang, LanguageIndex())
        for name, root in (spec.get("imports") or {}).items():
            idx.imports[name] = (vid, root)
            idx.roots[root] = vid
        for name, root in (spec.get("globals") or {}).items():
            idx.globals[name] = (vid, root)
            idx.roots[root] = vid
        for name, path in (spec.get("settings") or {}).items():
            idx.settings[name] = (vid, path)
        for s in spec.get("sinks") or ():
            args = tuple(ArgRole(a["role"], a.get("pos"), a.get("kw"), bool(a.get("rest")))
                         for a in s.get("args", ()))
            implies = tuple(sorted((s.get("implies") or {}).items()))
            sink = Sink(vid, s["call"], args, "data", implies)
            if "*" in s["call"]:
                idx.wild.append((Glob(s["call"]), sink))
            else:
                idx.exact[s["call"]] = sink
        for c in spec.get("callbacks") or ():
            cb = Callback(c["call"], c.get("arg", -1), c["param"], c["binds"], c.get("key"),
                          c.get("kw"), bool(c.get("sends")))
            idx.callbacks.setdefault(c["call"], []).append(cb)
        for r in spec.get("returns") or ():
            idx.returns.append((Glob(r["call"]), r.get("binds", "")))  # "": data
        for leak in spec.get("config_leaks") or ():
            idx.config.append((Glob(leak["call"]), {**leak, "vendor": vid}))


def cache_home() -> Path:
    """Where flowscan keeps what it can rebuild: FLOWSCAN_CACHE_DIR, else the XDG cache."""
    override = os.environ.get("FLOWSCAN_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flowscan"


def load_catalog(directory: Path | None = None, extra_vendors: list[dict[str, Any]] | None = None
                 ) -> Catalog:
    """The validated, indexed catalog. Loading and validating ~100 YAML files costs a
    second; the result is kept in the user cache, keyed by the bytes of every rules and
    schema file and the flowscan version, so a warm start costs milliseconds."""
    base = directory or rules_dir()
    digest = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent  # the code that builds and pickles the catalog, too
    for name in ("catalog.py", "taxonomy.py", "taxonomy_patterns.py", "policy.py", "pickling.py"):
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    paths = sorted([*(base / "vendors").glob("*.yaml"), base / "taxonomy.yaml",
                    base / "policy.yaml", *(base / "schema").glob("*.json")])
    for path in paths:
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError as exc:
            raise RulesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    digest.update(json.dumps(extra_vendors or [], sort_keys=True).encode())
    key = digest.hexdigest()[:16]
    cached = _read_cached(key)
    if cached is not None:
        return cached
    catalog = _build_catalog(base, extra_vendors, key)
    catalog.hints()  # (kept with it)
    _write_cached(key, catalog)
    return catalog


def _read_cached(key: str) -> Catalog | None:
    try:
        with open(cache_home() / f"catalog-{key}.pickle", "rb") as fh:
            catalog = pickle.load(fh)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
            ValueError):
        return None
    return catalog if isinstance(catalog, Catalog) and catalog.digest == key else None


def _write_cached(key: str, catalog: Catalog) -> None:
    import tempfile

    directory = cache_home()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("catalog-*.pickle"):  # one catalog per rules version
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(catalog, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"catalog-{key}.pickle")
    except OSError:
        return  # a read-only home is no reason to fail a scan


def _build_catalog(base: Path, extra_vendors: list[dict[str, Any]] | None, key: str
                   ) -> Catalog:
    from flowscan.policy import Policy, PolicyError
    from flowscan.taxonomy import Taxonomy

    vendors: dict[str, dict[str, Any]] = {}
    for path in sorted((base / "vendors").glob("*.yaml")):
        data = load_validated(path, "vendor.schema.json")
        if data["id"] != path.stem:
            raise RulesError(f"{path}:1: id {data['id']!r} does not match the file name")
        vendors[data["id"]] = data
    for v in extra_vendors or ():
        vendors[v["id"]] = v
    languages: dict[str, LanguageIndex] = {}
    for vid in sorted(vendors):
        _index_vendor(vendors[vid], languages)
    tax_path = base / "taxonomy.yaml"
    taxonomy = Taxonomy.from_dict(load_validated(tax_path, "taxonomy.schema.json"))
    pol_path = base / "policy.yaml"
    vendor_categories = {vid: str(v.get("category", "other")) for vid, v in vendors.items()}
    try:
        policy = Policy.from_dict(load_validated(pol_path, "policy.schema.json"),
                                  vendor_categories=vendor_categories)
    except PolicyError as exc:
        raise RulesError(f"{pol_path}: {exc}") from None
    return Catalog(vendors, languages, taxonomy, policy, key)

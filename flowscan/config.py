"""Project configuration: `.flowscan.yml`, `.flowscan.toml` or `[tool.flowscan]` in
`pyproject.toml`, found by walking up from the scanned directory to the repository
root. Validated against rules/schema/config.schema.json; every error reads
`FILE: KEY: expected ...` so a typo costs one look, not a debugging session.

Precedence inside one directory: `.flowscan.yml` > `.flowscan.yaml` > `.flowscan.toml`
> `pyproject.toml` (only when it has a `[tool.flowscan]` table). The nearest directory
with any of them wins; configs are not merged (a merge hides where a setting came from).
Command-line options override the file.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = (".flowscan.yml", ".flowscan.yaml", ".flowscan.toml", "pyproject.toml")
SCHEMA = "config.schema.json"


class ConfigError(Exception):
    """An invalid configuration file: `file: key: expected ...`."""


@dataclass
class Config:
    path: Path | None = None  # None: no file, defaults only
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    include_tests: bool | None = None
    fail_on: str | None = None
    baseline: str | None = None
    report_unused_ignores: bool | None = None
    sanitisers: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)
    vendors: list[dict[str, Any]] = field(default_factory=list)
    policy: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a shadowed config file

    @property
    def base(self) -> Path:
        """The directory paths in the file are relative to."""
        return self.path.parent if self.path is not None else Path(".").resolve()

    def include_paths(self) -> list[Path]:
        return [self.base / p for p in self.include]

    def baseline_path(self) -> Path | None:
        return self.base / self.baseline if self.baseline else None

    def exclude_for(self, scan_root: Path) -> list[str]:
        """`exclude` patterns re-based from the config directory to the scan root. An
        anchored pattern (one with a slash before its end) under another branch of the
        tree cannot match anything and is dropped."""
        try:
            prefix = scan_root.resolve().relative_to(self.base.resolve()).as_posix()
        except ValueError:
            return list(self.exclude)
        prefix = "" if prefix == "." else prefix + "/"
        out = []
        for pat in self.exclude:
            neg = pat.startswith("!")
            body = pat[1:] if neg else pat
            if not prefix or "/" not in body.rstrip("/"):
                out.append(pat)  # unanchored: matches at any depth
                continue
            body = body.lstrip("/")
            if body.startswith("**/"):
                out.append(pat)
            elif body.startswith(prefix):
                out.append(("!" if neg else "") + "/" + body[len(prefix):])
        return out


# ---------------------------------------------------------------- finding and reading


def find(start: Path) -> tuple[Path | None, list[str]]:
    """The config file for a scan of `start`, and warnings about files it shadows.
    Walks up from `start` to the repository root (the first directory with `.git`),
    or to the filesystem root outside a repository."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for d in (here, *here.parents):
        found = [d / name for name in CANDIDATES if (d / name).is_file()]
        found = [p for p in found if p.name != "pyproject.toml" or _has_tool_table(p)]
        if found:
            warnings = [f"{p}: ignored, {found[0].name} takes precedence" for p in found[1:]]
            return found[0], warnings
        if (d / ".git").exists():
            break
    return None, []


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text("utf-8")
    except OSError:
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*flowscan\s*[\].]", text, re.MULTILINE) is not None


def load(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Read and validate `path`, or the config `find(start)` finds; defaults if none."""
    warnings: list[str] = []
    if path is None:
        path, warnings = find(start or Path("."))
        if path is None:
            return Config()
    path = path.resolve()
    data, node = _read(path)
    _validate(data, node, path)
    cfg = _build(data, path)
    cfg.warnings = warnings
    return cfg


def _read(path: Path) -> tuple[Any, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read: not UTF-8 text ({exc.reason} at byte "
                          f"{exc.start})") from None
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        if path.name == "pyproject.toml":
            doc = doc.get("tool", {}).get("flowscan", {})
        return doc, None
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return ({} if data is None else data), node


def _where(path: Path, node: Any, loc: tuple[Any, ...]) -> str:
    if node is None:
        return str(path)
    from flowscan.catalog import _line_of

    return f"{path}:{_line_of(node, loc)}"


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _expected(err: Any) -> str:
    """The schema's intent in words: `expected ...` rather than a raw validator dump."""
    v, schema, inst = err.validator, err.schema, err.instance
    if v == "additionalProperties":
        known = ", ".join(sorted(schema.get("properties", {})))
        extra = sorted(set(inst) - set(schema.get("properties", {})))
        return f"unknown key {extra[0]!r}" + (f" (expected one of: {known})" if known else "")
    if v == "enum":
        return f"expected one of {', '.join(map(str, err.validator_value))}, got {inst!r}"
    if v == "type":
        words = {"array": "a list", "object": "a mapping", "string": "a string",
                 "boolean": "true or false", "integer": "an integer", "number": "a number"}
        want = err.validator_value
        want = [want] if isinstance(want, str) else want
        desc = schema.get("description")
        return f"expected {desc or ' or '.join(words.get(w, w) for w in want)}, got {inst!r}"
    if v == "minLength":
        return "expected a non-empty string"
    if v == "required":
        return f"expected key {err.message.split(' is a required')[0]}"
    if v == "oneOf" and all(set(sub) == {"required"} for sub in err.validator_value):
        keys = [k for sub in err.validator_value for k in sub["required"]]
        return f"expected exactly one of the keys {', '.join(map(repr, keys))}"
    desc = schema.get("description")
    return f"expected {desc}" if desc else err.message


def _validate(data: Any, node: Any, path: Path) -> None:
    from flowscan.catalog import _validator

    if not isinstance(data, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping, got {type(data).__name__}")
    errors = sorted(_validator(SCHEMA).iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        err = errors[0]
        loc = tuple(err.path)
        want = _expected(err)
        if "propertyNames" in err.absolute_schema_path:  # name the key, not its parent
            loc += (err.instance,)
            want = f"expected {err.schema.get('description', 'a known key')}"
        raise ConfigError(f"{_where(path, node, loc)}: {_key(loc)}: {want}")
    for i, vendor in enumerate(data.get("vendors") or ()):
        verrs = sorted(_validator("vendor.schema.json").iter_errors(vendor),
                       key=lambda e: list(map(str, e.path)))
        if verrs:
            loc = ("vendors", i, *verrs[0].path)
            raise ConfigError(f"{_where(path, node, loc)}: {_key(loc)}: "
                              f"{_expected(verrs[0])}")
    for key in ("sanitisers", "sanitizers"):
        for i, src in enumerate(data.get(key) or ()):
            _regex(src, path, node, (key, i))
    for cat, items in (data.get("fields") or {}).items():
        for i, src in enumerate(items):
            _regex(src, path, node, ("fields", cat, i))


def _regex(src: str, path: Path, node: Any, loc: tuple[Any, ...]) -> None:
    try:
        re.compile(src)
    except re.error as exc:
        raise ConfigError(f"{_where(path, node, loc)}: {_key(loc)}: expected a regular "
                          f"expression, got {src!r} ({exc})") from None


_CATEGORY_IDS = (
    "email", "name", "phone", "address", "date_of_birth", "government_id", "financial",
    "credentials", "ip_address", "location", "device_id", "user_id", "health",
    "demographic", "biometric",
)


def _build(data: dict[str, Any], path: Path) -> Config:
    return Config(
        path=path,
        include=list(data.get("include") or ()),
        exclude=list(data.get("exclude") or ()),
        include_tests=data.get("include-tests"),
        fail_on=data.get("fail-on"),
        baseline=data.get("baseline"),
        report_unused_ignores=data.get("report-unused-ignores"),
        sanitisers=list(data.get("sanitisers") or ()) + list(data.get("sanitizers") or ()),
        fields={k: list(v) for k, v in (data.get("fields") or {}).items()},
        vendors=[dict(v) for v in data.get("vendors") or ()],
        policy=[dict(s) for s in data.get("policy") or ()],
    )


# ---------------------------------------------------------------- the catalog


def build_catalog(cfg: Config, rules_dir: Path | None = None) -> Any:
    """The bundled catalog plus the config's vendors, field patterns, sanitisers and
    policy statements (before the default ones: first match wins). Its digest covers
    the config, so caches keyed on it notice a change."""
    from flowscan.catalog import RulesError, load_catalog, load_validated
    from flowscan.catalog import rules_dir as default_rules_dir
    from flowscan.policy import Policy, PolicyError
    from flowscan.taxonomy import Taxonomy

    where = str(cfg.path) if cfg.path else "config"
    try:
        catalog = load_catalog(rules_dir, cfg.vendors or None)
    except RulesError as exc:
        raise ConfigError(str(exc)) from None
    if not (cfg.fields or cfg.sanitisers or cfg.policy):
        return catalog
    base = rules_dir or default_rules_dir()
    changes: dict[str, Any] = {}
    if cfg.fields or cfg.sanitisers:
        tax = copy.deepcopy(load_validated(base / "taxonomy.yaml", "taxonomy.schema.json"))
        for cat, patterns in cfg.fields.items():
            spec = tax["categories"].setdefault(cat, {"title": cat, "fideslang": []})
            spec["fields"] = list(spec.get("fields") or ()) + patterns
        tax["sanitisers"] = list(tax.get("sanitisers") or ()) + cfg.sanitisers
        try:
            changes["taxonomy"] = Taxonomy.from_dict(tax)
        except ValueError as exc:
            raise ConfigError(f"{where}: fields: {exc}") from None
    if cfg.policy:
        _check_vendors(cfg, catalog)
        doc = copy.deepcopy(load_validated(base / "policy.yaml", "policy.schema.json"))
        doc["policy"] = cfg.policy + list(doc.get("policy") or ())
        vcats = {vid: str(v.get("category", "other")) for vid, v in catalog.vendors.items()}
        try:
            changes["policy"] = Policy.from_dict(doc, vendor_categories=vcats)
        except PolicyError as exc:
            msg = str(exc).removeprefix("policy: ")
            m = re.match(r"policy/(\d+)(/?)(.*?): (.*)", msg, re.DOTALL)
            if m:
                parts = [p for p in m.group(3).split("/") if p]
                key = _key(("policy", int(m.group(1)), *parts[:1]))
                want = _policy_expected(parts[0] if parts else "", m.group(4))
                raise ConfigError(f"{where}: {key}: {want}") from None
            raise ConfigError(f"{where}: policy: {msg}") from None
    digest = hashlib.sha256(catalog.digest.encode())
    digest.update(json.dumps(dataclasses.asdict(cfg) | {"path": None, "warnings": []},
                             sort_keys=True, default=str).encode())
    changes["digest"] = digest.hexdigest()[:16]
    return dataclasses.replace(catalog, **changes)


_STATEMENT_KEYS = {
    "vendor": 'a vendor id, a vendor category, "*" or a list of those',
    "categories": '"*" or a list of data category ids (' + ", ".join(_CATEGORY_IDS) + ")",
    "roles": "a list of argument roles (identifier, event, properties, user, context, "
             "content, metadata, unknown)",
    "kinds": "a list of finding kinds (data, http, config)",
    "action": "allow or deny",
    "level": "error, warning or note (deny only)",
    "reason": "a string",
}


def _policy_expected(key: str, message: str) -> str:
    if key in _STATEMENT_KEYS:
        return f"expected {_STATEMENT_KEYS[key]} ({message})"
    m = re.match(r"Additional properties are not allowed \('([^']*)'", message)
    if m:
        return f"unknown key {m.group(1)!r} (expected one of: {', '.join(_STATEMENT_KEYS)})"
    return message if message.startswith("expected") else f"expected a valid statement ({message})"


def _check_vendors(cfg: Config, catalog: Any) -> None:
    """A statement naming an unknown vendor would silently match nothing."""
    known = set(catalog.vendors) | _known_vendor_categories() | {"*"}
    for i, st in enumerate(cfg.policy):
        names = st.get("vendor")
        for name in [names] if isinstance(names, str) else list(names or ()):
            if isinstance(name, str) and name not in known:
                raise ConfigError(
                    f"{cfg.path}: policy[{i}].vendor: expected a vendor id, a vendor "
                    f"category or \"*\", got {name!r} (see `flowscan rules list`)")


def _known_vendor_categories() -> set[str]:
    from flowscan.catalog import _validator

    schema = _validator("vendor.schema.json").schema
    return set(schema["properties"]["category"]["enum"])

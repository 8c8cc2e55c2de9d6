"""The policy: which rule and level each finding gets, and whether a scan fails.

Kept apart from the analysis so a team can change what is reported (allow a CRM to
receive emails, raise identifiers sent to LLMs) without touching how data is traced.
Format and semantics: docs/policy.md.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowscan.model import LEVELS, Finding, level_rank

# installed wheels carry rules/ inside the package; a source checkout has it at the root
_BUNDLED = Path(__file__).resolve().parent / "rules"
RULES_DIR = _BUNDLED if _BUNDLED.is_dir() else Path(__file__).resolve().parent.parent / "rules"
DEFAULT_POLICY_PATH = RULES_DIR / "policy.yaml"
SCHEMA_PATH = RULES_DIR / "schema" / "policy.schema.json"

CATEGORIES = (
    "email", "name", "phone", "address", "date_of_birth", "government_id", "financial",
    "credentials", "ip_address", "location", "device_id", "user_id", "health",
    "demographic", "biometric",
)
KINDS = ("data", "http", "config")
LEVEL_NONE = "none"  # every category of the finding is allowed: data map only
FAIL_ON = ("error", "warning", "note", "never")


class PolicyError(ValueError):
    """A policy file or dict that does not validate; the message says where."""


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One reportable rule; codes and slugs are stable identifiers for tools."""

    code: str
    slug: str
    level: str
    title: str
    description: str
    why: str
    example: str
    fix: str
    kinds: tuple[str, ...]
    categories: tuple[str, ...] = ()  # empty: any category (config rules)
    tags: tuple[str, ...] = ()
    cwe: tuple[str, ...] = ()
    security_severity: str = "5.0"
    precision: str = "high"
    help_uri: str = ""

    @property
    def name(self) -> str:
        """PascalCase slug, the SARIF `name` (a readable id, not a sentence)."""
        return "".join(part.capitalize() for part in self.slug.split("-"))

    def covers(self, kind: str, category: str | None) -> bool:
        if kind not in self.kinds:
            return False
        if not self.categories:
            return True
        return category is not None and category in self.categories


@dataclass(frozen=True, slots=True)
class Statement:
    """One allow/deny statement; `None` in a filter means "any"."""

    action: str  # allow | deny
    vendors: tuple[str, ...]  # vendor ids, vendor categories, or "*"
    categories: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    level: str | None = None  # deny only
    reason: str = ""

    def matches(self, vendor: str, vendor_category: str | None, kind: str,
                category: str | None, role: str | None) -> bool:
        if "*" not in self.vendors and vendor not in self.vendors and (
            vendor_category is None or vendor_category not in self.vendors
        ):
            return False
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.categories is not None and category not in self.categories:
            return False
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class Policy:
    """Rules plus statements. `vendor_categories` (vendor id -> catalog category) lets
    statements name a vendor category such as `llm`; without it only ids match."""

    rules: tuple[PolicyRule, ...]
    statements: tuple[Statement, ...] = ()
    vendor_categories: Mapping[str, str] = field(default_factory=dict, compare=False)

    # -- construction -------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *,
                  vendor_categories: Mapping[str, str] | None = None) -> Policy:
        """Validate against rules/schema/policy.schema.json, then build."""
        errors = sorted(_validator().iter_errors(data), key=lambda e: e.json_path)
        if errors:
            err = errors[0]
            where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            raise PolicyError(f"policy: {where}: {err.message}")
        docs = str(data.get("docs", "")).rstrip("/")
        rules = tuple(_rule(r, docs) for r in data["rules"])
        statements = tuple(_statement(s) for s in data.get("policy") or ())
        policy = cls(rules, statements, dict(vendor_categories or {}))
        policy._check()
        return policy

    @classmethod
    def load(cls, path: str | Path | None = None, *,
             vendor_categories: Mapping[str, str] | None = None) -> Policy:
        """Read a policy YAML file (the default one when `path` is None)."""
        import yaml  # here, not at the top: a cached catalog needs no YAML reader

        path = Path(path) if path is not None else DEFAULT_POLICY_PATH
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text)
        except (OSError, yaml.YAMLError) as exc:
            raise PolicyError(f"{path}: {exc}") from exc
        if not isinstance(data, dict):
            raise PolicyError(f"{path}: expected a mapping at the top level")
        try:
            return cls.from_dict(data, vendor_categories=vendor_categories)
        except PolicyError as exc:
            raise PolicyError(f"{path}:{_line_of(text, str(exc))}: {exc}") from None

    @classmethod
    def default(cls, *, vendor_categories: Mapping[str, str] | None = None) -> Policy:
        return cls.load(None, vendor_categories=vendor_categories)

    def with_vendor_categories(self, vendor_categories: Mapping[str, str]) -> Policy:
        """The same policy, once the catalog is loaded and vendor categories known."""
        return dataclasses.replace(self, vendor_categories=dict(vendor_categories))

    def _check(self) -> None:
        """Semantic checks the schema cannot express: unique ids, full coverage."""
        seen: set[str] = set()
        for r in self.rules:
            for key in (r.code, r.slug):
                if key in seen:
                    raise PolicyError(f"policy: duplicate rule code or slug {key!r}")
                seen.add(key)
        for kind in KINDS:
            if not any(kind in r.kinds for r in self.rules):
                raise PolicyError(f"policy: no rule covers findings of kind {kind!r}")
        for kind in ("data", "http"):
            for cat in CATEGORIES:
                if not any(r.covers(kind, cat) for r in self.rules):
                    raise PolicyError(f"policy: no {kind} rule covers category {cat!r}")

    # -- queries ------------------------------------------------------------------

    def rule(self, code_or_slug: str) -> PolicyRule | None:
        for r in self.rules:
            if code_or_slug in (r.code, r.slug):
                return r
        return None

    def rule_for(self, kind: str, category: str | None) -> PolicyRule:
        """The most severe rule covering (kind, category); the least severe rule of the
        kind when none covers it, so unknown categories are still reported."""
        of_kind = [r for r in self.rules if kind in r.kinds]
        if not of_kind:
            raise ValueError(f"no rule for findings of kind {kind!r}")
        covering = [r for r in of_kind if r.covers(kind, category)]
        if covering:
            return max(covering, key=self._severity)
        return min(of_kind, key=self._severity)

    def _severity(self, rule: PolicyRule) -> tuple[int, int]:
        # higher level first, then earlier in the file (FS101 before FS102)
        return (level_rank(rule.level), -self.rules.index(rule))

    def decide(self, finding: Finding) -> Finding:
        """Set `rule_id` and `level`. Each (category, role) the finding carries is
        judged alone: the first matching statement allows it (dropped), denies it (kept,
        maybe at another level) or none matches (kept at its rule's level). The kept
        item with the highest level names the rule; if none is kept the level is
        `none` and the rule is the one the finding would have had."""
        vcat = self.vendor_categories.get(finding.vendor)
        best: tuple[tuple[int, int], PolicyRule, str] | None = None
        fallback: PolicyRule | None = None
        for category, role in _items(finding):
            rule = self.rule_for(finding.kind, category)
            if fallback is None or self._severity(rule) > self._severity(fallback):
                fallback = rule
            level = rule.level
            for st in self.statements:
                if st.matches(finding.vendor, vcat, finding.kind, category, role):
                    level = "" if st.action == "allow" else (st.level or rule.level)
                    break
            if not level:
                continue
            key = (level_rank(level), self._severity(rule)[1])
            if best is None or key > best[0]:
                best = (key, rule, level)
        if best is None:
            assert fallback is not None  # _items always yields at least one item
            return dataclasses.replace(finding, rule_id=fallback.code, level=LEVEL_NONE)
        return dataclasses.replace(finding, rule_id=best[1].code, level=best[2])


# -- exit codes -------------------------------------------------------------------

def fail_threshold(fail_on: str) -> int:
    """The lowest level rank that fails the scan; `never` is above every level."""
    if fail_on == "never":
        return len(LEVELS)
    if fail_on not in LEVELS:
        choices = ", ".join(FAIL_ON)
        raise ValueError(f"fail-on must be one of {choices}, not {fail_on!r}")
    return level_rank(fail_on)


def is_suppressed(finding: Finding) -> bool:
    """An inline ignore applies (its justification may be empty)."""
    return finding.suppressed is not None


def exit_code(findings: Iterable[Finding], fail_on: str) -> int:
    """0 or 1 per shared/CONTRACT.md; suppressed and allowed findings never count."""
    threshold = fail_threshold(fail_on)
    failing = any(
        not is_suppressed(f) and level_rank(f.level) >= threshold for f in findings
    )
    return 1 if failing else 0


# -- helpers ------------------------------------------------------------------------

def _items(finding: Finding) -> list[tuple[str | None, str | None]]:
    """(category, role) pairs to judge: one per flow, plus categories without flows
    (role unknown), or a single (None, None) for a finding with no category."""
    items = {(f.category, f.role) for f in finding.flows}
    with_flow = {c for c, _ in items}
    items |= {(c, None) for c in finding.categories if c not in with_flow}
    if not items:
        return [(None, None)]
    return sorted(items, key=lambda it: (it[0] or "", it[1] or ""))


def _rule(raw: Mapping[str, Any], docs: str) -> PolicyRule:
    return PolicyRule(
        code=raw["code"], slug=raw["slug"], level=raw["level"],
        title=raw["title"].strip(),
        description=raw["description"].strip(), why=raw["why"].strip(),
        example=raw["example"].rstrip(), fix=raw["fix"].strip(),
        kinds=tuple(raw["kinds"]), categories=tuple(raw.get("categories", ())),
        tags=tuple(raw.get("tags", ())), cwe=tuple(raw.get("cwe", ())),
        security_severity=raw["security-severity"], precision=raw["precision"],
        help_uri=f"{docs}#{raw['code'].lower()}" if docs else "",
    )


def _statement(raw: Mapping[str, Any]) -> Statement:
    vendor = raw["vendor"]
    cats = raw["categories"]
    return Statement(
        action=raw["action"],
        vendors=(vendor,) if isinstance(vendor, str) else tuple(vendor),
        categories=None if cats == "*" else tuple(cats),
        roles=tuple(raw["roles"]) if "roles" in raw else None,
        kinds=tuple(raw["kinds"]) if "kinds" in raw else None,
        level=raw.get("level"),
        reason=raw.get("reason", ""),
    )


_VALIDATOR: Any = None


def _validator() -> Any:
    import jsonschema  # only when a policy is validated: it costs 0.2 s to import

    global _VALIDATOR
    if _VALIDATOR is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _VALIDATOR


def _line_of(text: str, message: str) -> int:
    """Best-effort line of the node a `policy: a/0/b: ...` message points at."""
    import yaml

    m = re.match(r"policy: ([^:]*):", message)
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return 1
    if node is None:
        return 1
    line = node.start_mark.line
    for part in (m.group(1).split("/") if m and m.group(1) != "(top level)" else []):
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and part.isdigit():
            nxt = node.value[int(part)] if int(part) < len(node.value) else None
        else:
            nxt = None
        if nxt is None:
            break
        node, line = nxt, nxt.start_mark.line
    return line + 1

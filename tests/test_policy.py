"""The policy decides rule and level from categories, kind and statements, and the
exit code from levels: built by hand, no scanning."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from flowscan.model import Finding, Flow, Span, Step
from flowscan.policy import (
    CATEGORIES,
    DEFAULT_POLICY_PATH,
    LEVEL_NONE,
    Policy,
    PolicyError,
    exit_code,
    fail_threshold,
)


def finding(
    *cats: str,
    vendor: str = "mixpanel",
    kind: str = "data",
    roles: dict[str, str] | None = None,
    suppressed: str | None = None,
    line: int = 10,
) -> Finding:
    roles = roles or {}
    flows = tuple(
        Flow(
            f"user.{c}",
            c,
            roles.get(c, "properties"),
            (Step(Span("app.py", line - 1, 5), f"user.{c}", "source"),),
        )
        for c in cats
    )
    return Finding(
        Span("app.py", line, 1, line, 20),
        vendor,
        kind,
        "mixpanel.track",
        "mp.track",
        "<module>",
        tuple(cats),
        flows,
        suppressed=suppressed,
    )


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.default()


def with_statements(raw: dict, *statements: dict, **vendor_categories: str) -> Policy:
    data = copy.deepcopy(raw)
    data["policy"] = list(statements)
    return Policy.from_dict(data, vendor_categories=vendor_categories)


# -- the default policy ---------------------------------------------------------------


def test_default_rules_have_stable_codes_and_slugs(policy: Policy) -> None:
    assert [(r.code, r.slug, r.level) for r in policy.rules] == [
        ("FS101", "special-category-to-vendor", "error"),
        ("FS102", "personal-data-to-vendor", "warning"),
        ("FS103", "identifier-to-vendor", "note"),
        ("FS201", "sdk-config-leaks-personal-data", "warning"),
    ]
    assert policy.statements == ()
    fs101 = policy.rule("FS101")
    assert fs101 is policy.rule("special-category-to-vendor")
    assert fs101 is not None and fs101.name == "SpecialCategoryToVendor"
    assert fs101.security_severity == "8.0" and "CWE-359" in fs101.cwe
    assert fs101.help_uri.endswith("docs/policy.md#fs101")
    assert policy.rule("FS999") is None


@pytest.mark.parametrize(
    ("category", "rule", "level"),
    [
        *[
            (c, "FS101", "error")
            for c in (
                "credentials",
                "government_id",
                "health",
                "financial",
                "biometric",
            )
        ],
        *[
            (c, "FS102", "warning")
            for c in (
                "email",
                "name",
                "phone",
                "address",
                "date_of_birth",
                "location",
                "ip_address",
                "demographic",
            )
        ],
        ("user_id", "FS103", "note"),
        ("device_id", "FS103", "note"),
    ],
)
@pytest.mark.parametrize("kind", ["data", "http"])
def test_level_by_category(
    policy: Policy, category: str, rule: str, level: str, kind: str
) -> None:
    got = policy.decide(finding(category, kind=kind))
    assert (got.rule_id, got.level) == (rule, level)


def test_every_category_is_covered(policy: Policy) -> None:
    assert len(CATEGORIES) == 15
    for cat in CATEGORIES:
        assert policy.decide(finding(cat)).rule_id.startswith("FS1")


def test_most_severe_rule_wins(policy: Policy) -> None:
    assert policy.decide(finding("user_id", "email")).rule_id == "FS102"
    got = policy.decide(finding("user_id", "email", "credentials"))
    assert (got.rule_id, got.level) == ("FS101", "error")
    assert policy.decide(finding("device_id", "user_id")).level == "note"


def test_config_findings_get_fs201(policy: Policy) -> None:
    got = policy.decide(finding("ip_address", "credentials", kind="config"))
    assert (got.rule_id, got.level) == ("FS201", "warning")
    got = policy.decide(finding(kind="config"))  # no category known
    assert (got.rule_id, got.level) == ("FS201", "warning")


def test_decide_only_sets_rule_and_level(policy: Policy) -> None:
    f = finding("email", suppressed="ok")
    got = policy.decide(f)
    assert got.suppressed == "ok" and got.flows == f.flows
    assert got.fingerprint == f.fingerprint
    assert policy.decide(got) == got  # idempotent


def test_unknown_category_is_still_reported(policy: Policy) -> None:
    got = policy.decide(finding("shoe_size"))
    assert (got.rule_id, got.level) == ("FS103", "note")


def test_categories_without_flows_count(policy: Policy) -> None:
    f = Finding(
        Span("a.py", 1),
        "sentry",
        "data",
        "sentry.set_user",
        "set_user",
        "<module>",
        ("health",),
        (),
    )
    assert policy.decide(f).rule_id == "FS101"


# -- allow / deny statements ----------------------------------------------------------


def test_allow_all_categories_gives_level_none(raw: dict) -> None:
    p = with_statements(
        raw, {"vendor": "hubspot", "categories": ["email", "name"], "action": "allow"}
    )
    got = p.decide(finding("email", "name", vendor="hubspot"))
    assert got.level == LEVEL_NONE and got.rule_id == "FS102"
    assert p.decide(finding("email", vendor="mixpanel")).level == "warning"


def test_allow_drops_only_matched_categories(raw: dict) -> None:
    p = with_statements(
        raw, {"vendor": "hubspot", "categories": ["email"], "action": "allow"}
    )
    got = p.decide(finding("email", "user_id", vendor="hubspot"))
    assert (got.rule_id, got.level) == ("FS103", "note")
    got = p.decide(finding("email", "health", vendor="hubspot"))
    assert (got.rule_id, got.level) == ("FS101", "error")


def test_first_matching_statement_wins(raw: dict) -> None:
    p = with_statements(
        raw,
        {"vendor": "*", "categories": ["email"], "action": "deny", "level": "error"},
        {"vendor": "hubspot", "categories": "*", "action": "allow"},
    )
    got = p.decide(finding("email", "name", vendor="hubspot"))
    assert (got.rule_id, got.level) == ("FS102", "error")
    assert p.decide(finding("name", vendor="hubspot")).level == LEVEL_NONE


def test_deny_raises_level_by_vendor_category(raw: dict) -> None:
    p = with_statements(
        raw,
        {
            "vendor": "llm",
            "categories": ["user_id"],
            "action": "deny",
            "level": "error",
        },
        openai="llm",
        mixpanel="product-analytics",
    )
    assert p.decide(finding("user_id", vendor="openai")).level == "error"
    assert p.decide(finding("user_id", vendor="mixpanel")).level == "note"
    # a vendor category only matches once the catalog tells which vendor is in it
    bare = p.with_vendor_categories({})
    assert bare.decide(finding("user_id", vendor="openai")).level == "note"


def test_deny_without_level_keeps_rule_level(raw: dict) -> None:
    p = with_statements(
        raw,
        {"vendor": "*", "categories": ["email"], "action": "deny"},
        {"vendor": "*", "categories": "*", "action": "allow"},
    )
    assert p.decide(finding("email", "phone")).level == "warning"
    assert p.decide(finding("phone")).level == LEVEL_NONE


def test_roles_restrict_statements(raw: dict) -> None:
    p = with_statements(
        raw,
        {
            "vendor": ["segment", "mixpanel"],
            "categories": ["email"],
            "roles": ["identifier"],
            "action": "allow",
        },
    )
    assert p.decide(finding("email", roles={"email": "identifier"})).level == LEVEL_NONE
    assert p.decide(finding("email", roles={"email": "properties"})).level == "warning"
    # the same category through two roles: allowed in one, still reported via the other
    two = finding("email", roles={"email": "identifier"})
    extra = Flow("user.email", "email", "properties", ())
    two = Finding(
        two.span,
        two.vendor,
        two.kind,
        two.sink,
        two.callee,
        two.scope,
        two.categories,
        (*two.flows, extra),
    )
    assert p.decide(two).level == "warning"


def test_kinds_restrict_statements(raw: dict) -> None:
    p = with_statements(
        raw,
        {"vendor": "sentry", "categories": "*", "kinds": ["config"], "action": "allow"},
    )
    assert (
        p.decide(finding("ip_address", vendor="sentry", kind="config")).level == "none"
    )
    assert p.decide(finding("ip_address", vendor="sentry")).level == "warning"


@pytest.mark.parametrize(
    "bad",
    [
        {"vendor": "x", "categories": ["email"], "action": "allow", "level": "error"},
        {"vendor": "x", "categories": ["shoe_size"], "action": "deny"},
        {"vendor": "x", "categories": "*", "action": "ignore"},
        {"vendor": "X Y", "categories": "*", "action": "deny"},
        {"categories": "*", "action": "deny"},
    ],
)
def test_invalid_statements_are_rejected(raw: dict, bad: dict) -> None:
    with pytest.raises(PolicyError, match="policy: policy/0"):
        with_statements(raw, bad)


def test_invalid_rules_are_rejected(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["rules"][1]["level"] = "fatal"
    with pytest.raises(PolicyError, match="rules/1/level"):
        Policy.from_dict(data)
    data = copy.deepcopy(raw)
    data["rules"][2]["categories"] = ["user_id"]  # device_id no longer covered
    with pytest.raises(PolicyError, match="device_id"):
        Policy.from_dict(data)
    data = copy.deepcopy(raw)
    data["rules"][3]["slug"] = data["rules"][0]["slug"]
    with pytest.raises(PolicyError, match="duplicate"):
        Policy.from_dict(data)


def test_load_names_file_and_line(tmp_path: Path) -> None:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace(
        "policy: []", "policy:\n  - {vendor: x, categories: '*', action: nope}"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - {vendor: x, categories: '*', action: nope}") + 1
    with pytest.raises(PolicyError, match=rf"policy\.yaml:{line}: policy: policy/0"):
        Policy.load(path)


# -- exit codes -----------------------------------------------------------------------


def test_fail_threshold() -> None:
    assert [fail_threshold(x) for x in ("note", "warning", "error")] == [0, 1, 2]
    assert fail_threshold("never") > fail_threshold("error")
    with pytest.raises(ValueError, match="fail-on"):
        fail_threshold("critical")


@pytest.mark.parametrize(
    ("levels", "fail_on", "code"),
    [
        ((), "note", 0),
        (("note",), "note", 1),
        (("note",), "warning", 0),
        (("warning",), "warning", 1),
        (("warning", "note"), "error", 0),
        (("error",), "error", 1),
        (("error",), "warning", 1),
        (("error",), "never", 0),
        ((LEVEL_NONE,), "note", 0),
    ],
)
def test_exit_code(
    policy: Policy, levels: tuple[str, ...], fail_on: str, code: int
) -> None:
    findings = [
        Finding(
            Span("a.py", i + 1),
            "v",
            "data",
            "s",
            "c",
            "<module>",
            (),
            (),
            rule_id="FS102",
            level=lvl,
        )
        for i, lvl in enumerate(levels)
    ]
    assert exit_code(findings, fail_on) == code


def test_suppressed_findings_never_fail(policy: Policy) -> None:
    sup = policy.decide(finding("credentials", suppressed="vendor has a BAA"))
    assert exit_code([sup], "note") == 0
    empty = policy.decide(finding("credentials", suppressed=""))  # no justification
    assert exit_code([empty], "note") == 0
    assert exit_code([sup, policy.decide(finding("user_id"))], "note") == 1

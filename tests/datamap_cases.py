"""A hand-built scan (no parser involved) covering what the data map must show: several
vendors and levels, an allowed flow, a suppressed one, an SDK configuration finding, a
declared-but-unused SDK and an undeclared vendor. Shared by the map, renderer and diff
tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from flowscan.catalog import Catalog
from flowscan.datamap import build_map
from flowscan.model import Finding, Flow, ScanResult, Span, Step
from flowscan.policy import Policy, PolicyRule


def flow(field: str, category: str, role: str, path: str, line: int, *,
         via: tuple[Step, ...] = (), source_path: str | None = None) -> Flow:
    src = Step(Span(source_path or path, line - 3, 9), field, "source")
    return Flow(field, category, role, (src, *via, Step(Span(path, line, 5), "call", "sink")))


def findings() -> list[Finding]:
    helper = Step(Span("app/helpers.py", 4, 12), "build_props(user)", "call")
    return [
        Finding(Span("app/signup.py", 12, 5, 12, 48), "mixpanel", "data",
                "mixpanel.Mixpanel().track", "mp.track", "signup", ("email", "user_id"),
                (flow("user.email", "email", "properties", "app/signup.py", 12, via=(helper,)),
                 flow("user.id", "user_id", "identifier", "app/signup.py", 12))),
        Finding(Span("app/chat.py", 30, 9), "openai", "data",
                "openai.OpenAI().chat.completions.create", "client.chat.completions.create",
                "ask", ("health", "user_id"),
                (flow("patient.diagnosis", "health", "content", "app/chat.py", 30),
                 flow("user.id", "user_id", "identifier", "app/chat.py", 30))),
        Finding(Span("app/__init__.py", 5, 1), "sentry", "config", "sentry_sdk.init",
                "sentry_sdk.init", "<module>", ("ip_address",), (), "high",
                "send_default_pii=True sends user IPs and cookies"),
        Finding(Span("app/crm.py", 20, 5), "hubspot", "data",
                "hubspot.Client.create().crm.contacts.basic_api.create",
                "hs.crm.contacts.basic_api.create", "sync_contact", ("email", "name"),
                (flow("customer.email", "email", "properties", "app/crm.py", 20),
                 flow("customer.full_name", "name", "properties", "app/crm.py", 20))),
        Finding(Span("app/legacy.py", 8, 5), "mixpanel", "data", "mixpanel.Mixpanel().track",
                "mp.track", "old_signup", ("phone",),
                (flow("user.phone", "phone", "properties", "app/legacy.py", 8),),
                suppressed="reviewed: phone is masked upstream"),
    ]


def result() -> ScanResult:
    return ScanResult(
        "/abs/path/to/shop", findings(), [], {},
        {"app/legacy.py": ("mixpanel",), "app/signup.py": ("mixpanel", "app.models"),
         "app/chat.py": ("openai",), "app/__init__.py": ("sentry_sdk",),
         "web/analytics.ts": ("@amplitude/analytics-browser",)},
    )


DECLARED = {
    "mixpanel": [("requirements.txt", "mixpanel")],
    "openai": [("requirements.txt", "openai")],
    "sentry": [("requirements.txt", "sentry-sdk")],
    "amplitude": [("web/package.json", "@amplitude/analytics-browser")],
    "segment": [("requirements.txt", "segment-analytics-python")],
}
MANIFESTS = ["requirements.txt", "web/package.json"]


def policy_with_crm_allowed(policy: Policy) -> Policy:
    rules: tuple[PolicyRule, ...] = policy.rules
    data: dict[str, Any] = {
        "rules": [_rule_dict(r) for r in rules],
        "policy": [{"vendor": "hubspot", "categories": ["email", "name"], "action": "allow",
                    "reason": "CRM; DPA 2024-03"}],
    }
    return Policy.from_dict(data, vendor_categories=policy.vendor_categories)


def _rule_dict(r: PolicyRule) -> dict[str, Any]:
    d: dict[str, Any] = {"code": r.code, "slug": r.slug, "level": r.level, "title": r.title,
                         "description": r.description, "why": r.why, "example": r.example,
                         "fix": r.fix, "kinds": list(r.kinds), "tags": list(r.tags),
                         "cwe": list(r.cwe), "security-severity": r.security_severity,
                         "precision": r.precision}
    if r.categories:
        d["categories"] = list(r.categories)
    return d


def catalog_for_tests(catalog: Catalog) -> Catalog:
    return dataclasses.replace(catalog, policy=policy_with_crm_allowed(catalog.policy))


def sample_map(catalog: Catalog) -> dict[str, Any]:
    doc = build_map(result(), catalog_for_tests(catalog), declared=DECLARED,
                    manifests=MANIFESTS)
    doc["generator"]["version"] = "TEST"
    return doc

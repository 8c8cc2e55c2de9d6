"""Text, JSON and SARIF output per shared/CONTRACT.md, from hand-built scan results."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowscan import __version__
from flowscan.model import FileOutcome, Finding, Flow, ScanResult, Span, Step
from flowscan.policy import Policy
from flowscan.reporters import REPORTERS, Reporter
from flowscan.reporters import sarif as sarif_mod
from tests.sarif_validation import assert_valid_sarif, sarif_errors

VENDORS = {
    "mixpanel": "Mixpanel",
    "sentry": "Sentry",
    "openai": "OpenAI",
    "hubspot": "HubSpot",
}


def step(path: str, line: int, expr: str, kind: str, col: int = 5) -> Step:
    return Step(Span(path, line, col), expr, kind)


def flow(
    field: str, category: str, role: str, path: str = "app/signup.py", line: int = 12
) -> Flow:
    return Flow(
        field,
        category,
        role,
        (
            step(path, line - 4, field, "source"),
            step(path, line - 2, f"props = {{'v': {field}}}", "call"),
            step(path, line, "mp.track(...)", "sink"),
        ),
    )


MIXPANEL = Finding(
    Span("app/signup.py", 12, 5, 12, 48),
    "mixpanel",
    "data",
    "mixpanel.Mixpanel().track",
    "mp.track",
    "signup",
    ("name", "email"),
    (
        flow("user.name", "name", "properties"),
        flow("user.email", "email", "properties"),
    ),
)
OPENAI = Finding(
    Span("app/chat.py", 30, 9, 33, 10),
    "openai",
    "data",
    "openai.*().chat.completions.create",
    "client.chat.completions.create",
    "ask",
    ("health",),
    (flow("patient.diagnosis", "health", "content", "app/chat.py", 30),),
)
IDENT = Finding(
    Span("app/signup.py", 20, 5),
    "mixpanel",
    "data",
    "mixpanel.Mixpanel().people_set",
    "mp.people_set",
    "signup",
    ("user_id",),
    (Flow("user.id", "user_id", "identifier", ()),),
)
SENTRY = Finding(
    Span("app/settings.py", 3, 1, 3, 50),
    "sentry",
    "config",
    "sentry.init",
    "sentry_sdk.init",
    "<module>",
    ("ip_address",),
    (),
    message="send_default_pii=True sends IP addresses and cookies",
)
SUPPRESSED = Finding(
    Span("app/chat.py", 40, 9),
    "openai",
    "data",
    "openai.*().chat.completions.create",
    "client.chat.completions.create",
    "summarise",
    ("email",),
    (flow("user.email", "email", "content", "app/chat.py", 40),),
    suppressed="reviewed: DPA signed",
)
FILES = [
    FileOutcome("app/signup.py", "scanned", "python", lines=40),
    FileOutcome("app/chat.py", "scanned", "python", lines=60),
    FileOutcome("app/settings.py", "scanned", "python", lines=10),
    FileOutcome(
        "web/broken.ts",
        "partial",
        "typescript",
        reason="2 syntax errors",
        errors=(Span("web/broken.ts", 7, 3, 7, 9), Span("web/broken.ts", 2, 1)),
    ),
    FileOutcome("vendor/big.min.js", "skipped", "javascript", reason="minified"),
    FileOutcome("data/blob.py", "skipped", "python", reason="not UTF-8"),
]
FINDINGS = [MIXPANEL, OPENAI, IDENT, SENTRY, SUPPRESSED]
# reporters fingerprint the canonical finding (categories sorted), so the fingerprint
# does not depend on the order the analysis found the categories in
MIXPANEL_FP = dataclasses.replace(MIXPANEL, categories=("email", "name")).fingerprint


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.default()


def scan(
    findings: list[Finding] | None = None,
    files: list[FileOutcome] | None = None,
    root: str = ".",
) -> ScanResult:
    return ScanResult(
        root,
        list(FINDINGS if findings is None else findings),
        list(FILES if files is None else files),
        {"seconds": 1.25},
    )


def render(name: str, result: ScanResult, policy: Policy, **options: object) -> str:
    return REPORTERS[name].render(result, policy, vendors=VENDORS, **options)


# -- registry -------------------------------------------------------------------------


def test_registry_names_match() -> None:
    assert sorted(REPORTERS) == ["gitlab-sast", "json", "sarif", "text"]
    for name, rep in REPORTERS.items():
        assert rep.name == name and callable(rep.render)


def test_reporter_protocol_is_structural(policy: Policy) -> None:
    class Custom:
        name = "custom"

        def render(
            self,
            result: ScanResult,
            policy: Policy,
            *,
            vendors: dict[str, str],
            **options: object,
        ) -> str:
            return f"{len(result.findings)}\n"

    rep: Reporter = Custom()
    assert rep.render(scan(), policy, vendors=VENDORS) == "5\n"


# -- text -----------------------------------------------------------------------------


def test_text_lines(policy: Policy) -> None:
    out = render("text", scan(), policy)
    assert out.splitlines() == [
        "app/chat.py:30:9: error FS101 OpenAI: health (patient.diagnosis) via "
        "client.chat.completions.create",
        "app/settings.py:3:1: warning FS201 Sentry: send_default_pii=True sends IP "
        "addresses and cookies (ip_address) via sentry_sdk.init",
        "app/signup.py:12:5: warning FS102 Mixpanel: email, name "
        "(user.email, user.name) via mp.track",
        "app/signup.py:20:5: note FS103 Mixpanel: user_id (user.id) via mp.people_set",
        "flowscan: 4 findings (1 error, 2 warnings, 1 note), 1 suppressed; "
        "3 files scanned, 1 partial, 2 skipped",
    ]
    assert "\x1b[" not in out and out.endswith("\n")


def test_text_trace(policy: Policy) -> None:
    out = render("text", scan([MIXPANEL]), policy, trace=True)
    lines = out.splitlines()
    assert lines[1:5] == [
        "    email: user.email -> properties",
        "      app/signup.py:8:5 source user.email",
        "      app/signup.py:10:5 call props = {'v': user.email}",
        "      app/signup.py:12:5 sink mp.track(...)",
    ]
    assert "data/blob.py: skipped: not UTF-8" in lines
    assert "web/broken.ts: partial: 2 syntax errors at 2:1, 7:3-7:9" in lines


def test_text_hides_suppressed_and_allowed(policy: Policy) -> None:
    allowed = dataclasses.replace(MIXPANEL, rule_id="FS102", level="none")
    out = render("text", scan([SUPPRESSED, allowed], []), policy)
    assert out == (
        "flowscan: 0 findings, 1 suppressed, 1 allowed; "
        "0 files scanned, 0 partial, 0 skipped\n"
    )


def test_text_low_confidence(policy: Policy) -> None:
    low = dataclasses.replace(IDENT, confidence="low")
    assert (
        render("text", scan([low]), policy)
        .splitlines()[0]
        .endswith("via mp.people_set [low confidence]")
    )


# -- JSON -----------------------------------------------------------------------------


def test_json_document(policy: Policy) -> None:
    doc = json.loads(render("json", scan(), policy))
    assert sorted(doc) == ["files", "findings", "root", "summary", "version"]
    assert doc["version"] == __version__ and doc["root"] == "."
    assert doc["summary"] == {
        "findings": {"error": 1, "warning": 2, "note": 1},
        "suppressed": 1,
        "allowed": 0,
        "files": {"scanned": 3, "partial": 1, "skipped": 2},
    }
    assert [f["location"]["path"] for f in doc["findings"]] == [
        "app/chat.py",
        "app/chat.py",
        "app/settings.py",
        "app/signup.py",
        "app/signup.py",
    ]
    mp = doc["findings"][3]
    assert mp["ruleId"] == "FS102" and mp["level"] == "warning"
    assert mp["vendor"] == "mixpanel" and mp["vendorName"] == "Mixpanel"
    assert mp["dataCategories"] == ["email", "name"]
    assert mp["fields"] == ["user.email", "user.name"] and mp["roles"] == ["properties"]
    assert (mp["kind"], mp["sink"], mp["callee"], mp["scope"]) == (
        "data",
        "mixpanel.Mixpanel().track",
        "mp.track",
        "signup",
    )
    assert mp["confidence"] == "high" and mp["fingerprint"] == MIXPANEL_FP
    assert mp["location"] == {
        "path": "app/signup.py",
        "startLine": 12,
        "startColumn": 5,
        "endLine": 12,
        "endColumn": 48,
    }
    assert [f["field"] for f in mp["flows"]] == ["user.email", "user.name"]
    assert mp["flows"][0]["steps"][0] == {
        "path": "app/signup.py",
        "line": 8,
        "col": 5,
        "expr": "user.email",
        "kind": "source",
    }
    assert mp["suppressed"] is False and mp["allowed"] is False
    assert mp["message"] == (
        "email, name from user.email, user.name reach Mixpanel "
        "(mixpanel.Mixpanel().track)"
    )
    sup = doc["findings"][1]
    assert sup["suppressed"] is True and sup["justification"] == "reviewed: DPA signed"
    assert "seconds" not in json.dumps(doc)


def test_json_files(policy: Policy) -> None:
    files = json.loads(render("json", scan(), policy))["files"]
    assert [(f["path"], f["status"]) for f in files] == [
        ("app/chat.py", "scanned"),
        ("app/settings.py", "scanned"),
        ("app/signup.py", "scanned"),
        ("data/blob.py", "skipped"),
        ("vendor/big.min.js", "skipped"),
        ("web/broken.ts", "partial"),
    ]
    assert files[3]["reason"] == "not UTF-8"
    assert files[5]["errors"] == [
        {
            "path": "web/broken.ts",
            "startLine": 2,
            "startColumn": 1,
            "endLine": None,
            "endColumn": None,
        },
        {
            "path": "web/broken.ts",
            "startLine": 7,
            "startColumn": 3,
            "endLine": 7,
            "endColumn": 9,
        },
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["scanned", "partial", "skipped"]), st.text(max_size=12),
       st.text(), st.integers(min_value=0, max_value=10**7), st.booleans())
def test_a_file_line_is_what_the_encoder_writes(path: str, status: str, language: str,
                                                reason: str, lines: int, errors: bool) -> None:
    """The JSON report writes a file without parse errors out itself (json_report.
    file_line): byte for byte the encoder's line, quotes, control characters and lone
    surrogates included."""
    from flowscan.reporters.json_report import file_dict, file_line

    spans = (Span(path, 2, 1),) if errors else ()
    outcome = FileOutcome(path, status, language, reason, spans, lines)
    encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
    assert file_line(outcome, encode) == encode(file_dict(outcome))


def test_json_keeps_allowed_findings(policy: Policy) -> None:
    allowed = dataclasses.replace(MIXPANEL, rule_id="FS102", level="none")
    doc = json.loads(render("json", scan([allowed]), policy))
    assert doc["findings"][0]["allowed"] is True
    assert doc["findings"][0]["level"] == "none"
    assert doc["summary"]["allowed"] == 1


def test_json_stats_only_on_request(policy: Policy) -> None:
    doc = json.loads(render("json", scan(), policy, stats=True))
    assert doc["stats"] == {"seconds": 1.25}


# -- SARIF ----------------------------------------------------------------------------


def sarif(result: ScanResult, policy: Policy, **options: object) -> dict:
    doc = json.loads(render("sarif", result, policy, **options))
    assert_valid_sarif(doc)
    return doc


def test_sarif_envelope(policy: Policy) -> None:
    doc = sarif(scan(), policy)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "flowscan" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert run["automationDetails"] == {"id": "flowscan/"}
    assert run["columnKind"] == "unicodeCodePoints"
    root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root.startswith("file:///") and root.endswith("/")


def test_sarif_rules(policy: Policy) -> None:
    rules = sarif(scan(), policy)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["FS101", "FS102", "FS103", "FS201"]
    fs101 = rules[0]
    assert fs101["name"] == "SpecialCategoryToVendor"
    assert fs101["shortDescription"]["text"].startswith("Special-category")
    assert fs101["fullDescription"]["text"]
    assert "## How to fix" in fs101["help"]["markdown"] and fs101["help"]["text"]
    assert fs101["helpUri"].endswith("docs/policy.md#fs101")
    assert fs101["defaultConfiguration"] == {"level": "error"}
    assert fs101["properties"]["security-severity"] == "8.0"
    assert fs101["properties"]["precision"] == "high"
    assert "external/cwe/cwe-359" in fs101["properties"]["tags"]
    only = sarif(scan([IDENT]), policy)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in only] == ["FS103"]  # only rules that results use


def test_sarif_results(policy: Policy) -> None:
    run = sarif(scan(), policy)["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert len(results) == 5
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert "primaryLocationLineHash" not in res["partialFingerprints"]
    mp = next(r for r in results if r["properties"]["sink"].endswith("track"))
    assert mp["ruleId"] == "FS102" and mp["level"] == "warning"
    assert mp["message"]["text"] == (
        "email, name from user.email, user.name reach "
        "Mixpanel (mixpanel.Mixpanel().track)"
    )
    loc = mp["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "app/signup.py"
    assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert run["artifacts"][loc["artifactLocation"]["index"]]["location"]["uri"] == (
        "app/signup.py"
    )
    assert loc["region"] == {
        "startLine": 12,
        "startColumn": 5,
        "endLine": 12,
        "endColumn": 48,
    }
    assert mp["partialFingerprints"] == {"flowscan/v1": MIXPANEL_FP}
    assert mp["properties"] == {
        "vendor": "mixpanel",
        "dataCategories": ["email", "name"],
        "fields": ["user.email", "user.name"],
        "roles": ["properties"],
        "kind": "data",
        "sink": "mixpanel.Mixpanel().track",
        "confidence": "high",
    }
    assert len(mp["codeFlows"]) == 2
    tfl = mp["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [t["location"]["message"]["text"] for t in tfl] == [
        "user.email",
        "props = {'v': user.email}",
        "mp.track(...)",
    ]
    assert tfl[0]["location"]["physicalLocation"]["region"] == {
        "startLine": 8,
        "startColumn": 5,
    }
    ident = next(r for r in results if r["ruleId"] == "FS103")
    assert "codeFlows" not in ident  # flows without steps have nothing to show
    assert "suppressions" not in mp


def test_sarif_suppressed_and_allowed(policy: Policy) -> None:
    allowed = dataclasses.replace(MIXPANEL, rule_id="FS102", level="none")
    results = sarif(scan([SUPPRESSED, allowed]), policy)["runs"][0]["results"]
    assert len(results) == 1  # the allowed finding is a data map entry only
    assert results[0]["suppressions"] == [
        {"kind": "inSource", "justification": "reviewed: DPA signed"}
    ]


def test_sarif_artifacts_and_notifications(policy: Policy) -> None:
    run = sarif(scan(), policy)["runs"][0]
    assert [a["location"] for a in run["artifacts"]] == [
        {"uri": p, "uriBaseId": "%SRCROOT%"}
        for p in ("app/chat.py", "app/settings.py", "app/signup.py", "web/broken.ts")
    ]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is True
    notes = inv["toolExecutionNotifications"]
    uris = [
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes
    ]
    assert uris == ["data/blob.py", "vendor/big.min.js", "web/broken.ts"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        ("note", "skipped: not UTF-8"),
        ("note", "skipped: minified"),
        ("warning", "partially parsed: 2 syntax errors at 2:1, 7:3-7:9"),
    ]


def test_sarif_uri_is_escaped(policy: Policy) -> None:
    odd = dataclasses.replace(IDENT, span=Span("my app/ünï.py", 3))
    run = sarif(
        scan([odd], [FileOutcome("my app/ünï.py", "scanned", "python")]), policy
    )["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "my%20app/%C3%BCn%C3%AF.py"


def test_sarif_portable_omits_root(policy: Policy) -> None:
    assert "originalUriBaseIds" not in sarif(scan(), policy, portable=True)["runs"][0]


def test_sarif_caps(policy: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    long_flow = Flow(
        "user.email",
        "email",
        "properties",
        tuple(step("app/signup.py", i + 1, f"v{i}", "call") for i in range(150)),
    )
    big = dataclasses.replace(MIXPANEL, flows=(long_flow,))
    run = sarif(scan([big]), policy)["runs"][0]
    locs = run["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(locs) == sarif_mod.MAX_STEPS
    assert locs[-1]["location"]["message"]["text"] == "v149"  # the sink end is kept
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "1 code flows truncated to 100 steps" in [
        n["message"]["text"] for n in notes
    ]
    monkeypatch.setattr(sarif_mod, "MAX_RESULTS", 2)
    run = sarif(scan(), policy)["runs"][0]
    assert len(run["results"]) == 2
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"].startswith("results truncated: 2 of 5")


def test_sarif_decided_findings_keep_their_decision(policy: Policy) -> None:
    raised = dataclasses.replace(IDENT, rule_id="FS103", level="error")
    res = sarif(scan([raised]), policy)["runs"][0]["results"][0]
    assert (res["ruleId"], res["level"]) == ("FS103", "error")


def test_sarif_validator_catches_mistakes(policy: Policy) -> None:
    doc = json.loads(render("sarif", scan(), policy))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    del doc["runs"][0]["tool"]["driver"]["name"]
    errors = sarif_errors(doc)
    assert any("fatal" in e for e in errors) and any("'name'" in e for e in errors)
    doc = json.loads(render("sarif", scan(), policy))
    doc["runs"][0]["results"][0]["ruleIndex"] = 3
    with pytest.raises(AssertionError, match="ruleIndex"):
        assert_valid_sarif(doc)


# -- determinism ----------------------------------------------------------------------


def shuffled(seed: int) -> ScanResult:
    rng = random.Random(seed)
    findings = [
        dataclasses.replace(
            f,
            categories=tuple(rng.sample(f.categories, len(f.categories))),
            flows=tuple(rng.sample(f.flows, len(f.flows))),
        )
        for f in FINDINGS
    ]
    files = list(FILES)
    rng.shuffle(findings)
    rng.shuffle(files)
    return scan(findings, files)


@pytest.mark.parametrize("name", ["text", "json", "sarif"])
def test_byte_identical_for_any_insertion_order(policy: Policy, name: str) -> None:
    outputs = {render(name, shuffled(seed), policy, trace=True) for seed in range(8)}
    assert len(outputs) == 1
    assert outputs == {render(name, scan(), policy, trace=True)}


def test_decided_and_undecided_render_the_same(policy: Policy) -> None:
    decided = scan([policy.decide(f) for f in FINDINGS])
    for name in REPORTERS:
        assert render(name, decided, policy) == render(name, scan(), policy)


@pytest.mark.parametrize("name", ["text", "json", "sarif"])
def test_empty_scan(policy: Policy, name: str) -> None:
    out = render(name, scan([], []), policy)
    assert out.endswith("\n")
    if name == "sarif":
        doc = json.loads(out)
        assert_valid_sarif(doc)
        assert doc["runs"][0]["results"] == []
        assert doc["runs"][0]["tool"]["driver"]["rules"] == []

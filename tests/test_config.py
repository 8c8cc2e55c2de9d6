"""Project configuration on real git repositories: where it is found, precedence,
validation messages (`file: key: expected ...`), and what each key changes in a scan
(paths, fail-on, sanitisers, field patterns, custom vendors, policy statements)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowscan.config import ConfigError, build_catalog, find, load
from tests.gitrepo import Repo
from tests.sarif_validation import sarif_errors

APP = """
import sentry_sdk
import segment.analytics as analytics
from openai import OpenAI

client = OpenAI()


def handler(user, request):
    sentry_sdk.set_user({"id": user.id, "ip_address": request.remote_addr})
    analytics.identify(user.id, {"email": user.email})
    analytics.track(user.id, "Paid", {"email": user.email})
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": user.first_name}], user=user.id)
    sentry_sdk.set_user({"id": user.id, "diagnosis": user.diagnosis})
"""

POLICY = """
policy:
  - vendor: sentry                 # Sentry may receive user_id and ip_address
    categories: [user_id, ip_address]
    action: allow
  - vendor: "*"                    # no health or government_id to any third party
    categories: [health, government_id]
    action: deny
    level: error
  - vendor: segment                # Segment may receive email in identify traits only
    categories: [email]
    roles: [user]
    action: allow
  - vendor: llm                    # LLM vendors may receive nothing but user_id
    categories: [user_id]
    action: allow
  - vendor: llm
    categories: "*"
    action: deny
    level: error
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def decided(repo: Repo, capsys, *args: str) -> dict[int, tuple[str, str]]:  # type: ignore[no-untyped-def]
    res = repo.flowscan("scan", "-j", "1", "--format", "json", *args, capsys=capsys)
    return {f["location"]["startLine"]: (f["vendor"], f["level"])
            for f in res.json()["findings"]}


def test_policy_statements_from_config(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", APP)
    assert decided(repo, capsys) == {
        9: ("sentry", "warning"), 10: ("segment", "warning"), 11: ("segment", "warning"),
        12: ("openai", "warning"), 14: ("sentry", "error")}
    repo.write(".flowscan.yml", POLICY)
    assert decided(repo, capsys) == {
        9: ("sentry", "none"),      # allowed: only in the data map
        10: ("segment", "note"),    # email allowed as traits; user_id stays a note
        11: ("segment", "warning"),  # email in track properties: still a warning
        12: ("openai", "error"),    # a name to an LLM
        14: ("sentry", "error"),
    }
    sarif = repo.flowscan("scan", "-j", "1", "--format", "sarif", capsys=capsys).json()
    assert sarif_errors(sarif) == []
    assert 9 not in [r["locations"][0]["physicalLocation"]["region"]["startLine"]
                     for r in sarif["runs"][0]["results"]]


def test_pyproject_table_fail_on_and_precedence(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", APP)
    repo.write("pyproject.toml", """
        [project]
        name = "demo"

        [tool.flowscan]
        fail-on = "never"
        """)
    assert repo.flowscan("scan", "-j", "1", capsys=capsys).code == 0
    assert repo.flowscan("scan", "-j", "1", "--fail-on", "error", capsys=capsys).code == 1
    repo.write(".flowscan.toml", 'fail-on = "warning"\nexclude = ["legacy/"]\n')
    res = repo.flowscan("scan", "-j", "1", capsys=capsys)
    assert res.code == 1
    assert "pyproject.toml: ignored, .flowscan.toml takes precedence" in res.err
    path, warnings = find(repo.root)
    assert path == repo.root / ".flowscan.toml" and len(warnings) == 1


def test_found_from_a_subfolder_paths_relative_to_the_config(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("svc/api/app.py", APP)
    repo.write("svc/api/legacy/old.py", APP)
    repo.write("svc/api/gen/client.py", APP)
    repo.write(".flowscan.yml", """
        exclude: [svc/api/legacy/, "*_pb2.py", /gen/]
        """)
    sub = repo.root / "svc"
    res = repo.flowscan("scan", "-j", "1", "--format", "json", "api", cwd=sub, capsys=capsys)
    paths = {f["location"]["path"] for f in res.json()["findings"]}
    # legacy/ is excluded (re-based to the scanned folder); /gen/ is anchored at the
    # config's directory, so svc/api/gen is still scanned
    assert paths == {"app.py", "gen/client.py"}
    cfg = load(start=sub / "api")
    assert cfg.path == repo.root / ".flowscan.yml"
    assert cfg.exclude_for(sub / "api") == ["/legacy/", "*_pb2.py"]
    # no config above the repository root is picked up
    outer = repo.root.parent / ".flowscan.yml"
    outer.write_text("fail-on: never\n")
    try:
        (repo.root / ".flowscan.yml").unlink()
        assert load(start=sub).path is None
    finally:
        outer.unlink()


def test_include_paths(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("src/app.py", APP)
    repo.write("scripts/one_off.py", APP)
    repo.write(".flowscan.yml", "include: [src]\n")
    res = repo.flowscan("scan", "-j", "1", "--format", "json", capsys=capsys)
    assert {f["location"]["path"] for f in res.json()["findings"]} == {"src/app.py"}
    # an explicit path on the command line wins
    res = repo.flowscan("scan", "-j", "1", "--format", "json", "scripts", capsys=capsys)
    assert {f["location"]["path"] for f in res.json()["findings"]} == {"one_off.py"}


def test_fields_sanitisers_and_custom_vendor(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", """
        import acme_sdk
        from mixpanel import Mixpanel

        mp = Mixpanel("t")


        def go(user, plan):
            mp.track("anon", "x", {"care_track": plan.care_track})
            mp.track("anon", "y", {"email": scramble(user.email)})
            acme_sdk.send({"email": user.email})
        """)
    assert decided(repo, capsys) == {9: ("mixpanel", "warning")}
    repo.write(".flowscan.yml", """
        fields:
          health: ['care_track']
        sanitisers: ['scramble']
        vendors:
          - id: acme
            name: Acme Analytics
            category: product-analytics
            languages:
              python:
                packages: [acme-sdk]
                imports: {acme_sdk: acme}
                sinks:
                  - call: acme.send
                    args: [{pos: 0, role: properties}]
        """)
    assert decided(repo, capsys) == {8: ("mixpanel", "error"), 10: ("acme", "warning")}
    text = repo.flowscan("scan", "-j", "1", capsys=capsys).out
    assert "Acme Analytics" in text


@pytest.mark.parametrize(("text", "message"), [
    ("fail-on: critical\n",
     ".flowscan.yml:1: fail-on: expected one of error, warning, note, never, got 'critical'"),
    ("exclud: [x]\n", ".flowscan.yml:1: (top level): unknown key 'exclud'"),
    ("fields:\n  helth: [x]\n", ".flowscan.yml:2: fields.helth: expected a data category id"),
    ("fields:\n  health: ['(']\n",
     ".flowscan.yml:2: fields.health[0]: expected a regular expression, got '('"),
    ("include: src\n", ".flowscan.yml:1: include: expected a list of files or directories"),
    ("vendors:\n  - id: acme\n", ".flowscan.yml:2: vendors[0]: expected key 'name'"),
    ("policy:\n  - {vendor: sentyr, categories: '*', action: allow}\n",
     ".flowscan.yml: policy[0].vendor: expected a vendor id, a vendor category or \"*\", "
     "got 'sentyr'"),
    ("policy:\n  - {vendor: sentry, categories: '*', action: permit}\n",
     ".flowscan.yml: policy[0].action: expected allow or deny"),
    ("policy:\n  - {vendor: sentry, categories: [emails], action: allow}\n",
     ".flowscan.yml: policy[0].categories: expected \"*\" or a list of data category ids"),
    ("fail-on: [\n", ".flowscan.yml:2: invalid YAML"),
    ("vendors:\n  - {id: acme, name: Acme, category: other, languages: {python: {\n"
     "      packages: [acme], imports: {acme: acme}, returns: [{call: acme.fetch()}]}}}\n",
     ".flowscan.yml:3: vendors[0].languages.python.returns[0]: expected exactly one of "
     "the keys 'binds', 'data'"),
])
def test_errors_name_file_key_and_expectation(repo: Repo, capsys, text: str,  # type: ignore[no-untyped-def]
                                              message: str) -> None:
    repo.write("app.py", APP)
    repo.write(".flowscan.yml", text)
    with pytest.raises(ConfigError) as info:
        build_catalog(load(start=repo.root))
    assert message in str(info.value)
    res = repo.flowscan("scan", "-j", "1", capsys=capsys)
    assert res.code == 2 and message in res.err and res.out == ""


def test_toml_errors(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("pyproject.toml", '[tool.flowscan]\ninclude-tests = "yes"\n')
    res = repo.flowscan("scan", "-j", "1", capsys=capsys)
    assert res.code == 2
    assert "pyproject.toml: include-tests: expected true or false, got 'yes'" in res.err


def test_custom_vendor_reaches_worker_processes(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    """Above 64 files the scan runs in worker processes; they must see config vendors."""
    for i in range(70):
        repo.write(f"pkg/m{i}.py", f"VALUE = {i}\n")
    repo.write("pkg/acme_use.py", """
        import acme_sdk


        def go(user):
            acme_sdk.send({"email": user.email})
        """)
    repo.write(".flowscan.yml", """
        vendors:
          - id: acme
            name: Acme Analytics
            category: product-analytics
            languages:
              python:
                imports: {acme_sdk: acme}
                sinks:
                  - call: acme.send
                    args: [{pos: 0, role: properties}]
        """)
    assert decided(repo, capsys, "-j", "2") == {5: ("acme", "warning")}

"""Team workflow on real git repositories in temp dirs: inline suppressions, unused
ignores, fingerprint stability, baselines, diff mode, the hook's file filter, and
`rules explain`. Everything goes through the real CLI (`flowscan.cli.main`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import TRACK, Repo, git
from tests.sarif_validation import sarif_errors

LEAKS = """
import sentry_sdk
from mixpanel import Mixpanel

mp = Mixpanel("token")


def signup(user):
    mp.track(user.id, "Signed up", {"email": user.email})
    sentry_sdk.set_user({"id": user.id, "ssn": user.ssn})
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def levels(res) -> list[tuple[str, int, str, bool]]:  # type: ignore[no-untyped-def]
    return sorted((f["location"]["path"], f["location"]["startLine"], f["ruleId"],
                   f["suppressed"]) for f in res.json()["findings"])


# ---------------------------------------------------------------- suppressions


def test_ignore_by_code_slug_and_vendor_with_reason(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", """
        import sentry_sdk
        from mixpanel import Mixpanel

        mp = Mixpanel("token")


        def signup(user):
            mp.track(user.id, "A",
                     {"email": user.email})  # flowscan: ignore[personal-data-to-vendor] DPA
            # flowscan: ignore[FS101] SSN is masked by the SDK's before_send
            sentry_sdk.set_user({"id": user.id, "ssn": user.ssn})
            mp.track(user.id, "B", {"phone": user.phone})  # flowscan: ignore[mixpanel]
            mp.track(user.id, "C", {"name": user.name})  # flowscan: ignore[FS101] wrong rule
        """)
    repo.commit()
    res = repo.flowscan("scan", "-j", "1", "--format", "json", capsys=capsys)
    got = {f["location"]["startLine"]: (f["suppressed"], f["justification"])
           for f in res.json()["findings"]}
    assert got == {
        8: (True, "DPA"),  # a multi-line call: the ignore may be on its last line
        11: (True, "SSN is masked by the SDK's before_send"),
        12: (True, "suppressed inline (no reason given)"),
        13: (False, None),  # FS101 does not silence an FS102 finding
    }
    assert res.code == 0  # the only unsuppressed finding is a warning
    text = repo.flowscan("scan", "-j", "1", capsys=capsys)
    assert text.out.count("app.py:") == 1 and "app.py:13:" in text.out
    assert "3 suppressed" in text.out
    sarif = repo.flowscan("scan", "-j", "1", "--format", "sarif", capsys=capsys).json()
    assert sarif_errors(sarif) == []
    sup = [r for r in sarif["runs"][0]["results"] if "suppressions" in r]
    assert len(sup) == 3
    assert {"kind": "inSource", "justification": "DPA"} in [
        r["suppressions"][0] for r in sup]


def test_javascript_ignore_on_previous_line(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("web/app.js", """
        import posthog from 'posthog-js';

        export function login(user) {
          // flowscan: ignore[FS102] consented marketing contact
          posthog.identify(user.id, { email: user.email });
          posthog.capture('x', { email: user.email });
        }
        """)
    res = repo.flowscan("scan", "-j", "1", "--format", "json", capsys=capsys)
    assert [(line, sup) for _, line, _, sup in levels(res)] == [(5, True), (6, False)]


def test_unused_ignores_are_reported_and_fail(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", """
        from mixpanel import Mixpanel

        mp = Mixpanel("token")


        def signup(user):
            mp.track(user.id, "A", {"email": user.email})  # flowscan: ignore[FS102,FS101] ok
            mp.track("anon", "B", {"plan": user.plan})  # flowscan: ignore[FS102] stale
            mp.track(user.id, "C", {"email": user.email})  # flowscan: ignore[FS1O2] typo
        """)
    repo.write("util.py", """
        def helper():  # flowscan: ignore[FS101] nothing here any more
            return 1
        """)
    plain = repo.flowscan("scan", "-j", "1", "--fail-on", "error", capsys=capsys)
    assert plain.code == 0 and "unused" not in plain.err
    res = repo.flowscan("scan", "-j", "1", "--report-unused-ignores", "--fail-on", "error",
                        capsys=capsys)
    assert res.code == 1
    lines = [ln for ln in res.err.splitlines() if "unused" in ln]
    assert lines == [
        "app.py:7: unused flowscan: ignore[FS101]",
        "app.py:8: unused flowscan: ignore[FS102]",
        "app.py:9: unused flowscan: ignore[FS1O2] (not a rule code, rule slug or vendor id)",
        "util.py:1: unused flowscan: ignore[FS101]",
    ]
    sarif = repo.flowscan("scan", "-j", "1", "--report-unused-ignores", "--format", "sarif",
                          capsys=capsys).json()
    assert sarif_errors(sarif) == []
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    unused = [n for n in notes if "unused" in n["message"]["text"]]
    assert len(unused) == 4 and unused[0]["level"] == "warning"
    assert unused[-1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "util.py"


# ---------------------------------------------------------------- fingerprints


def _fingerprints(repo: Repo, capsys) -> dict[int, str]:  # type: ignore[no-untyped-def]
    res = repo.flowscan("scan", "-j", "1", "--format", "json", capsys=capsys)
    return {f["location"]["startLine"]: f["fingerprint"] for f in res.json()["findings"]}


def test_fingerprints_survive_line_moves_and_new_findings_above(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", LEAKS)
    before = _fingerprints(repo, capsys)
    assert sorted(before) == [8, 9]
    # move the code down, add an unrelated function and a new finding above both
    repo.write("app.py", LEAKS.replace("def signup(user):", '''
def audit(user):
    mp.track(user.id, "Audit", {"phone": user.phone})


# a comment


def signup(user):'''))
    after = _fingerprints(repo, capsys)
    assert len(after) == 3
    assert {before[8], before[9]} <= set(after.values())
    moved = {after[line] for line in after if line > 12}
    assert moved == {before[8], before[9]}
    sarif = repo.flowscan("scan", "-j", "1", "--format", "sarif", capsys=capsys).json()
    for r in sarif["runs"][0]["results"]:
        assert set(r["partialFingerprints"]) == {"flowscan/v1"}
    assert {r["partialFingerprints"]["flowscan/v1"] for r in sarif["runs"][0]["results"]} \
        == set(after.values())


# ---------------------------------------------------------------- baseline


def test_baseline_hides_accepted_reports_new_and_stale(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", LEAKS)
    repo.commit()
    assert repo.flowscan("scan", "-j", "1", capsys=capsys).code == 1
    made = repo.flowscan("baseline", "create", "-j", "1", "-o", "baseline.json", capsys=capsys)
    assert made.code == 0 and "2 findings" in made.err
    doc = (repo.root / "baseline.json").read_text()
    assert '"vendor": "sentry"' in doc and '"path": "app.py"' in doc and "startLine" not in doc
    ok = repo.flowscan("scan", "-j", "1", "--baseline", "baseline.json", capsys=capsys)
    assert ok.code == 0 and "0 findings" in ok.out and "2 findings in the baseline" in ok.err

    # code moves and a new leak above: only the new one is reported
    repo.write("app.py", LEAKS.replace("def signup(user):", '''

def checkout(user):
    sentry_sdk.set_user({"id": user.id, "card": user.card_number})


def signup(user):'''))
    res = repo.flowscan("scan", "-j", "1", "--baseline", "baseline.json", capsys=capsys)
    assert res.code == 1
    assert [ln.split(": ")[0] for ln in res.out.splitlines()[:-1]] == ["app.py:10:5"]

    # an identical second leak in the same function is new too (counts, not sets)
    repo.write("app.py", LEAKS + '    sentry_sdk.set_user({"id": user.id, "ssn": user.ssn})\n')
    dup = repo.flowscan("scan", "-j", "1", "--baseline", "baseline.json", capsys=capsys)
    assert dup.code == 1 and "app.py:10:" in dup.out and "app.py:9:" not in dup.out

    # fixing an accepted leak leaves a stale entry to prune
    repo.write("app.py", LEAKS.replace('"ssn": user.ssn', '"plan": user.plan'))
    stale = repo.flowscan("scan", "-j", "1", "--baseline", "baseline.json", "--format",
                          "sarif", "-o", "out.sarif", capsys=capsys)
    assert stale.code == 0
    assert "1 baseline entries match nothing" in stale.err and "app.py: FS101 sentry" in stale.err
    sarif = (repo.root / "out.sarif").read_text()
    assert "baseline entry matches nothing" in sarif


def test_baseline_from_config_and_errors(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("app.py", LEAKS)
    repo.write(".flowscan.yml", "baseline: .flowscan/baseline.json\n")
    (repo.root / ".flowscan").mkdir()
    warned = repo.flowscan("scan", "-j", "1", capsys=capsys)
    assert warned.code == 1 and "does not exist" in warned.err
    assert repo.flowscan("baseline", "create", "-j", "1", capsys=capsys).code == 0
    assert (repo.root / ".flowscan/baseline.json").is_file()
    assert repo.flowscan("scan", "-j", "1", capsys=capsys).code == 0
    (repo.root / "bad.json").write_text('{"findings": []}')
    bad = repo.flowscan("scan", "-j", "1", "--baseline", "bad.json", capsys=capsys)
    assert bad.code == 2 and "not a flowscan baseline" in bad.err


# ---------------------------------------------------------------- diff mode


def _worktrees(repo: Repo) -> int:
    return git(repo.root, "worktree", "list").count("\n")


def test_diff_base_reports_flows_into_unchanged_sinks(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("track.py", TRACK)
    repo.write("app.py", """
        from track import send


        def signup(user):
            send(user, {"plan": user.plan})
        """)
    repo.write("other.py", LEAKS)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("app.py", """
        from track import send


        def signup(user):
            send(user, {"plan": user.plan, "ssn": user.ssn})
        """)
    repo.commit("leak ssn")
    status = repo.status()
    res = repo.flowscan("scan", "-j", "1", "--diff-base", "main", "--format", "json",
                        capsys=capsys)
    found = res.json()["findings"]
    assert res.code == 1
    # the sink is in track.py, unchanged; the new source is in app.py
    assert [(f["location"]["path"], f["ruleId"]) for f in found] == [("track.py", "FS101")]
    assert repo.status() == status and _worktrees(repo) == 1  # the user's tree untouched

    # equals "full scan of HEAD minus full scan of the ref", by fingerprint
    full_head = repo.flowscan("scan", "-j", "1", "--format", "json", capsys=capsys).json()
    git(repo.root, "checkout", "-q", "main")
    full_base = repo.flowscan("scan", "-j", "1", "--format", "json", capsys=capsys).json()
    git(repo.root, "checkout", "-q", "feature")
    expected = {f["fingerprint"] for f in full_head["findings"]} - {
        f["fingerprint"] for f in full_base["findings"]}
    assert {f["fingerprint"] for f in found} == expected

    # nothing relevant changed: empty and fast (no checkout at all)
    same = repo.flowscan("scan", "-j", "1", "--diff-base", "feature", capsys=capsys)
    assert same.code == 0 and "0 findings" in same.out


def test_diff_base_from_subfolder_and_bad_ref(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("svc/track.py", TRACK)
    repo.write("svc/app.py", "from track import send\n")
    base = repo.commit("base")
    repo.write("svc/app.py", """
        from track import send


        def go(user):
            send(user, {"email": user.email})
        """)  # uncommitted: the working tree is compared
    res = repo.flowscan("scan", "-j", "1", "svc", "--diff-base", base, "--fail-on", "warning",
                        capsys=capsys)
    assert res.code == 1 and res.out.startswith("track.py:7:5: warning FS102")
    bad = repo.flowscan("scan", "-j", "1", "--diff-base", "no-such-branch", capsys=capsys)
    assert bad.code == 2 and "no-such-branch" in bad.err
    assert _worktrees(repo) == 1


# ---------------------------------------------------------------- hook filter


def test_hook_reports_only_findings_touching_given_files(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    repo.write("track.py", TRACK)
    repo.write("app.py", """
        from track import send


        def pay(user):
            send(user, {"card": user.card_number})
        """)
    repo.write("other.py", LEAKS)
    repo.write("README.md", "docs\n")
    repo.commit()
    quiet = repo.flowscan("hook", "README.md", capsys=capsys)
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    # the source is in app.py, the sink in track.py: staging either one reports it
    for staged in ("app.py", "track.py"):
        res = repo.flowscan("hook", staged, capsys=capsys)
        assert res.code == 1
        assert res.out.splitlines()[0].startswith("track.py:7:5: error FS101")
        assert "other.py" not in res.out and len(res.out.splitlines()) == 2
    # below the failing level: silent
    notes_only = repo.flowscan("hook", "--fail-on", "error", "other.py", capsys=capsys)
    assert notes_only.code == 1  # other.py sends an SSN to Sentry
    repo.write("other.py", LEAKS.replace('"ssn": user.ssn', '"plan": user.plan'))
    assert repo.flowscan("hook", "other.py", capsys=capsys).out == ""


# ---------------------------------------------------------------- rules explain


def test_rules_explain(capsys) -> None:  # type: ignore[no-untyped-def]
    from flowscan.cli import main

    assert main(["rules", "explain", "FS101"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("FS101 special-category-to-vendor (error")
    for part in ("Why it matters:", "Example:", "How to fix:", "ignore[FS101]"):
        assert part in out
    assert main(["rules", "explain", "identifier-to-vendor"]) == 0
    assert capsys.readouterr().out.startswith("FS103 identifier-to-vendor")
    assert main(["rules", "explain", "FS999"]) == 2
    assert "known rules: FS101" in capsys.readouterr().err


def test_explain_outside_git_scans_the_project_not_the_current_directory(
        tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from flowscan.cli import main

    app = tmp_path / "work" / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("mixpanel\nsentry-sdk\n")
    (app / "main.py").write_text(LEAKS)
    other = tmp_path / "work" / "other"  # beside it, in the current directory: not read
    other.mkdir()
    (other / "leaks.py").write_text(LEAKS)
    monkeypatch.chdir(tmp_path / "work")
    line = LEAKS.splitlines().index('    mp.track(user.id, "Signed up", {"email": user.email})') + 1
    assert main(["explain", f"app/main.py:{line}"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"main.py:{line}:")  # relative to app/, the project's root
    assert "user.email: email" in out


# ---------------------------------------------------------------- CI outputs


def test_sarif_report_written_on_failure_and_gitlab_sast(repo: Repo, capsys,  # type: ignore[no-untyped-def]
                                                         monkeypatch) -> None:
    repo.write("app.py", LEAKS.replace('sentry_sdk.set_user({"id": user.id, "ssn": user.ssn})',
                                       "# flowscan: ignore[FS101] scrubbed by before_send\n"
                                       '    sentry_sdk.set_user({"id": user.id, "ssn": user.ssn})'
                                       '\n    sentry_sdk.set_user({"card": user.card_number})'))
    res = repo.flowscan("scan", "-j", "1", "--format", "sarif", "-o", "out.sarif",
                        capsys=capsys)
    assert res.code == 1 and res.out == ""
    import json

    log = json.loads((repo.root / "out.sarif").read_text())
    assert sarif_errors(log) == []
    run = log["runs"][0]
    assert run["automationDetails"]["id"].startswith("flowscan")
    for rule in run["tool"]["driver"]["rules"]:
        assert {"id", "name", "shortDescription", "fullDescription", "help", "helpUri",
                "defaultConfiguration", "properties"} <= set(rule)
        assert "markdown" in rule["help"] and "privacy" in rule["properties"]["tags"]
        assert rule["properties"]["security-severity"] and rule["properties"]["precision"]
    for r in run["results"]:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] \
            == "%SRCROOT%"
        assert "primaryLocationLineHash" not in r["partialFingerprints"]
        assert r["codeFlows"]
    assert sorted(r["level"] for r in run["results"]) == ["error", "error", "warning"]

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    gl = repo.flowscan("scan", "-j", "1", "--format", "gitlab-sast", capsys=capsys).json()
    assert gl["scan"]["type"] == "sast" and gl["scan"]["start_time"] == "1970-01-01T00:00:00"
    vulns = gl["vulnerabilities"]
    assert sorted((v["location"]["start_line"], v["severity"]) for v in vulns) == [
        (8, "Medium"), (11, "High")]  # the suppressed one is left out
    assert all(v["identifiers"][0]["value"].startswith("FS") for v in vulns)
    assert len({v["id"] for v in vulns}) == len(vulns)


def test_rules_explain_vendor_lists_its_sinks() -> None:
    from click.testing import CliRunner

    from flowscan.cli import cli

    out = CliRunner().invoke(cli, ["rules", "explain", "mixpanel"])
    assert out.exit_code == 0, out.output
    assert "sink mixpanel.Mixpanel().track(" in out.output
    assert "config leak mixpanel-browser.init ip = True" in out.output


def test_rules_explain_vendor_lists_its_callbacks() -> None:
    from click.testing import CliRunner

    from flowscan.cli import cli

    out = CliRunner().invoke(cli, ["rules", "explain", "sentry"])
    assert out.exit_code == 0, out.output
    assert ("callback sentry.init kw before_send param #0 -> sentry.Event, "
            "what it returns is sent") in out.output  # a keyword-only callback
    assert "callback sentry-js.init arg #0 key beforeSend param #0" in out.output
    assert "callback sentry-js.withScope arg #0 param #0 -> sentry-js.Scope\n" in out.output


def test_repo_top_without_git_matches_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """The hook finds the repository's top by the directory holding `.git`, as git
    does, in a subfolder, in a linked worktree (`.git` is a file there), and hands the
    question to git when GIT_DIR says where the repository is."""
    from flowscan.diff import repo_top

    repo = Repo(tmp_path / "r")
    (repo.root / "src" / "deep").mkdir(parents=True)
    (repo.root / "src" / "deep" / "a.py").write_text("x = 1\n")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "c")
    git(repo.root, "worktree", "add", "-q", str(tmp_path / "wt"))
    for start in (repo.root / "src" / "deep", tmp_path / "wt" / "src", tmp_path / "wt"):
        expected = git(start, "rev-parse", "--show-toplevel").strip()
        assert repo_top(start) == Path(expected).resolve()
    assert (tmp_path / "wt" / ".git").is_file()
    monkeypatch.setenv("GIT_DIR", str(repo.root / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repo.root))
    assert repo_top(tmp_path / "wt" / "src") == repo.root.resolve()

"""`flowscan map` and `flowscan diff` end to end: every format on the demo app, and a
diff between two commits of a git repository built from the demo."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from flowscan.cli import main

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


@pytest.fixture(scope="module")
def demo_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("map") / "demo.json"
    assert main(["map", str(DEMO), "--format", "json", "-o", str(out), "-j", "1"]) == 0
    return out


def test_demo_map_json(demo_map: Path) -> None:
    doc = json.loads(demo_map.read_text("utf-8"))
    by_id = {v["id"]: v for v in doc["vendors"]}
    assert {"mixpanel", "sentry", "posthog", "intercom"} <= set(by_id)
    assert "email" in by_id["mixpanel"]["categories"]
    assert "user.email" in by_id["mixpanel"]["fields"]
    assert by_id["mixpanel"]["declared"] and by_id["mixpanel"]["imported"]
    assert by_id["posthog"]["manifests"] == [
        {"path": "backend/requirements.txt", "package": "posthog"},
        {"path": "web/package.json", "package": "posthog-js"}]
    # the Intercom widget is a window global no manifest declares
    assert "undeclared" in by_id["intercom"]["flags"]
    assert doc["root"] == "demo"
    assert all(not fl["sink"]["path"].startswith("/") for fl in doc["flows"])


@pytest.mark.parametrize("fmt", ["text", "csv", "markdown", "html", "dot", "graphml"])
def test_demo_map_every_format(fmt: str, demo_map: Path, tmp_path: Path) -> None:
    out = tmp_path / f"map.{fmt}"
    assert main(["map", "--from", str(demo_map), "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text("utf-8")
    assert "mixpanel" in text.lower() and "user.email" in text


def test_vendor_filter_answers_what_did_we_send(demo_map: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--from", str(demo_map), "--vendor", "mixpanel", "--format",
                 "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [v["id"] for v in doc["vendors"]] == ["mixpanel"]
    assert {fl["vendor"] for fl in doc["flows"]} == {"mixpanel"}
    assert main(["map", "--from", str(demo_map), "--vendor", "braze"]) == 0
    assert "0 of 1 vendors receive personal data" in capsys.readouterr().out
    assert main(["map", "--from", str(demo_map), "--vendor", "not-a-vendor"]) == 2
    assert "unknown vendor" in capsys.readouterr().err


def test_map_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", str(tmp_path / "missing")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["map", "--from", str(bad)]) == 2
    assert main(["diff", str(bad)]) == 2
    assert "not a flowscan data map" in capsys.readouterr().err


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Two commits: the demo, then a new vendor (Amplitude) and a new category to an
    existing vendor (date of birth to Mixpanel)."""
    repo = tmp_path_factory.mktemp("repo") / "invoicely"
    shutil.copytree(DEMO, repo)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    base = git(repo, "rev-parse", "HEAD")
    app = repo / "backend" / "app.py"
    text = app.read_text("utf-8")
    text = text.replace("from mixpanel import Mixpanel\n",
                        "from mixpanel import Mixpanel\nfrom amplitude import Amplitude, "
                        "BaseEvent\n")
    text = text.replace(
        '    track_event(user, "signup completed"',
        '    mp.people_set(str(user.id), {"birthday": user.date_of_birth})\n'
        '    Amplitude("key").track(BaseEvent(event_type="signup", user_id=str(user.id), '
        'event_properties={"email": user.email}))\n'
        '    track_event(user, "signup completed"')
    app.write_text(text, "utf-8")
    git(repo, "commit", "-qam", "amplitude and birthday")
    head = git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("work in progress\n")  # a dirty tree must stay as it is
    return repo, base, head


def test_diff_between_two_commits(demo_repo: tuple[Path, str, str],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo, base, head = demo_repo
    code = main(["diff", "--base", base, "--head", head, str(repo), "--format", "json",
                 "--fail-on", "new-category"])
    d = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [v["vendor"] for v in d["newVendors"]] == ["amplitude"]
    assert ("mixpanel", "date_of_birth") in {(e["vendor"], e["category"])
                                             for e in d["newCategories"]}
    assert not d["removedFlows"]
    assert git(repo, "status", "--porcelain") == "M README.md"
    assert git(repo, "worktree", "list").count("\n") == 0


def test_diff_base_against_working_tree_and_saved_maps(
        demo_repo: tuple[Path, str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo, base, head = demo_repo
    assert main(["diff", "--base", head, str(repo), "--fail-on", "new-flow"]) == 0
    assert "No change" in capsys.readouterr().out
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert main(["diff", "--base", base, str(repo), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "### New vendors" in md and "`amplitude`" in md
    # the same comparison from two saved maps
    git(repo, "stash", "-q", "--include-untracked")
    try:
        git(repo, "checkout", "-q", base)
        assert main(["map", str(repo), "--format", "json", "-o", str(old)]) == 0
        git(repo, "checkout", "-q", head)
        assert main(["map", str(repo), "--format", "json", "-o", str(new)]) == 0
    finally:
        git(repo, "stash", "pop", "-q")
    assert main(["diff", str(old), str(new), "--fail-on", "new-vendor"]) == 1
    assert "Amplitude (amplitude) receives" in capsys.readouterr().out
    assert main(["diff", "--base", "no-such-ref", str(repo)]) == 2

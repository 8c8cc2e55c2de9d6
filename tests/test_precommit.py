"""The published pre-commit hook, end to end, with the real `pre-commit` tool: a temp
repository whose .pre-commit-config.yaml points at a git snapshot of this checkout (so
.pre-commit-hooks.yaml is what gets exercised), `pre-commit install`, then real
`git commit`s. pre-commit builds its own virtualenv and pip-installs flowscan into it,
which takes about a minute: this is the one slow test (marker `precommit`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import git

pytest.importorskip("pre_commit", reason="pre-commit is in the `test` extra")

CHECKOUT = Path(__file__).resolve().parents[1]
NEEDED = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "flowscan/", "rules/")


def _snapshot(dest: Path) -> str:
    """A one-commit git repository holding the working tree's package files (committed
    or not), so the test checks this code, not the last commit."""
    listed = git(CHECKOUT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in listed.split("\0"):
        if rel and rel.startswith(NEEDED) and (CHECKOUT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CHECKOUT / rel, dest / rel)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD").strip()


@pytest.mark.precommit
def test_hook_blocks_a_leaking_commit_and_passes_a_clean_one(tmp_path: Path) -> None:
    src = tmp_path / "flowscan-src"
    src.mkdir()
    rev = _snapshot(src)
    proj = tmp_path / "proj"
    proj.mkdir()
    git(proj, "init", "-q", "-b", "main")
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {src}\n    rev: {rev}\n    hooks:\n      - id: flowscan\n")
    (proj / "track.py").write_text(
        "import sentry_sdk\n\n\ndef identify(user, extra):\n"
        "    sentry_sdk.set_user({\"id\": user.id, **extra})\n")
    git(proj, "add", "-A")
    git(proj, "commit", "-q", "-m", "initial")

    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=proj, env=env,
                   check=True, capture_output=True)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "commit", "-m", message], cwd=proj, env=env,
                              text=True, capture_output=True, timeout=900)

    # the leak's source is in the staged file, its sink in the unchanged track.py
    (proj / "signup.py").write_text(
        "from track import identify\n\n\ndef signup(user):\n"
        "    identify(user, {\"ssn\": user.ssn})\n")
    git(proj, "add", "signup.py")
    blocked = commit("leak")
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, out
    assert "track.py:5:5: error FS101 Sentry: government_id, user_id" in out, out
    assert git(proj, "rev-list", "--count", "HEAD").strip() == "1"

    (proj / "signup.py").write_text(
        "from track import identify\n\n\ndef signup(user):\n"
        "    identify(user, {\"plan\": user.plan})\n")
    git(proj, "add", "signup.py")
    passed = commit("clean")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "FS1" not in passed.stdout + passed.stderr
    assert git(proj, "rev-list", "--count", "HEAD").strip() == "2"

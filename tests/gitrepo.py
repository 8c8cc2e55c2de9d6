"""Real git repositories in temp dirs, and the flowscan CLI run in-process against
them, for the workflow tests (config, suppressions, baseline, diff, hook)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowscan.cli import main


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, text=True,
                          capture_output=True).stdout


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "commit.gpgsign", "false")

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
        return path

    def commit(self, message: str = "change") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD").strip()

    def status(self) -> str:
        return git(self.root, "status", "--porcelain")

    def flowscan(self, *args: str, cwd: Path | None = None, capsys: Any) -> Result:
        capsys.readouterr()
        old = Path.cwd()
        os.chdir(cwd or self.root)
        try:
            code = main([*args])
        finally:
            os.chdir(old)
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)


TRACK = """
from mixpanel import Mixpanel

mp = Mixpanel("token")


def send(user, props):
    mp.track(user.id, "event", props)
"""

"""Small throwaway projects for tests that scan twice (cache, growth, incremental)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from flowscan.scan import Options, ScanResult, run_scan

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program


def kept_programs(monkeypatch: pytest.MonkeyPatch) -> list[Program]:
    """The analysis programs of the scans that follow, in order (each as it finished:
    its stores, visits and state)."""
    from flowscan.analysis.engine import Program

    programs: list[Program] = []
    finish = Program.finish

    def kept(self: Program) -> object:
        programs.append(self)
        return finish(self)

    monkeypatch.setattr(Program, "finish", kept)
    return programs


def write_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  files: dict[str, str]) -> Path:
    """`files` under tmp_path/repo; the cache under tmp_path/home when the repo's own
    directory is not used."""
    monkeypatch.setenv("FLOWSCAN_CACHE_DIR", str(tmp_path / "home"))
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def scan(root: Path, catalog, cache: bool = True) -> ScanResult:
    return run_scan([root], Options(jobs=1, cache=cache), catalog)

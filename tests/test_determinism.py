"""The same tree gives byte-identical JSON and SARIF whatever the hash seed, the number
of worker processes, or the order the file system lists entries in. Each run uses a
fresh cache directory, so no run can copy another's answer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run(root: Path, fmt: str, seed: str, jobs: int, cache: Path) -> bytes:
    env = dict(os.environ, PYTHONHASHSEED=seed, FLOWSCAN_CACHE_DIR=str(cache))
    proc = subprocess.run(
        [sys.executable, "-m", "flowscan", "scan", str(root), "--format", fmt,
         "--jobs", str(jobs), "--fail-on", "never", "--include-tests"],
        capture_output=True, env=env, cwd=root, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


@pytest.mark.parametrize("fixture", ["demo", "apps"])
def test_byte_identical_across_seeds_and_jobs(fixture: str, tmp_path: Path) -> None:
    root = FIXTURES / fixture
    for fmt in ("sarif", "json"):
        combos = (("0", 1), ("1", 2), ("4242", 2)) if fixture == "demo" else (("0", 1),
                                                                            ("1", 2))
        outs = {run(root, fmt, seed, jobs, tmp_path / f"c-{fmt}-{seed}-{jobs}")
                for seed, jobs in combos}
        assert len(outs) == 1, f"{fixture} {fmt}: outputs differ"


def test_byte_identical_across_directory_order(tmp_path: Path) -> None:
    """Copy the demo twice, creating entries in opposite orders (directory listing order
    follows creation order on most file systems); outputs name relative paths only."""
    src = FIXTURES / "demo"
    files = sorted(p for p in src.rglob("*") if p.is_file())
    outs = []
    for name, order in (("a", files), ("b", list(reversed(files)))):
        root = tmp_path / name / "demo"
        for p in order:
            dest = root / p.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
        outs.append(run(root, "json", "0", 1, tmp_path / f"cache-{name}")
                    .replace(str(root).encode(), b"ROOT"))
    assert outs[0] == outs[1]

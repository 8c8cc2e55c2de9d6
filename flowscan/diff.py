"""Diff mode: the findings a change introduces relative to a git ref.

Defined as "findings of the working tree minus findings of REF", by fingerprint and
count, each side a *full* scan with the same configuration and policy. Scanning only
the changed files would miss a leak whose sink sits in an unchanged file but whose
source (or sanitiser removal) is in a changed one. The ref is checked out into a
temporary `git worktree add --detach` outside the user's tree, scanned, and removed.
When no file that can affect a scan differs from the ref, both scans would be equal, so
neither runs.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from flowscan.model import Finding

# names whose change can change findings besides source files
_SETTINGS = (".flowscanignore", ".gitignore", "package.json")


class DiffError(Exception):
    """The ref cannot be resolved or checked out; the message says why."""


def _git(cwd: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True,
                              text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiffError(f"git {args[0]}: {exc}") from None
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def repo_top(path: Path) -> Path:
    d = path.resolve()
    d = d if d.is_dir() else d.parent
    # git's own answer without starting it (a pre-commit run starts enough processes):
    # the nearest directory holding `.git`, a directory or, in a linked worktree or a
    # submodule, a file; unless the environment tells git where the repository is
    if not {"GIT_DIR", "GIT_WORK_TREE"} & os.environ.keys():
        for top in (d, *d.parents):
            if (top / ".git").exists():
                return top
    try:
        return Path(_git(d, "rev-parse", "--show-toplevel").strip())
    except DiffError:
        raise DiffError(f"{path}: not inside a git repository (--diff-base needs one)") from None


def resolve(top: Path, ref: str) -> str:
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except DiffError:
        raise DiffError(f"--diff-base {ref}: not a commit, branch or tag in {top}") from None


def changed_files(top: Path, sha: str) -> list[str]:
    """Paths (relative to the top) that differ between `sha` and the working tree,
    untracked files included."""
    out = _git(top, "diff", "--name-only", "-z", "--no-renames", sha, "--")
    out += _git(top, "ls-files", "-z", "--others", "--exclude-standard")
    return sorted({p for p in out.split("\0") if p})


def can_affect(path: str) -> bool:
    from flowscan.frontends import EXTENSIONS

    name = path.rsplit("/", 1)[-1]
    ext = name[name.rfind("."):].lower() if "." in name else ""
    return (ext in EXTENSIONS or name in _SETTINGS
            or (name.startswith("tsconfig") and name.endswith(".json")))


def subtract(head: list[Finding], base: list[Finding]) -> list[Finding]:
    """Multiset difference by fingerprint; the surplus of a fingerprint is taken from
    the end (in file order) so the earliest ones count as pre-existing."""
    budget = Counter(f.fingerprint for f in base if f.suppressed is None)
    out: list[Finding] = []
    for f in sorted(head):
        if f.suppressed is None and budget[f.fingerprint] > 0:
            budget[f.fingerprint] -= 1
        else:
            out.append(f)
    return out


def findings_at(ref: str, scan_root: Path,
                scan: Callable[[Callable[[Path], Path]], list[Finding]]) -> list[Finding] | None:
    """Findings of `ref`: `scan(rebase)` runs on a temporary checkout, `rebase` maps
    a path of the working tree to the same path in the checkout. None when nothing
    that can affect a scan changed (the diff is then empty)."""
    top = repo_top(scan_root)
    sha = resolve(top, ref)
    if not any(can_affect(p) for p in changed_files(top, sha)):
        return None
    import shutil  # here: a pre-commit run imports this module, and these cost it 12 ms
    import tempfile

    sub = scan_root.resolve().relative_to(top.resolve())
    tmp = Path(tempfile.mkdtemp(prefix="flowscan-diff-"))
    tree = tmp / "tree"
    try:
        _git(top, "worktree", "add", "--detach", "--quiet", str(tree), sha)
        try:
            if not (tree / sub).is_dir():
                return []  # the scanned directory is new since the ref

            def rebase(p: Path) -> Path:
                return tree / p.resolve().relative_to(top.resolve())

            return scan(rebase)
        finally:
            try:
                _git(top, "worktree", "remove", "--force", str(tree))
            except DiffError:
                _git(top, "worktree", "prune")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

"""`git ls-files` for discovery (targets.py), started as early as the scan root is
known. Imports nothing heavy: the pre-commit entry point (entry.py) starts git from
here before the command line's own imports."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
from collections.abc import Iterator


class Listing:
    """`git ls-files` as two processes: the tracked files, which git reads from its
    index at once, and the untracked ones it does not ignore, for which it walks the
    whole tree (a tenth of a second at a million lines). Discovery sorts out the first
    while git still walks for the second."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.procs: list[subprocess.Popen[bytes]] = []
        for which in (["--cached"], ["--others", "--exclude-standard"]):
            self.procs.append(subprocess.Popen(
                ["git", "-C", root, "ls-files", "-z", *which, "--", "."],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))

    def parts(self, top_level: bool) -> Iterator[list[str] | None]:
        """The tracked files, then the untracked ones (`top_level`: the root holds
        `.git` itself, so paths need no prefix taken off); None when git failed."""
        top = "" if top_level else subprocess.run(
            ["git", "-C", self.root, "rev-parse", "--show-prefix"],
            capture_output=True, text=True, check=False).stdout.strip()
        for proc in self.procs:
            try:
                out, _ = proc.communicate(timeout=60)
            except (OSError, subprocess.SubprocessError):
                out = None
            if out is None or proc.returncode:
                self.stop()
                yield None
                return
            # (decoded whole: NUL is never part of a multi-byte character)
            files = [rel for rel in out.decode("utf-8", "surrogateescape").split("\0") if rel]
            if top:
                files = [rel[len(top):] if rel.startswith(top) else rel for rel in files]
            yield files

    def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.kill()
                proc.communicate()

    @property
    def stopped(self) -> bool:
        return all(proc.returncode is not None for proc in self.procs)


LISTING: dict[str, Listing] = {}  # scan root -> `git ls-files` under way


def in_work_tree(root: str) -> bool:
    """`root` or a directory above it holds `.git`."""
    path = root
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def prefetch(root: str) -> None:
    """Start listing the files under the scan root `root` (a resolved directory), for
    discovery to take."""
    if root not in LISTING and in_work_tree(root):
        with contextlib.suppress(OSError):
            if not LISTING:  # a listing no scan took (the configuration failed) is
                atexit.register(stop_all)  # stopped on exit
            LISTING[root] = Listing(root)


def take(root: str) -> Listing | None:
    """The listing started for `root`; those for other roots (the configuration moved
    the scan elsewhere) are stopped."""
    started = LISTING.pop(root, None)
    stop_all()
    return started


def stop_all() -> None:
    for listing in LISTING.values():
        listing.stop()
    LISTING.clear()
    atexit.unregister(stop_all)

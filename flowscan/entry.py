"""The `flowscan` console script and `python -m flowscan`.

Before the command line's own imports (60 ms at start-up), `flowscan hook` and
`flowscan scan` start git listing the scan root's files: git walks a million lines'
tree for its untracked files in about a tenth of a second, which discovery otherwise
waited for. A root guessed wrong (a configuration that moves the scan) is stopped."""

from __future__ import annotations

import os
import sys

# `flowscan scan`'s options that take a value (a test keeps this in step with cli.py)
SCAN_VALUED = frozenset({"--baseline", "--cache-dir", "--config", "--diff-base", "--exclude",
                         "--fail-on", "--format", "--jobs", "--max-bytes", "--output",
                         "--timeout", "-j", "-o"})


def main() -> int:
    start_listing(sys.argv[1:])
    from flowscan.cli import main as cli_main

    return cli_main()


def start_listing(argv: list[str]) -> None:
    """Start git listing the files the command `argv` will most likely scan (before
    it loads: bench/perf.py times its runs this way too)."""
    root = scan_root(argv)
    if root is not None:
        from flowscan import gitlist

        gitlist.prefetch(root)


def scan_root(argv: list[str]) -> str | None:
    """The directory the command will most likely scan: the working directory's for
    `hook`, the first path's (or the working directory's) for `scan`."""
    if argv[:1] == ["hook"]:
        return os.path.realpath(os.getcwd())
    if argv[:1] != ["scan"]:
        return None
    first, args = ".", argv[1:]
    while args:
        arg, args = args[0], args[1:]
        if arg == "--":
            first = args[0] if args else "."
            break
        if arg.startswith("-") and arg != "-":
            if arg in SCAN_VALUED:
                args = args[1:]
            continue
        first = arg
        break
    path = os.path.realpath(first)
    return path if os.path.isdir(path) else os.path.dirname(path)

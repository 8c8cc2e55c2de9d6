"""The `flowscan` console script and `python -m flowscan`.

Before the command line's own imports (60 ms at start-up), `flowscan hook` starts git
listing the repository's files: git walks a million lines' tree for its untracked
files in about a tenth of a second, which discovery otherwise waited for."""

from __future__ import annotations

import os
import sys


def main() -> int:
    if sys.argv[1:2] == ["hook"]:  # (it scans the working directory's repository)
        from flowscan import gitlist

        gitlist.prefetch(os.path.realpath(os.getcwd()))
    from flowscan.cli import main as cli_main

    return cli_main()

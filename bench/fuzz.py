"""Long fuzz run of the per-file pipeline (read, decode, SFC extraction, parse, lower)
and of the redaction: the property tests of tests/test_properties.py with many more
examples. Prints inputs tried, outcomes by status, and any exception that escaped.

    python bench/fuzz.py [--examples 5000] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_properties import CONTENT, EXTS  # noqa: E402

from flowscan import limits  # noqa: E402
from flowscan.catalog import load_catalog  # noqa: E402
from flowscan.redact import redact  # noqa: E402
from flowscan.workers import read_file, use_catalog  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    catalog = load_catalog()
    use_catalog(catalog)
    limits.configure(limits.Limits(timeout=5.0))
    outcomes: collections.Counter[str] = collections.Counter()
    escaped: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="flowscan-fuzz-"))
    classify = catalog.taxonomy.classify_literal

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(ext=st.sampled_from(EXTS), data=CONTENT, text=st.text(max_size=100),
           wrap=st.booleans())
    def one(ext: str, data: bytes, text: str, wrap: bool) -> None:
        if wrap and ext in (".vue", ".svelte"):  # a component around a mutated script
            data = b"<template><p/></template>\n<script lang='ts'>\n" + data + b"\n</script>"
        (tmp / f"f{ext}").write_bytes(data)
        try:
            facts = read_file(str(tmp), f"f{ext}", "", True)
            status = facts.outcome.status if facts else "none"
            reason = facts.outcome.reason.split(" (")[0].split(":")[0] if facts else ""
            outcomes[f"{ext} {status}" + (f" ({reason})" if status == "skipped" else "")] += 1
            redact(text, classify)
        except Exception:
            escaped.append(f"{ext} {data[:80]!r}\n{traceback.format_exc()}")
            outcomes["EXCEPTION"] += 1

    started = time.perf_counter()
    one()
    took = time.perf_counter() - started
    total = sum(outcomes.values())
    print(f"fuzz: {total} inputs in {took:.1f}s ({total / max(took, 1e-9):.0f}/s), "
          f"seed {args.seed}, {len(escaped)} escaped exceptions")
    for key, n in sorted(outcomes.items()):
        print(f"  {n:6d}  {key}")
    for e in escaped[:5]:
        print(e)
    return 1 if escaped else 0


if __name__ == "__main__":
    raise SystemExit(main())

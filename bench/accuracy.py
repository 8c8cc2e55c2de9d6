"""Precision, recall and F1 of flowscan on the bundled fixtures, by difficulty tier,
language and vendor. Usage: python bench/accuracy.py [--verbose]"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from flowscan.catalog import load_catalog
from flowscan.expectations import compare, prf, read_fixture
from flowscan.scan import Options, run_scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def main(verbose: bool) -> int:
    catalog = load_catalog()
    roots = [FIXTURES / "demo", FIXTURES / "config-leaks", FIXTURES / "raw-http",
             *sorted((FIXTURES / "apps").iterdir()),
             *sorted((FIXTURES / "vendors").iterdir())]
    by: dict[str, dict[str, list[int]]] = {k: defaultdict(lambda: [0, 0, 0])
                                           for k in ("tier", "language", "vendor", "all")}
    for root in roots:
        if not root.is_dir() or root.name.startswith("."):
            continue
        fixture = read_fixture(root)
        result = run_scan([root], Options(jobs=1, cache=False), catalog)
        cmp = compare(fixture, result.findings)
        lang_of = {e.path: e.language for e in fixture.expected}
        for e in cmp.true_positives:
            for k, v in (("tier", e.tier), ("language", e.language), ("vendor", e.vendor),
                         ("all", "all")):
                by[k][v][0] += 1
        for f in cmp.false_positives:
            lang = lang_of.get(f.span.path, "python" if f.span.path.endswith(".py")
                               else "javascript")
            for k, v in (("tier", "(false positives)"), ("language", lang),
                         ("vendor", f.vendor), ("all", "all")):
                by[k][v][1] += 1
            if verbose:
                print(f"FP {root.name}/{f.span.path}:{f.span.line} {f.vendor} "
                      f"{list(f.categories)} {list(f.fields)}")
        for e, got in cmp.false_negatives:
            for k, v in (("tier", e.tier), ("language", e.language), ("vendor", e.vendor),
                         ("all", "all")):
                by[k][v][2] += 1
            if verbose:
                print(f"FN {root.name}/{e.path}:{e.line} {e.vendor} {list(e.categories)}"
                      f" got {got}")
    for k in ("tier", "language", "vendor", "all"):
        header = f"{'by ' + k:<22} {'TP':>5} {'FP':>5} {'FN':>5}"
        print(f"\n{header} {'prec':>6} {'recall':>6} {'F1':>6}")
        for name, (tp, fp, fn) in sorted(by[k].items()):
            p, r, f = prf(tp, fp, fn)
            print(f"{name:<22} {tp:>5} {fp:>5} {fn:>5} {p:>6.3f} {r:>6.3f} {f:>6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main("--verbose" in sys.argv or "-v" in sys.argv))

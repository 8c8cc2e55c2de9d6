"""Every fixture app is scanned and compared with its inline expectations, both ways:
each `expect(...)` line must be reported with exactly its categories, and nothing may
be reported anywhere else (`clean:` lines are the traps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowscan.expectations import compare, read_fixture
from flowscan.scan import Options, run_scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROOTS = sorted([FIXTURES / "demo", FIXTURES / "config-leaks", FIXTURES / "raw-http",
                *(FIXTURES / "apps").iterdir(),
                *(FIXTURES / "vendors").iterdir()])
ROOTS = [r for r in ROOTS if r.is_dir() and not r.name.startswith(".")]


@pytest.mark.parametrize("root", ROOTS, ids=[r.relative_to(FIXTURES).as_posix() for r in ROOTS])
def test_fixture(root: Path, catalog) -> None:
    fixture = read_fixture(root)
    assert fixture.expected or fixture.clean_lines, f"{root} carries no expectations"
    result = run_scan([root], Options(jobs=1, cache=False), catalog)  # the tree stays as it is
    cmp = compare(fixture, result.findings)
    problems = [f"missed {e.path}:{e.line} {e.vendor}{list(e.categories)} (got {got})"
                for e, got in cmp.false_negatives]
    problems += [f"unexpected {f.span.path}:{f.span.line} {f.vendor}{list(f.categories)}"
                 f" fields={list(f.fields)}" for f in cmp.false_positives]
    assert not problems, "\n".join(problems)


def test_every_vendor_with_sinks_has_a_fixture(catalog) -> None:
    missing = []
    for vid, vendor in sorted(catalog.vendors.items()):
        if vendor.get("tier", "sinks") != "sinks":
            continue
        for lang, spec in (vendor.get("languages") or {}).items():
            if not spec.get("sinks"):
                continue
            ext = (".py",) if lang == "python" else (".ts", ".tsx", ".js", ".jsx", ".mjs")
            vdir = FIXTURES / "vendors" / vid
            if not vdir.is_dir() or not any(p.suffix in ext for p in vdir.rglob("*")):
                missing.append(f"{vid} ({lang})")
    assert not missing, "vendors without a fixture: " + ", ".join(missing)


def test_config_leaks_cover_ten_vendors(catalog) -> None:
    vendors = {leak["vendor"] for idx in catalog.languages.values() for _, leak in idx.config}
    assert len(vendors) >= 10, sorted(vendors)
    fixture = read_fixture(FIXTURES / "config-leaks")
    assert {e.vendor for e in fixture.expected if e.tier == "config"} >= vendors


def test_every_category_has_a_fixture(catalog) -> None:
    seen: set[str] = set()
    for root in ROOTS:
        for e in read_fixture(root).expected:
            seen.update(e.categories)
    assert seen == set(catalog.taxonomy.categories)


def test_two_calls_of_a_vendor_on_one_line_are_scored_together(tmp_path: Path,
                                                               catalog) -> None:
    """`notify(err, e => { e.setUser(...); e.addMetadata(...) })`: one annotation, the
    union of both calls' categories."""
    (tmp_path / "a.js").write_text(
        "const Bugsnag = require('@bugsnag/js');\n"
        "function fail(err, c) {\n"
        "  Bugsnag.notify(err, (e) => { e.setUser(c.id, c.email); e.addMetadata('x', "
        "{ phone: c.phone }); }); // expect(idiom): bugsnag[email,phone,user_id]\n"
        "}\nmodule.exports = { fail };\n")
    result = run_scan([tmp_path], Options(jobs=1, cache=False), catalog)
    assert len([f for f in result.findings if f.span.line == 3]) == 2
    cmp = compare(read_fixture(tmp_path), result.findings)
    assert len(cmp.true_positives) == 1
    assert not cmp.false_positives and not cmp.false_negatives

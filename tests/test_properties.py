"""Property tests: whatever bytes a file holds, every front end gives it an outcome and
no exception escapes; the rules and config loaders answer bad input with their own
error, never another exception. `bench/fuzz.py` runs the same properties far longer."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowscan import limits
from flowscan.redact import redact
from flowscan.sfc import extract
from flowscan.workers import FileFacts, read_file, use_catalog

EXTS = [".py", ".js", ".ts", ".tsx", ".vue", ".svelte"]
SEEDS = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "demo").rglob("*.*"))
SEED_TEXT = [p.read_bytes() for p in SEEDS if p.suffix in (".py", ".ts", ".tsx", ".js")]
STATUSES = {"scanned", "partial", "skipped"}


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real file, truncated, with bytes flipped, spliced or inserted."""
    data = bytearray(draw(st.sampled_from(SEED_TEXT)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["cut", "flip", "insert", "dup"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "cut":
            del data[i:]
        elif op == "flip" and data:
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(max_size=40))
        else:
            data[i:i] = data[i:i + draw(st.integers(0, 200))]
    return bytes(data)


CONTENT = st.one_of(st.binary(max_size=2000), mutated(),
                    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass")))


def check_file(tmp: Path, ext: str, data: bytes) -> FileFacts:
    (tmp / f"f{ext}").write_bytes(data)
    facts = read_file(str(tmp), f"f{ext}", "", True)
    assert facts is not None and facts.outcome.status in STATUSES
    if facts.outcome.status == "skipped":
        assert facts.outcome.reason
    return facts


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, catalog: object) -> Path:
    use_catalog(catalog)  # type: ignore[arg-type]
    limits.configure(limits.Limits())
    return tmp_path_factory.mktemp("prop")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(ext=st.sampled_from(EXTS), data=CONTENT)
def test_front_ends_never_raise(workdir: Path, ext: str, data: bytes) -> None:
    check_file(workdir, ext, data)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_sfc_extract_keeps_length(data: bytes) -> None:
    found = extract(data)
    if found is not None:
        assert len(found[0]) == len(data) and found[0].count(b"\n") == data.count(b"\n")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_bracket_depth_matches_naive(data: bytes) -> None:
    depth = best = 0
    for b in data:
        depth += 1 if b in b"([{" else -1 if b in b")]}" else 0
        best = max(best, depth)
    assert limits.bracket_depth(data) == best


ROOTS = frozenset({"a", "a.b", "ab/a", "b", "", ".a", "a/", "a..b"})


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab./", max_size=8))
def test_import_roots_match_the_naive_prefix_check(spec: str) -> None:
    """`workers._has_root` walks separators from the right instead of splitting."""
    from flowscan.workers import _has_root

    naive = spec in ROOTS or any(sep.join(spec.split(sep)[:n]) in ROOTS
                                 for sep in (".", "/") for n in range(1, spec.count(sep) + 1))
    assert _has_root(spec, ROOTS) == naive


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=200))
def test_redact_never_raises_and_is_idempotent(catalog: object, text: str) -> None:
    classify = catalog.taxonomy.classify_literal  # type: ignore[attr-defined]
    once = redact(text, classify)
    assert redact(once, classify) == once


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=300), mutated().map(lambda b: b.decode("latin-1"))))
def test_config_loader_raises_only_config_error(tmp_path_factory: pytest.TempPathFactory,
                                                text: str) -> None:
    from flowscan import config

    p = tmp_path_factory.mktemp("cfg") / "flowscan.yml"
    p.write_text(text, "utf-8", errors="surrogateescape")
    with contextlib.suppress(config.ConfigError):
        config.load(p)


@pytest.fixture(scope="module")
def rules_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    rules = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", rules)
    return rules


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=300))
def test_rules_loader_raises_only_rules_error(rules_copy: Path, text: str) -> None:
    """Loading the catalog validates every file, so few examples here; bench/fuzz.py
    runs more."""
    from flowscan.catalog import RulesError, load_catalog

    (rules_copy / "vendors" / "zz-fuzz.yaml").write_text(text, "utf-8",
                                                         errors="surrogateescape")
    with contextlib.suppress(RulesError):
        load_catalog(rules_copy)

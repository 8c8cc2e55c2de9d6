"""The cache and the process pool change how fast a scan is, never what it finds."""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowscan import cache as fcache
from flowscan.catalog import load_catalog
from flowscan.collect import Progress
from flowscan.pickling import encoded
from flowscan.scan import Options, run_scan
from flowscan.workers import Hints

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture()
def apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLOWSCAN_CACHE_DIR", str(tmp_path / "home"))
    dest = tmp_path / "apps"
    shutil.copytree(FIXTURES / "apps", dest, ignore=shutil.ignore_patterns(".flowscan-cache"))
    return dest


def _view(result) -> tuple:
    """Everything a report shows, minus timings."""
    return (result.findings, result.files, result.unused_ignores,
            result.stats.get("analysed"))


def test_same_findings_with_and_without_cache_one_and_two_jobs(apps: Path, catalog) -> None:
    plain = run_scan([apps], Options(jobs=1, cache=False), catalog)
    assert plain.findings, "the fixture apps have findings"
    cold = run_scan([apps], Options(jobs=2), catalog)
    assert (apps / fcache.DIR_NAME).is_dir()
    warm = run_scan([apps], Options(jobs=2), catalog)
    warm1 = run_scan([apps], Options(jobs=1), catalog)
    assert _view(cold) == _view(plain)
    assert _view(warm) == _view(plain)
    assert _view(warm1) == _view(plain)


def test_an_edit_is_seen_and_matches_an_uncached_scan(apps: Path, catalog) -> None:
    run_scan([apps], Options(jobs=2), catalog)  # fill the cache
    target = next(p for p in sorted(apps.rglob("*.py")) if "sentry_sdk" not in p.read_text())
    text = target.read_text()
    target.write_text(text + "\n\nimport sentry_sdk\n\n\ndef leak(user):\n"
                             "    sentry_sdk.set_user({'email': user.email})\n")
    os.utime(target, ns=(1, 1))  # an mtime the stat check alone would trust
    after = run_scan([apps], Options(jobs=2), catalog)
    fresh = run_scan([apps], Options(jobs=1, cache=False), catalog)
    assert _view(after) == _view(fresh)
    rel = target.relative_to(apps).as_posix()
    assert any(f.span.path == rel and f.vendor == "sentry" for f in after.findings)


def test_a_few_changed_entries_go_to_a_delta_beside_the_index(
        apps: Path, catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    run_scan([apps], Options(jobs=1), catalog)
    store = next((apps / fcache.DIR_NAME).glob("*-*"))
    index = (store / "index.pkl").read_bytes()
    target = next(p for p in sorted(apps.rglob("*.py")) if "sentry_sdk" not in p.read_text())
    target.write_text(target.read_text() + "\n\nimport sentry_sdk\n\n\ndef leak(user):\n"
                                           "    sentry_sdk.set_user({'email': user.email})\n")
    from flowscan import limits

    parsed: list[str] = []
    real = limits.parse_within
    monkeypatch.setattr(limits, "parse_within",
                        lambda fe, src, rel: parsed.append(rel) or real(fe, src, rel))
    rel = target.relative_to(apps).as_posix()
    after = run_scan([apps], Options(jobs=1), catalog)
    assert rel in parsed
    assert (store / "index.pkl").read_bytes() == index, "one edit does not rewrite the index"
    assert (store / "delta.pkl").is_file()
    assert _view(after) == _view(run_scan([apps], Options(jobs=1, cache=False), catalog))
    parsed.clear()
    again = run_scan([apps], Options(jobs=1), catalog)
    assert _view(again) == _view(after)
    assert rel not in parsed, "hashed again, not parsed"
    for p in sorted(apps.rglob("*.py"))[:80]:  # many edits: the index is rewritten whole
        p.write_text(p.read_text() + "\n# touched\n")
    many = run_scan([apps], Options(jobs=1), catalog)
    assert (store / "index.pkl").read_bytes() != index and not (store / "delta.pkl").exists()
    assert _view(many) == _view(run_scan([apps], Options(jobs=1, cache=False), catalog))


def test_damaged_cache_is_a_miss(apps: Path, catalog) -> None:
    before = run_scan([apps], Options(jobs=2), catalog)
    for p in (apps / fcache.DIR_NAME).rglob("*"):
        if p.is_file() and p.name not in (".gitignore", "CACHEDIR.TAG"):
            p.write_bytes(p.read_bytes()[:40])  # truncated: signature fails
    again = run_scan([apps], Options(jobs=2), catalog)
    assert _view(again) == _view(before)


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-cache",))


def test_planted_pickle_is_never_loaded(tmp_path: Path, monkeypatch) -> None:
    """A cache directory committed to a repository carries no valid signature."""
    monkeypatch.setenv("FLOWSCAN_CACHE_DIR", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "blob"
    evil.write_bytes(b"\0" * 32 + pickle.dumps(Boom()))
    assert fcache.load(evil) is None
    assert not (tmp_path / "pwned-by-cache").exists()
    assert fcache.dump(tmp_path / "good", {"a": 1})
    assert fcache.load(tmp_path / "good") == {"a": 1}


@pytest.mark.parametrize("large", [False, True])
def test_packed_values_load_as_views_of_the_file_and_store_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, large: bool) -> None:
    """The cache keeps packed values out of the pickle's stream and loads them as views
    of the file (mapped when large); a view stores again as it came."""
    from flowscan import ir
    from flowscan.analysis.stores import Sharded
    from flowscan.pickling import PackedStore

    monkeypatch.setenv("FLOWSCAN_CACHE_DIR", str(tmp_path / "home"))
    if large:
        monkeypatch.setattr(fcache, "MAP_FROM", 1)
    fn = ir.Function("a.py::f", "f", (ir.Param("x"),), (ir.Return(ir.Name("x")),), ir.NOPOS)
    value = {"store": PackedStore({"k": {"v": 1}}), "fn": fn,
             "sharded": Sharded.of({"a.py::f": 1, "b.py::g": 2}), "plain": b"bytes"}
    assert fcache.dump(tmp_path / "one", value)
    loaded = fcache.load(tmp_path / "one")
    body = type(fn).body.fget.stored(loaded["fn"])
    assert body.__class__ is memoryview and encoded(body)
    assert dict.__getitem__(loaded["store"], "k").__class__ is memoryview
    assert loaded["plain"] == b"bytes" and loaded["plain"].__class__ is bytes  # in the stream
    assert fcache.dump(tmp_path / "two", loaded), "views pickle again as buffers"
    again = fcache.load(tmp_path / "two")
    assert again["store"]["k"] == {"v": 1} and again["fn"].body == fn.body
    assert again["sharded"].get("b.py::g") == 2 and len(again["sharded"]) == 2
    assert pickle.loads(pickle.dumps(again["fn"], protocol=4)).body == fn.body  # (workers)
    data = (tmp_path / "two").read_bytes()
    (tmp_path / "two").write_bytes(data[:-1])
    assert fcache.load(tmp_path / "two") is None, "truncated"


def test_a_file_read_ahead_is_loaded_once_and_verified_like_any(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWSCAN_CACHE_DIR", str(tmp_path / "home"))
    good, evil = tmp_path / "good", tmp_path / "evil"
    assert fcache.dump(good, {"a": 1})
    evil.write_bytes(b"\0" * 32 + pickle.dumps(Boom()))
    fcache.read_ahead([good, evil, tmp_path / "missing"])
    assert set(fcache._AHEAD) == {str(good), str(evil)}
    for ahead in fcache._AHEAD.values():
        ahead.join()
    good.write_bytes(b"")  # what was read ahead is what loads
    assert fcache.load(good) == {"a": 1}
    assert fcache.load(good) is None, "a second load reads the file again"
    assert fcache.load(evil) is None
    assert not fcache._AHEAD


def test_a_rescan_reads_its_index_and_newest_state_ahead(
        apps: Path, catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run_scan([apps], Options(jobs=1), catalog)
    store = next((apps / fcache.DIR_NAME).glob("*-*"))
    states = sorted((store / "results").glob("*.state"), key=lambda p: p.stat().st_mtime_ns)
    assert states
    asked: list[list[str]] = []
    real = fcache.read_ahead
    monkeypatch.setattr(fcache, "read_ahead", lambda paths: asked.append(
        sorted(Path(p).name for p in paths)) or real(paths))
    target = next(p for p in sorted(apps.rglob("*.py")) if "sentry_sdk" in p.read_text())
    target.write_text(target.read_text() + "\n\ndef _extra(value):\n    return value\n")
    loaded: list[str] = []
    real_load = fcache.load
    monkeypatch.setattr(fcache, "load", lambda path: loaded.append(Path(path).name)
                        or real_load(path))
    again = run_scan([apps], Options(jobs=1), catalog)
    assert asked == [sorted(["listing.pkl", "index.pkl", "delta.pkl", states[-1].name])]
    assert states[-1].name in loaded, "the state read ahead is the one resumed"
    assert not fcache._AHEAD, "nothing read ahead outlives the scan"
    assert _view(again)[0] == _view(run_scan([apps], Options(jobs=1, cache=False), catalog))[0]
    assert first.findings


def test_import_answers_load_per_file_and_survive_a_delta(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWSCAN_CACHE_DIR", str(tmp_path / "home"))

    def reopened() -> fcache.FactCache:
        c = fcache.FactCache.open(tmp_path, "rules", tmp_path / "c")
        assert c is not None
        return c

    first = reopened()
    first.forget_answers("files-1")
    first.answer("a.py", "b", "b.py")
    first.answer("a.py", "os", None)
    first.answer("c.ts", "./d", "d.ts")
    first.save()  # the first index
    second = reopened()
    assert second.answers("a.py") == {"b": "b.py", "os": None}
    assert encoded(dict.__getitem__(second.resolved, "c.ts")), "not asked: still a pickle"
    second.answer("c.ts", "./e", "e.ts")
    second.dirty = True
    second.save()  # one new answer: a delta beside the index
    assert (second.store / "delta.pkl").is_file()
    third = reopened()
    assert third.answers("c.ts") == {"./d": "d.ts", "./e": "e.ts"}
    assert third.answers("a.py") == {"b": "b.py", "os": None}
    third.answer("a.py", "json", None)  # the delta holds both new answers
    third.dirty = True
    third.save()
    assert reopened().answers("c.ts") == {"./d": "d.ts", "./e": "e.ts"}
    assert reopened().answers("a.py") == {"b": "b.py", "os": None, "json": None}
    fourth = reopened()
    fourth.forget_answers("files-2")  # another file list: every answer goes
    fourth.save()
    assert not (fourth.store / "delta.pkl").exists() and reopened().answers("a.py") == {}


def test_cache_keeps_out_of_git(apps: Path, catalog) -> None:
    run_scan([apps], Options(jobs=1), catalog)
    assert (apps / fcache.DIR_NAME / ".gitignore").read_text().strip().endswith("*")


def test_garbage_collection_bounds_the_store(apps: Path, catalog) -> None:
    run_scan([apps], Options(jobs=1), catalog)
    base = apps / fcache.DIR_NAME
    store = next(d for d in base.iterdir() if d.is_dir())
    c = fcache.FactCache.open(apps, store.name.split("-", 1)[1], base)
    assert c is not None and c.store == store and c.index
    blobs = list((store / "blobs").glob("*/*"))
    assert blobs
    c.collect_garbage(max_bytes=0)
    assert not list((store / "blobs").glob("*/*"))
    # blobs gone: the next scan lowers again and finds the same
    fresh = run_scan([apps], Options(jobs=1, cache=False), catalog)
    assert _view(run_scan([apps], Options(jobs=1), catalog)) == _view(fresh)


# ---------------------------------------------------------------- the pre-filter


WORDS = ["mixpanel", "analytics", "api.segment.io", "_paq", "$crisp", "api-eu.mixpanel.com",
         "ga"]
ALPHABET = st.sampled_from(["mixpanel", "analytics", "api", ".", "segment", "io", "_", "$",
                            "paq", "-", "eu", "crisp", "com", " ", "\n", "x", "ga", "(",
                            "é", "window.", "2"])


class _FakeCatalog:
    def __init__(self, words: list[str]) -> None:
        class Idx:
            imports: dict = {}
            globals = {w: ("v", w) for w in words if "." not in w}
            settings: dict = {}

        self.languages = {"javascript": Idx()}
        self._hosts = {w: "v" for w in words if "." in w}

    def hosts(self) -> dict[str, str]:
        return self._hosts

    def named_vendors(self) -> dict[str, str]:
        return {}


def _regex(words: list[str]) -> re.Pattern[bytes]:
    """The exact definition the token pre-filter must agree with."""
    alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rb"(?<![\w$])(?:" + alt.encode() + rb")(?![\w$])")


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=12).map("".join))
def test_vendor_word_prefilter_agrees_with_the_regex(text: str) -> None:
    hints = Hints.of(_FakeCatalog(WORDS))  # type: ignore[arg-type]
    data = text.encode()
    assert bool(hints.names_vendor(data, "javascript")) == (_regex(WORDS).search(data) is not None)


@pytest.mark.parametrize(("name", "text", "direct"), [
    ("global.js", "export const go = (u) => amplitude.track('x', {id: u.id});", True),
    ("window.js", "export function go(amplitude, u) { window.amplitude.track(u.id); }", True),
    ("ambient.ts", "declare const gtag: any;\nexport const go = () => gtag('event', 'x');",
     True),
    ("param.js", "export const noise = (p, amplitude) => amplitude.mul(p);", False),
    ("param.ts", "export function pick(branch: Node) { return branch.left; }", False),
    ("local.js", "const heap = []; export const push = (x) => heap.push(x);", False),
    ("comment.js", "// which branch of the schema\nexport const aa = 'aa';", False),
    ("middleware.js", "export const who = (req) => req.bugsnag.setUser(req.user.id);", True),
    ("optional.js", "export const who = (req) => req.bugsnag?.setUser(req.user.id);", True),
    ("prefix.js", "export const n = (req) => req.bugsnagCount + 1;", False),
    ("holder.js", "export const host = (cfg) => cfg.bugsnag.endpoint;", False),
    ("koa.js", "export const who = (ctx) => ctx.bugsnag.setUser(ctx.state.user.id);", True),
    ("module.py", "def who(request):\n    return request.bugsnag\n", False),
    ("settings.js", "export const boot = (u) => { window.intercomSettings = { email: u.email }; };",
     True),  # a snippet's settings object (catalog `settings:`)
    # an API host counts in code, not in a comment or a docstring (date-fns links
    # github.com from each of its 491 files)
    ("host.js", "export const issues = () => fetch('https://api.github.com/issues');", True),
    ("link.js", "/** @see https://github.com/date-fns/date-fns */\nexport const f = 1;", False),
    ("line.ts", "// https://api.github.com/repos\nexport const f = (x: number) => x;", False),
    ("url.py", "URL = 'https://api.github.com/repos'\n", True),
    ("doc.py", "def f(x):\n    \"\"\"Like https://api.github.com/repos.\"\"\"\n    return x\n",
     False),
    ("hash.py", "# https://api.github.com/repos\nX = 1\n", False),
    ("concat.js", "export const r = (o) => fetch('https://api.github.com/repos/' + o);", True),
    ("snippet.js", "export const s = `<script src=\"https://api.github.com/x.js\"></script>`;",
     True),
    ("message.js", "export const e = (f) => new Error('bad ' + f + ', see: https://github.com/a');",
     False),
    ("bracket.js", "export const e = () => new Error('a virtual element (https://github.com/b)');",
     False),
    ("concatenated.py", "def f(x):\n    return g(x, description='A file. See '\n"
     "        'https://github.com/jaydenseric/graphql-multipart-request-spec')\n", False),
    ("plus.js", "export const d = 'A file, see ' + 'https://github.com/a/b';", False),
    ("joined.js", "export const u = (p) => fetch('https://api.github.com' + '/repos/' + p);",
     True),
    # a vendor named by a word of code is no vendor's name (Iterable, Plain)
    ("typing.py", "import requests\nfrom typing import Iterable\n\n\ndef get(base_url, ids: "
     "Iterable[int]):\n    return requests.get(base_url, params={'ids': list(ids)})\n", False),
    ("braze.py", "import requests\n\n\ndef get(base_url, ids: list[int]):\n"
     "    return requests.get(base_url, params={'ids': ids})\n", True),
])
def test_a_vendor_global_counts_only_where_the_file_reads_it_unbound(
        tmp_path: Path, catalog, name: str, text: str, direct: bool) -> None:
    from flowscan import workers

    (tmp_path / name).write_text(text)
    workers.use_catalog(catalog)
    assert workers.read_file(str(tmp_path), name).direct is direct


# ---------------------------------------------------------------- progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_tty() -> None:
    quiet = io.StringIO()
    p = Progress(10, True, quiet)
    p.step(10)
    p.close()
    assert quiet.getvalue() == ""
    tty = Tty()
    p = Progress(10, True, tty)
    p.step(10)
    assert "10/10 files" in tty.getvalue() and "files/s" in tty.getvalue()
    p.close()
    off = Tty()
    p = Progress(10, False, off)
    p.step(10)
    assert off.getvalue() == ""


def test_a_files_imports_stay_one_pickle_until_read() -> None:
    import pickle

    from flowscan.model import FileOutcome
    from flowscan.scan import ImportsOf
    from flowscan.workers import FileFacts

    facts = FileFacts(FileOutcome("a.ts", "scanned"), ("react", "./x"), None, True, "k", True)
    loaded = pickle.loads(pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL))
    assert encoded(FileFacts.imports.fget.stored(loaded))  # type: ignore[attr-defined]
    imports = ImportsOf({"a.ts": loaded})  # what a scan's result holds
    assert encoded(FileFacts.imports.fget.stored(loaded))  # type: ignore[attr-defined]
    assert dict(imports) == {"a.ts": ("react", "./x")} and loaded == facts


def test_a_cached_catalog_loads_each_vendor_and_language_when_first_read(catalog) -> None:
    """The names and hosts of all vendors and the workers' hints answer without reading
    any vendor or language; a config that changes the catalog (dataclasses.replace)
    keeps every answer."""
    import dataclasses
    import pickle

    from flowscan.workers import Hints

    catalog.hints()  # (load_catalog keeps them with the cached catalog)
    loaded = pickle.loads(pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(loaded._hints, bytes) and loaded.hints() == Hints.of(catalog)

    def unread(store: dict) -> set[str]:
        return {k for k, v in dict.items(store) if isinstance(v, (bytes, memoryview))}

    assert unread(loaded.vendors) == set(catalog.vendors)
    assert unread(loaded.languages) == set(catalog.languages)
    assert loaded.vendor_name("segment") == catalog.vendor_name("segment") != "segment"
    assert loaded.hosts() == catalog.hosts() and "api.openai.com" in loaded.hosts()
    assert unread(loaded.vendors) == set(catalog.vendors)
    js, js_before = loaded.lang("javascript"), catalog.lang("javascript")
    assert (js.imports, js.exact) == (js_before.imports, js_before.exact)  # (globs: by id)
    assert unread(loaded.languages) == set(catalog.languages) - {"javascript"}
    assert loaded.tier("sentry") == catalog.tier("sentry")
    assert unread(loaded.vendors) == set(catalog.vendors) - {"sentry"}
    changed = dataclasses.replace(loaded, digest="other")
    assert changed.vendors == catalog.vendors and changed.hosts() == catalog.hosts()
    assert changed.lang("python").exact == catalog.lang("python").exact
    assert changed.hints() == Hints.of(catalog)


def test_the_analysis_asks_the_kept_answers_before_the_resolver(tmp_path: Path) -> None:
    """collect.MemoResolver: an answer the cache keeps builds no resolver index; a new
    one is kept; the other questions go to the resolver."""
    from flowscan.analysis.resolve import Resolver
    from flowscan.collect import MemoResolver

    c = fcache.FactCache.open(tmp_path, "rules", tmp_path / "c")
    assert c is not None
    files = ["pkg/__init__.py", "pkg/mod.py", "web/a.ts", "web/b.ts"]
    c.answer("web/a.ts", "./b", "web/b.ts")
    raw = Resolver.build(files, {})
    memo = MemoResolver(raw, c)
    assert memo.javascript("web/a.ts", "./b") == "web/b.ts"
    assert "aliases" not in vars(raw)  # answered from the cache
    assert memo.python("pkg/mod.py", "pkg") == "pkg/__init__.py"  # asked, then kept
    assert c.answers("pkg/mod.py") == {"pkg": "pkg/__init__.py"}
    assert memo.python_submodule("pkg/__init__.py", "mod") == \
        raw.python_submodule("pkg/__init__.py", "mod") == "pkg/mod.py"
    with pytest.raises(AttributeError):
        memo.nothing_of_that_name  # noqa: B018

"""After an edit of a file the analysis read, the next scan starts from the stored
program state and runs again only what the edit could change
(flowscan/analysis/incremental.py); its findings must be those of a fresh scan."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowscan.analysis.stores import Sharded, ShardedSets, key_path, of_files
from flowscan.scan import Options, run_scan
from tests.projects import kept_programs, write_project
from tests.projects import scan as _scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
SOURCES = (".py", ".js", ".mjs", ".ts", ".tsx", ".jsx")


def _comparable(result) -> list[tuple]:
    return sorted((f.span.path, f.span.line, f.vendor, f.categories,
                   tuple(sorted((fl.field, fl.role, tuple(s.span.line for s in fl.steps))
                                for fl in f.flows))) for f in result.findings)


def _edits(text: str, rng: random.Random, python: bool) -> list[str]:
    lines = text.splitlines(keepends=True)
    i = rng.randrange(len(lines)) if lines else 0
    new_function = ("\n\ndef _edited(value):\n    return value\n" if python
                    else "\nfunction edited(value) { return value; }\n")
    return [text + new_function,
            "".join(lines[:i] + lines[i + 1:]),  # a line gone (a sink, a return, ...)
            "".join(lines[:i + 1] + lines[i:])]  # a line twice


@pytest.mark.parametrize("app", ["node-workers", "flask-billing", "cowork-nest",
                                 "celery-reports", "next-storefront", "refill-sync",
                                 "django-status-alerts"])
def test_incremental_scans_find_what_fresh_scans_find(app: str, tmp_path: Path,
                                                      catalog) -> None:
    """Every source file of the app edited in turn (a function added, a line removed or
    doubled; edits accumulate): the incremental result equals a fresh one."""
    root = tmp_path / app
    shutil.copytree(FIXTURES / app, root)
    cached = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache")
    fresh = Options(jobs=1, cache=False)
    first = run_scan([root], cached, catalog)
    rng = random.Random(app)
    fewer = False
    for path in sorted(p for p in root.rglob("*") if p.suffix in SOURCES):
        text = path.read_text()
        path.write_text(rng.choice(_edits(text, rng, path.suffix == ".py")))
        again = run_scan([root], cached, catalog)
        expected = run_scan([root], fresh, catalog)
        assert _comparable(again) == _comparable(expected), path.relative_to(root)
        # an incremental run may go on reading a file whose only link to a vendor the
        # edit removed (a fresh run would not load it); it never reads less
        assert set(expected.analysed) <= set(again.analysed)
        if path.relative_to(root).as_posix() in first.analysed:
            fewer |= again.stats["units_run"] < expected.stats["units_run"]
    assert fewer  # some edit re-ran fewer units than the whole analysis


@pytest.mark.parametrize("app", ["crew-dispatch", "fastapi-eye-screening", "rent-ledger",
                                 "travel-web", "node-workers", "celery-reports"])
def test_several_files_edited_at_once_find_what_fresh_scans_find(app: str, tmp_path: Path,
                                                                 catalog) -> None:
    """Two to five files edited before each run (mostly a function appended, which keeps
    the run narrow; edits accumulate): the incremental result equals a fresh one."""
    root = tmp_path / app
    shutil.copytree(FIXTURES / app, root)
    cached = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache")
    fresh = Options(jobs=1, cache=False)
    run_scan([root], cached, catalog)
    rng = random.Random(f"several {app}")
    files = sorted(p for p in root.rglob("*") if p.suffix in SOURCES)
    for _ in range(4):
        chosen = rng.sample(files, rng.randint(2, min(5, len(files))))
        for path in chosen:
            edits = _edits(path.read_text(), rng, path.suffix == ".py")
            path.write_text(edits[0] if rng.random() < 0.7 else rng.choice(edits))
        again = run_scan([root], cached, catalog)
        assert _comparable(again) == _comparable(run_scan([root], fresh, catalog)), chosen


WRAPPER = """\
from mixpanel import Mixpanel

mp = Mixpanel("token")


def track_signup(user):
    mp.track(user.id, "signup", {"email": user.email})
"""

CALLER = """\
from app.track import track_signup


def register(user):
    track_signup(user)
"""

OTHER = """\
from app.track import mp


def renamed(account):
    mp.track(account.id, "rename", {"name": account.full_name})
"""


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/track.py": WRAPPER, "app/views.py": CALLER,
        "app/other.py": OTHER})



def test_a_wrapper_that_stops_sending_a_field_loses_it(repo: Path, catalog) -> None:
    """Stores only grow during a run: the edited function's summary must be emptied,
    not joined with the old one."""
    _scan(repo, catalog)
    (repo / "app" / "track.py").write_text(WRAPPER.replace('"email": user.email',
                                                           '"plan": user.plan'))
    again = _scan(repo, catalog)
    assert again.stats["seconds_analysis"] > 0
    assert [(f.span.path, f.categories) for f in again.findings] == [
        ("app/other.py", ("name", "user_id")), ("app/track.py", ("user_id",))]


def test_an_edit_far_from_a_file_leaves_its_units_alone(repo: Path, catalog) -> None:
    first = _scan(repo, catalog)
    (repo / "app" / "other.py").write_text(OTHER.replace("account.full_name",
                                                         "account.email"))
    again = _scan(repo, catalog)
    assert again.stats["units_run"] < first.stats["units_run"]
    assert {f.span.path: f.categories for f in again.findings}["app/other.py"] == (
        "email", "user_id")
    assert _comparable(again) == _comparable(_scan(repo, catalog, cache=False))


def test_a_stored_modules_functions_register_when_first_asked_for(
        repo: Path, catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowscan.analysis.registry import Functions

    programs = kept_programs(monkeypatch)
    first = _scan(repo, catalog)
    (repo / "app" / "other.py").write_text(OTHER.replace("account.full_name",
                                                         "account.email"))
    again = _scan(repo, catalog)
    assert _comparable(again) == _comparable(_scan(repo, catalog, cache=False))
    functions = programs[1].functions
    assert isinstance(functions, Functions)
    assert set(functions.waiting) == {"app/track.py", "app/views.py"}  # asked nothing
    assert "app/views.py::register" in functions.ids()  # every id, none registered
    assert "app/views.py::register" in functions and set(functions.waiting) == {
        "app/track.py"}  # asking for one registers its module's
    assert functions["app/views.py::register"][1].path == "app/views.py"
    assert "app/views.py::nothing" not in functions
    assert len(functions) == len(programs[0].functions) and not functions.waiting
    assert sorted(functions) == sorted(programs[0].functions)  # the same functions
    assert first.findings


def test_a_file_that_starts_calling_a_vendor_is_read(repo: Path, catalog) -> None:
    _scan(repo, catalog)
    (repo / "app" / "extra.py").write_text("")  # a new file: a new file list
    _scan(repo, catalog)
    (repo / "app" / "extra.py").write_text(
        "import sentry_sdk\n\n\ndef who(user):\n    sentry_sdk.set_user({'email': user.email})\n")
    again = _scan(repo, catalog)
    assert "app/extra.py" in again.analysed
    assert _comparable(again) == _comparable(_scan(repo, catalog, cache=False))


def test_a_file_that_stops_calling_a_vendor_is_analysed_afresh(repo: Path, catalog) -> None:
    (repo / "app" / "extra.py").write_text(
        "import sentry_sdk\n\n\ndef who(user):\n    sentry_sdk.set_user({'email': user.email})\n")
    first = _scan(repo, catalog)
    assert "app/extra.py" in first.analysed
    (repo / "app" / "extra.py").write_text("def who(user):\n    return user.email\n")
    again = _scan(repo, catalog)
    fresh = _scan(repo, catalog, cache=False)
    assert "app/extra.py" not in again.analysed
    assert again.analysed == fresh.analysed
    assert _comparable(again) == _comparable(fresh)


def test_a_damaged_stored_state_means_a_full_analysis(repo: Path, catalog) -> None:
    first = _scan(repo, catalog)
    states = list(repo.parent.rglob("*.state"))
    assert states
    for state in states:
        state.write_bytes(b"not a pickle")
    (repo / "app" / "views.py").write_text(CALLER + "\n\ndef more():\n    return 1\n")
    again = _scan(repo, catalog)
    assert again.stats["units_run"] >= first.stats["units_run"]
    assert _comparable(again) == _comparable(first)


@pytest.mark.parametrize(("key", "path"), [
    ("module:app/a.py", "app/a.py"), ("load:src/x.ts", "src/x.ts"), ("ir:a.py", "a.py"),
    ("global:app/a.py:client", "app/a.py"), ("class:app/a.py::Svc:client", "app/a.py"),
    ("param:app/a.py::Svc.run:1", "app/a.py"), ("env:app/a.py::run:client", "app/a.py"),
    ("app/a.py::Svc.run", "app/a.py")])
def test_store_keys_name_their_file(key: str, path: str) -> None:
    assert key_path(key) == path


_PATHS = ["app/a.py", "app/ba.py", "a.py", "src/x.ts", "src/x.tsx", "p::q.ts"]
_KEY = st.builds(lambda kind, path, name: kind.format(p=path, n=name),
                 st.sampled_from(["module:{p}", "load:{p}", "ir:{p}", "global:{p}:{n}",
                                  "class:{p}::C:{n}", "param:{p}::{n}:0", "env:{p}::f:{n}",
                                  "{p}::{n}", "record-noun:{n}", "person-noun:{p}"]),
                 st.sampled_from(_PATHS), st.sampled_from(["a.py", "x", "run", "ts"]))


@given(st.lists(_KEY, max_size=30), st.sets(st.sampled_from([*_PATHS, "x.ts", ""])))
def test_of_files_is_the_keys_whose_file_is_one_of_the_paths(keys: list[str],
                                                             paths: set[str]) -> None:
    assert of_files(keys, paths) == [k for k in keys if key_path(k) in paths]


@given(st.lists(_KEY, max_size=30), st.sets(st.sampled_from([*_PATHS, "x.ts", ""])),
       st.lists(_KEY, max_size=5))
def test_sharded_sets_load_only_the_files_asked_for(keys: list[str], paths: set[str],
                                                    added: list[str]) -> None:
    """A resumed run's readers of each store key (`Program.deps`): split by the file of
    each key, and a file's keys loaded only when one of them is asked for."""
    import pickle

    plain = {key: {f"u{i}", "v"} for i, key in enumerate(keys)}
    loaded = pickle.loads(pickle.dumps(ShardedSets.of(plain)))
    assert all(shard.__class__ is bytes for shard in loaded._shards.values())
    assert sorted(loaded.keys_of(paths)) == sorted(of_files(list(plain), paths))
    assert {p for p, shard in loaded._shards.items() if shard.__class__ is not bytes} \
        <= paths  # (the others stay bytes)
    assert len(loaded) == len(plain) and loaded == plain
    new = [key for key in dict.fromkeys(added) if key not in plain]
    for key in added:
        loaded.setdefault(key, set()).add("w")
    assert list(loaded.since(len(plain))) == new  # (no shard read to tell)
    assert all(loaded.get(key) == plain.get(key, set()) | ({"w"} if key in added else set())
               for key in [*plain, *added]) and loaded.get("load:none.py") is None
    assert sorted(loaded) == sorted({*plain, *added}) and "module:none.py" not in loaded
    again = pickle.loads(pickle.dumps(loaded))
    assert again == loaded and len(again) == len(plain) + len(new)


def test_what_each_unit_wrote_mirrors_who_wrote_each_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """`Program.written` is kept beside `writers` (engine.wrote, engine.unwrote) so a
    resumed run need not rebuild it: after a cold scan and after an edit that stops a
    function writing a class attribute, each is the other turned around."""
    programs = kept_programs(monkeypatch)
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "",
        "app/config.py": "class Settings:\n    client = None\n",
        "app/setup.py": "import posthog\n\nfrom app.config import Settings\n\n\n"
                        "def init():\n    Settings.client = posthog.Posthog('key')\n\n\n"
                        "def signup(user):\n"
                        "    Settings.client.capture(user.id, 'signup', {'mail': user.email})\n"})
    _scan(root, catalog)
    setup = root / "app" / "setup.py"
    setup.write_text(setup.read_text().replace("Settings.client = posthog.Posthog('key')",
                                               "return posthog.Posthog('key')"))
    _scan(root, catalog)
    key = "class:app/config.py::Settings:client"
    assert "app/setup.py::init" in programs[0].writers[key]
    assert "app/setup.py::init" not in programs[-1].writers.get(key, set())
    for prog in programs:
        turned: dict[str, set[str]] = {}
        for store, units in prog.writers.items():
            for unit in units:
                turned.setdefault(unit, set()).add(store)
        assert dict(prog.written.items()) == turned


def test_a_sharded_store_counts_and_takes_out_as_a_dict_does() -> None:
    """`Program.changes` of a resumed run: set, read and taken out by key."""
    import pickle

    plain = {"global:a.py:x": 1, "a.py::f": 2, "class:b.py::C:y": 3}
    store = pickle.loads(pickle.dumps(Sharded.of(dict(plain))))
    store["a.py::g"] = 4
    store["global:a.py:x"] = 5
    assert store.pop("class:b.py::C:y", None) == 3 and store.pop("zz.py::h", None) is None
    del store["a.py::g"]
    with pytest.raises(KeyError):
        store.pop("a.py::g")
    assert len(store) == 2 and store == {"global:a.py:x": 5, "a.py::f": 2}
    assert store.since(3) == []  # (a loaded key was taken out: counted from the keys)
    again = pickle.loads(pickle.dumps(store))
    assert again == store and len(again) == 2 and "b.py" not in again._shards


@pytest.mark.parametrize("gone", [
    "  await sms.notify(requester, { summary: `ticket ${ticketId} escalated` });\n",
    "  await slack.notify(requester, { summary: 'escalation', requesterId: requester.id });\n"])
def test_a_subclass_call_removed_takes_the_inherited_methods_findings_along(
        gone: str, tmp_path: Path, catalog) -> None:
    """A base class's template method runs as its own unit per subclass, made by the
    callers (classes.py: inherited); once the edit removes the last call on one
    subclass, that unit runs again with nothing bound and finds nothing."""
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "support-bot-ts", root)
    cached = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache")
    run_scan([root], cached, catalog)
    index = root / "src" / "channels" / "index.ts"
    text = index.read_text()
    assert gone in text
    index.write_text(text.replace(gone, ""))
    again = run_scan([root], cached, catalog)
    assert _comparable(again) == _comparable(run_scan([root], Options(jobs=1, cache=False),
                                                      catalog))


CHAIN = {
    "package.json": '{"dependencies": {"mixpanel-browser": "2"}}',
    "src/plans.ts": 'export const PLANS = ["free", "team"];\nexport type Plan = string;\n',
    "src/track.ts": (
        'import mixpanel from "mixpanel-browser";\nimport { PLANS } from "./plans";\n\n'
        "export function trackSignup(user) {\n"
        '  mixpanel.track("signup", { email: user.email, plans: PLANS });\n}\n'),
    **{f"src/page{i}.ts": (
        'import { trackSignup } from "./track";\nimport { PLANS } from "./plans";\n\n'
        f"export function register{i}(user) {{\n  trackSignup(user);\n  return PLANS;\n}}\n")
       for i in range(4)},
}


def test_an_edit_no_other_file_sees_runs_only_its_own_units(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """A helper added to a module others import changes nothing they read: its
    importers keep their results (a narrow re-run, incremental.py: settled)."""
    root = write_project(tmp_path, monkeypatch, CHAIN)
    first = _scan(root, catalog)
    plans = root / "src" / "plans.ts"
    plans.write_text(plans.read_text() + "\nfunction helper(v) { return v + 1; }\n")
    again = _scan(root, catalog)
    assert 0 < again.stats["units_run"] <= 2 < first.stats["units_run"]
    assert _comparable(again) == _comparable(_scan(root, catalog, cache=False))


def test_an_edit_that_changes_what_importers_read_reruns_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    root = write_project(tmp_path, monkeypatch, CHAIN)
    _scan(root, catalog)
    track = root / "src" / "track.ts"
    track.write_text(track.read_text().replace("email: user.email", "plan: user.plan"))
    again = _scan(root, catalog)
    assert _comparable(again) == _comparable(_scan(root, catalog, cache=False))
    assert all(f.categories != ("email",) for f in again.findings)


def test_a_global_others_asked_for_in_vain_reruns_them_once_defined(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """`from app.track import late` read before `late` exists: its reader held its
    absence, and runs again when the edit defines it."""
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/track.py": WRAPPER,
        "app/views.py": CALLER + "\n\ndef later(user):\n    from app.track import late\n"
                        "    late.track(user.id, 'x', {'phone': user.phone})\n"})
    first = _scan(root, catalog)
    (root / "app" / "track.py").write_text(WRAPPER + "\nlate = Mixpanel('other')\n")
    again = _scan(root, catalog)
    expected = _scan(root, catalog, cache=False)
    assert _comparable(again) == _comparable(expected) != _comparable(first)


def test_small_edits_in_a_row_start_from_the_state_stored_before_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """A small edit does not store the program state again (scan.py: LIGHT_RUNS): the
    next run starts from the older state with every file edited since, and an edit
    undone brings back the findings that state holds."""
    root = write_project(tmp_path, monkeypatch, CHAIN)
    _scan(root, catalog)
    states = sorted(tmp_path.rglob("*.state"))
    stamps = [p.stat().st_mtime_ns for p in states]
    plans, track = root / "src" / "plans.ts", root / "src" / "track.ts"
    original = track.read_text()
    plans.write_text(plans.read_text() + "\nfunction helper(v) { return v + 1; }\n")
    first = _scan(root, catalog)
    assert [p.stat().st_mtime_ns for p in sorted(tmp_path.rglob("*.state"))] == stamps
    track.write_text(original.replace("email: user.email", "plan: user.plan"))
    second = _scan(root, catalog)
    assert _comparable(second) == _comparable(_scan(root, catalog, cache=False))
    assert _comparable(second) != _comparable(first)
    track.write_text(original)
    third = _scan(root, catalog)
    assert _comparable(third) == _comparable(first) == _comparable(
        _scan(root, catalog, cache=False))


def test_several_files_edited_at_once_record_what_callers_send_to_a_sink_met_later(
        tmp_path: Path, catalog) -> None:
    """A function appended to an adapter module that registers itself, and a client
    removed from the module whose function calls the adapters, in one narrow run: the
    caller ran before the adapter's sink was met again (its finding's place emptied by
    the edit) and records what it sends there once it is (engine.sink_met); the
    findings and flows are a fresh scan's."""
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "crew-dispatch", root)
    cached = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache")
    first = run_scan([root], cached, catalog)
    adapter = root / "crew" / "adapters" / "intercom_adapter.py"
    adapter.write_text(adapter.read_text() + "\n\ndef _edited():\n    return 4\n")
    tasks = root / "crew" / "tasks.py"
    client = 'bugsnag_client = bugsnag.Client(api_key="bugsnag-key")'
    assert client in tasks.read_text()
    tasks.write_text("\n".join(line for line in tasks.read_text().split("\n")
                               if not line.startswith(client)))
    again = run_scan([root], cached, catalog)
    assert again.stats["units_run"] < first.stats["units_run"]
    assert _comparable(again) == _comparable(run_scan([root], Options(jobs=1, cache=False),
                                                      catalog))


def test_a_setting_a_function_returns_is_part_of_what_its_callers_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """`requests.post(referrals_webhook(), ...)` goes to Slack because the function
    returns `os.environ["SLACK_REFERRALS_WEBHOOK"]` (http.configured_by reads its
    code, not its summary): once it returns nothing, the caller's finding goes."""
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "",
        "app/settings.py": "import os\n\n\ndef referrals_webhook():\n"
                           "    return os.environ['SLACK_REFERRALS_WEBHOOK']\n",
        "app/views.py": "import requests\nimport sentry_sdk\n\n"
                        "from app.settings import referrals_webhook\n\n\n"
                        "def refer(patient):\n    sentry_sdk.add_breadcrumb(message='refer')\n"
                        "    requests.post(referrals_webhook(), "
                        "json={'text': patient.email}, timeout=5)\n"})
    first = _scan(root, catalog)
    assert [f.vendor for f in first.findings] == ["slack"]
    (root / "app" / "settings.py").write_text(
        "import os\n\n\ndef referrals_webhook():\n    pass\n")
    again = _scan(root, catalog)
    assert _comparable(again) == _comparable(_scan(root, catalog, cache=False)) == []


def test_a_resumed_run_reads_bodies_from_blobs_or_lowers_them_again(
        tmp_path: Path, catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stored state holds the modules without their bodies (pickling.Elsewhere):
    a resumed run reads those it runs from the modules' blobs, and, when the blobs are
    gone, lowers the unchanged files again; either way its findings are a fresh
    scan's."""
    from flowscan.collect import Collector

    fetched: list[tuple[str, str | None]] = []
    real = Collector.stored_body

    def counted(self: Collector, key: str, part: str | None) -> object:
        fetched.append((key, part))
        return real(self, key, part)

    monkeypatch.setattr(Collector, "stored_body", counted)
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "flask-billing", root)
    cached = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache")
    fresh = Options(jobs=1, cache=False)
    handlers = root / "billing" / "webhooks.py"
    original = handlers.read_text()
    run_scan([root], cached, catalog)
    for blobs_gone in (False, True):
        if blobs_gone:
            for blob in (tmp_path / "cache").rglob("blobs/*/*"):
                blob.unlink()
        fetched.clear()
        # what app.py imports from webhooks.py changes (the class is gone, then back):
        # app.py's units run again, from its stored skeleton
        handlers.write_text(original if blobs_gone
                            else original + "\nStripeWebhookHandler = None\n")
        again = run_scan([root], cached, catalog)
        assert fetched, "no body read through a stored skeleton"
        assert _comparable(again) == _comparable(run_scan([root], fresh, catalog))


def test_a_class_verdict_kept_in_the_state_is_dropped_with_its_file(
        tmp_path: Path, catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a class's declaration says (a place's record, a person's) is kept with the
    stored state; editing the class's file asks again: a Windsock that gains a date of
    birth is no longer a place, and its phone is a person's, as in a fresh scan."""
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "flask-kiteschool", root)
    cached = Options(jobs=1, cache=True, cache_dir=tmp_path / "cache")
    fresh = Options(jobs=1, cache=False)
    import flowscan.scan

    resumed = []
    real = flowscan.scan.resume_program
    monkeypatch.setattr(flowscan.scan, "resume_program",
                        lambda *a, **k: resumed.append(1) or real(*a, **k))
    before = run_scan([root], cached, catalog)
    models = root / "models.py"
    models.write_text(models.read_text().replace(
        "    phone = db.Column(db.String(32))\n",
        "    phone = db.Column(db.String(32))\n    date_of_birth = db.Column(db.Date)\n", 1))
    again = run_scan([root], cached, catalog)
    assert resumed  # from the stored state, not afresh
    assert _comparable(again) == _comparable(run_scan([root], fresh, catalog))
    assert _comparable(again) != _comparable(before)


def test_the_stored_importer_index_takes_the_changed_files_imports_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """A resumed run starts from the importer index stored with the state: a file that
    starts importing a helper in the same edit that makes the helper send data is found
    as its importer (and read, its argument being the data) as in a fresh scan."""
    import flowscan.scan

    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/track.py": WRAPPER, "app/views.py": CALLER,
        "app/helper.py": "def describe(value):\n    return value\n",
        "app/report.py": "def report(account):\n    return account\n"})
    resumed = []
    real = flowscan.scan.resume_program
    monkeypatch.setattr(flowscan.scan, "resume_program",
                        lambda *a, **k: resumed.append(1) or real(*a, **k))
    _scan(root, catalog)
    (root / "app" / "helper.py").write_text(
        "import sentry_sdk\n\n\ndef describe(value):\n"
        "    sentry_sdk.capture_message(value)\n")
    (root / "app" / "report.py").write_text(
        "from app.helper import describe\n\n\ndef report(account):\n"
        "    describe(account.email)\n")
    again = _scan(root, catalog)
    expected = _scan(root, catalog, cache=False)
    assert resumed
    assert "app/report.py" in expected.analysed
    assert _comparable(again) == _comparable(expected)


def test_the_stored_importer_index_is_corrected_per_path_when_asked() -> None:
    """A resumed run takes each path's importers from the stored index, less the files
    changed since, only when asked: the same answers as correcting the whole index."""
    import pickle

    from flowscan.analysis.stores import StoredImporters
    from flowscan.pickling import PackedSets

    plain = {"a.ts": {"x.ts", "y.ts"}, "b.ts": {"y.ts"}, "c.ts": {"z.ts"}}
    stored = pickle.loads(pickle.dumps(PackedSets(plain)))
    index = StoredImporters(stored, {"y.ts"})
    index.setdefault("d.ts", set()).add("y.ts")  # y.ts's imports, resolved again
    index.setdefault("a.ts", set()).add("y.ts")
    assert index.get("a.ts") == {"x.ts", "y.ts"} and index.get("b.ts") == set()
    assert index.get("gone.ts", set()) == set() and "gone.ts" not in index
    assert dict.get(stored, "c.ts").__class__ is str, "not asked: still a text"
    whole = index.whole()
    assert list(whole) == ["a.ts", "b.ts", "c.ts", "d.ts"]
    eager = {path: found - {"y.ts"} for path, found in plain.items()}
    eager.setdefault("d.ts", set()).add("y.ts")
    eager["a.ts"].add("y.ts")
    assert whole == eager

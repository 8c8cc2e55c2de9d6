"""How often the analysis runs each unit (analysis/engine.py): a helper first asked for
runs inside its caller, and a closure called inside its enclosing function reads that
function's locals as they are, so neither caller nor closure runs a second time."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.projects import kept_programs, scan, write_project

TRACK = """\
import posthog


def normalise(email):
    return email.strip().lower()


def send_all(user, events):
    def one(event):
        posthog.capture(user.id, event.name, {"email": normalise(user.email)})

    for event in events:
        one(event)
    return len(events)
"""

VIEWS = """\
from app.track import send_all


def checkout(request):
    return send_all(request.user, request.events)
"""

# a closure reads its parent's locals as they end: one that saw `who` mid-way (a user
# id) must run again once `who` ends as an email
LATE = """\
import posthog


def report(user):
    who = user.id

    def send():
        posthog.capture(who, "report", {})

    send()
    who = user.email
    send()
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/track.py": TRACK, "app/views.py": VIEWS,
        "app/late.py": LATE})


def test_each_unit_runs_once_when_nothing_it_read_changes(repo: Path, catalog) -> None:
    result = scan(repo, catalog, cache=False)
    by_line = {(f.span.path, f.span.line): f.categories for f in result.findings}
    assert by_line[("app/track.py", 10)] == ("email", "user_id")
    # three module bodies, normalise, send_all, one, checkout: one run each; report
    # once, its closure `send` twice (it saw `who` as a user id, which ends an email)
    assert result.stats["units_run"] == 3 + 4 + 3


def test_a_closure_runs_again_when_its_parents_locals_end_otherwise(repo: Path, catalog
                                                                    ) -> None:
    result = scan(repo, catalog, cache=False)
    by_line = {(f.span.path, f.span.line): f.categories for f in result.findings}
    assert by_line[("app/late.py", 8)] == ("email",)


def test_an_importer_reads_the_export_it_names_not_the_whole_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """`import { client } from './config'` depends on `client` (modules.module_export):
    another export of the module changing (a growth round loading what it is built
    from) does not run the importer again."""
    programs = kept_programs(monkeypatch)
    root = write_project(tmp_path, monkeypatch, {
        "package.json": '{"dependencies": {"posthog-node": "4"}}',
        "src/config.ts": "import { PostHog } from 'posthog-node';\n"
                         "export const client = new PostHog('key');\nexport const LIMIT = 5;\n",
        "src/track.ts": "import { client } from './config';\n\nexport function track(user) {\n"
                        "  client.capture({ distinctId: user.id, properties: "
                        "{ email: user.email } });\n}\n"})
    result = scan(root, catalog, cache=False)
    assert [(f.span.path, f.categories) for f in result.findings] == [
        ("src/track.ts", ("email", "user_id"))]
    deps = programs[0].deps
    assert "src/track.ts::track" in deps["global:src/config.ts:client"]
    assert "src/track.ts::track" not in deps.get("module:src/config.ts", set())


def _reference_order(functions: dict, used: dict[str, set[str]]) -> list[str]:
    """The order as networkx gives it for any call graph (walk.bottom_up's own path
    when the graph has a cycle)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(functions)
    for fid, (fn, _) in functions.items():
        if fn.parent in functions:
            graph.add_edge(fid, fn.parent)
        for callee, (other, _) in functions.items():
            if other.name in used[fid] and callee != fid and other.parent != fid:
                graph.add_edge(fid, callee)
    condensed = nx.condensation(graph)
    return [fid for component in reversed(list(nx.lexicographical_topological_sort(
        condensed, key=lambda c: min(condensed.nodes[c]["members"]))))
        for fid in sorted(condensed.nodes[component]["members"])]


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sets(st.sampled_from("abcdef")),
                          st.integers(min_value=-1, max_value=7)), max_size=8))
def test_callees_come_first_as_networkx_orders_them(specs) -> None:
    """bottom_up sorts acyclic graphs itself (a pre-commit run's few functions need no
    networkx import) and must give networkx's order, cycles or none."""
    from flowscan import ir
    from flowscan.analysis.walk import bottom_up

    fids = [f"m.py::f{i}" for i in range(len(specs))]
    functions = {fid: (ir.Function(fid, name, (), (), ir.NOPOS, parent=fids[parent]
                                   if 0 <= parent < len(fids) and fids[parent] != fid
                                   else None), None)
                 for fid, (name, _, parent) in zip(fids, specs, strict=True)}
    used = {fid: set(calls) for fid, (_, calls, _) in zip(fids, specs, strict=True)}
    assert bottom_up(functions, used) == (
        _reference_order(functions, used) if len(functions) > 1 else sorted(functions))


@pytest.mark.parametrize("files", [
    {  # an export of a lazy module, read through `export const` (module_export)
        "package.json": '{"dependencies": {"posthog-node": "4"}}',
        "src/events.ts": "export const SIGNUP = { name: 'signup' };\n",
        "src/track.ts": "import { PostHog } from 'posthog-node';\n"
                        "import { SIGNUP } from './events';\n"
                        "const client = new PostHog('key');\n\n"
                        "export function track(user) {\n"
                        "  client.capture({ distinctId: user.id, event: SIGNUP.name,"
                        " properties: { email: user.email } });\n}\n"},
    {  # a global of a lazy Python module (module_global)
        "app/__init__.py": "",
        "app/events.py": "SIGNUP = {'name': 'signup'}\n",
        "app/track.py": "import posthog\n\nfrom app.events import SIGNUP\n\n\n"
                        "def track(user):\n"
                        "    posthog.capture(user.id, SIGNUP['name'], {'email': user.email})\n"},
], ids=["javascript", "python"])
def test_a_module_run_on_demand_gives_its_asker_its_names_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog, files) -> None:
    """The module an importer asks for runs inside the asking unit (engine.demand),
    and the asker depends on the module's names only after: their first values are
    what it reads, no change that runs it again (a tenth of formbricks' re-runs)."""
    programs = kept_programs(monkeypatch)
    result = scan(write_project(tmp_path, monkeypatch, files), catalog, cache=False)
    assert [f.categories for f in result.findings] == [("email", "user_id")]
    runs = programs[0].visits
    track = next(unit for unit in runs if unit.endswith("::track"))
    events = next(unit for unit in runs if unit.startswith("module:") and "events" in unit)
    assert runs[track] == 1
    assert runs[events] == 1


def test_a_unit_is_searched_for_person_evidence_only_when_a_field_could_be_a_persons(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """Which objects a unit treats as persons (persons.person_objects) is a walk over
    its body: it is made when a field read would be personal on a person (`c.id`), not
    for every field read (`job.status`); 5,802 walks on formbricks became 3,016."""
    programs = kept_programs(monkeypatch)
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "",
        "app/track.py": "import posthog\n\n\n"
                        "def flush(job):\n"
                        "    posthog.capture('server', 'flush', {'status': job.status})\n\n\n"
                        "def signup(c):\n"  # `c.email`: c is a person, `c.id` a user id
                        "    posthog.capture(c.id, 'signup', {'mail': c.email})\n"})
    result = scan(root, catalog, cache=False)
    assert [(f.span.line, f.categories) for f in result.findings] == [
        (9, ("email", "user_id"))]
    walked = set(programs[0]._persons)
    assert "app/track.py::signup" in walked
    assert "app/track.py::flush" not in walked


def _relatives_by_scanning(prog, fids: set[str]) -> set[str]:
    """with_relatives as it was written before its indexes: every used function asked."""
    chosen = set(fids)
    size = -1
    while size != len(chosen):
        size = len(chosen)
        chosen |= {p for fid in chosen if (p := prog.functions[fid][0].parent)
                   and p in prog.used}
        owners = {cls for fid in chosen if (cls := prog.functions[fid][0].cls)} | chosen
        chosen |= {fid for fid in prog.used if prog.functions[fid][0].cls in owners
                   or prog.functions[fid][0].parent in owners}
    return chosen


def test_the_function_indexes_answer_as_scanning_every_function_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from flowscan.catalog import load_catalog

    programs = kept_programs(monkeypatch)
    scan(Path(__file__).resolve().parent.parent / "fixtures" / "apps", load_catalog(),
         cache=False)
    prog = programs[-1]
    used = sorted(prog.used)
    assert len(used) > 100 and any(prog.functions[f][0].cls for f in used) \
        and any(prog.functions[f][0].parent for f in used)
    methods = [fid for fid in used if prog.functions[fid][0].cls]

    def clone(fid: str) -> str:  # a base's method as run on a subclass, a unit of its own
        made, _ = prog.inherited(fid, prog.functions[fid][0].cls)
        prog.used[made] = set()
        return made

    prog.owned.clear()  # (the scan indexed the modules it asked about: start afresh)
    prog.indexed.clear()
    early = clone(methods[0])  # before its module is indexed: kept with the module's
    for fid in [*used, early]:
        assert prog.with_relatives([fid]) == _relatives_by_scanning(prog, {fid})
    late = clone(methods[-1])  # after
    assert late in prog.with_relatives([methods[-1]])
    for fid in [*used[::5], late]:
        assert prog.with_relatives([fid]) == _relatives_by_scanning(prog, {fid})
    assert prog.with_relatives(used[::7]) == _relatives_by_scanning(prog, set(used[::7]))

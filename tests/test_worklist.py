"""How often the analysis runs each unit (analysis/engine.py): a helper first asked for
runs inside its caller, and a closure called inside its enclosing function reads that
function's locals as they are, so neither caller nor closure runs a second time."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.projects import scan, write_project

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
    from flowscan.analysis.engine import Program

    programs: list[Program] = []
    finish = Program.finish

    def kept(self: Program) -> object:
        programs.append(self)
        return finish(self)

    monkeypatch.setattr(Program, "finish", kept)
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

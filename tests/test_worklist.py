"""How often the analysis runs each unit (analysis/engine.py): a helper first asked for
runs inside its caller, and a closure called inside its enclosing function reads that
function's locals as they are, so neither caller nor closure runs a second time."""

from __future__ import annotations

from pathlib import Path

import pytest

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

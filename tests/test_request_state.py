"""Per-request state: what a middleware puts on the request is read back by name in
another file (frame.py: request_state, engine.py: state_writers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.projects import kept_programs, scan, write_project

FLASK_HOOKS = """\
from dataclasses import dataclass

from flask import g, request


@dataclass
class Member:
    id: str
    display_name: str
    email: str


ROWS: dict[str, dict] = {}


def lookup(token: str) -> Member:
    return Member(**ROWS[token])


def load_member():
    g.member = lookup(request.headers["x-id"])
"""

FLASK_ERRORS = """\
from dataclasses import asdict

import sentry_sdk
from flask import g


def on_error(exc):
    sentry_sdk.set_context("member", asdict(g.member))
"""

APP = """\
import sentry_sdk
from flask import Flask

from .errors import on_error
from .hooks import load_member


def create_app():
    sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/1")
    app = Flask(__name__)
    app.before_request(load_member)
    app.register_error_handler(Exception, on_error)
    return app
"""

LOCAL_G = """\
from dataclasses import asdict

import sentry_sdk


class Graph:
    pass


def report(member):
    g = Graph()
    g.member = member
    sentry_sdk.set_context("graph", {"size": len(vars(g))})
"""

EXPRESS_AUTH = """\
function loadMember(req, res, next) {
  req.member = { id: req.get('x-id'), email: req.get('x-email') };
  req.body = { email: req.get('x-email') };
  next();
}
module.exports = { loadMember };
"""

EXPRESS_ROUTE = """\
const Sentry = require('@sentry/node');
const { loadMember } = require('./auth');

function report(err, req, res, next) {
  Sentry.setContext('member', req.member);
  Sentry.setContext('body', req.body);
}
module.exports = { report, loadMember };
"""


def _found(root: Path, catalog) -> dict[tuple[str, int], tuple[str, ...]]:
    return {(f.span.path, f.span.line): f.categories for f in scan(root, catalog, False).findings}


def test_flask_g_set_in_a_hook_file_reaches_the_error_handler(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": APP, 
        "app/hooks.py": FLASK_HOOKS, "app/errors.py": FLASK_ERRORS, "app/graph.py": LOCAL_G})
    # the hook file names no vendor: the app factory imports it, and it runs because a
    # handler reads g.member
    assert _found(root, catalog) == {("app/errors.py", 8): ("email", "name", "user_id")}


def test_express_req_slots_but_not_the_frameworks_own_attributes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    root = write_project(tmp_path, monkeypatch, {
        "src/auth.js": EXPRESS_AUTH, "src/report.js": EXPRESS_ROUTE})
    # req.member is the middleware's; req.body is each request's own body, not a slot
    assert _found(root, catalog) == {("src/report.js", 5): ("email", "user_id")}


NOTIFIER = """\
from twilio.rest import Client


class SmsNotifier:
    def __init__(self, sid, token):
        self._client = Client(sid, token)

    def send(self, to, body):
        return self._client.messages.create(to=to, from_="+15550000000", body=body)
"""

FACTORY = """\
import sentry_sdk
from flask import Flask

from .notifications import SmsNotifier
from .views import bp


def create_app():
    sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/1")
    app = Flask(__name__)
    app.extensions["sms"] = SmsNotifier("sid", "token")
    app.register_blueprint(bp)
    return app
"""

VIEWS = """\
import sentry_sdk
from flask import Blueprint, current_app

bp = Blueprint("bookings", __name__)


@bp.post("/book")
def book(patient):
    sentry_sdk.set_tag("route", "book")
    current_app.extensions["sms"].send(patient.phone, f"Booked, {patient.first_name}")
"""


def test_a_flask_extension_registered_by_the_app_factory_is_read_back_by_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    # (the factory and the views touch Sentry: both are read; the notifier, Twilio)
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": FACTORY, "app/notifications.py": NOTIFIER, "app/views.py": VIEWS})
    assert _found(root, catalog) == {("app/notifications.py", 9): ("name", "phone")}


SETUP = """\
from flask import current_app

from .notifications import SmsNotifier

current_app.extensions["sms"] = SmsNotifier("sid", "token")
"""


def test_a_module_body_that_registers_an_extension_runs_when_the_slot_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    factory = FACTORY.replace('    app.extensions["sms"] = SmsNotifier("sid", "token")\n', "") \
        .replace("from .notifications import SmsNotifier\n", "from . import setup  # noqa\n")
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": factory, "app/setup.py": SETUP,
        "app/notifications.py": NOTIFIER, "app/views.py": VIEWS})
    assert _found(root, catalog) == {("app/notifications.py", 9): ("name", "phone")}


def test_the_slots_read_are_kept_across_a_resumed_scan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """The state keeps which request-state slots are read (engine.state_slots_read):
    after an edit of the error handler a resumed scan finds what a fresh one does."""
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": APP,
        "app/hooks.py": FLASK_HOOKS, "app/errors.py": FLASK_ERRORS, "app/graph.py": LOCAL_G})
    first = scan(root, catalog)
    errors = root / "app" / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _unused(value):\n    return value\n")
    again = scan(root, catalog)
    fresh = scan(root, catalog, False)
    assert [(f.span.path, f.categories) for f in again.findings] \
        == [(f.span.path, f.categories) for f in fresh.findings] \
        == [(f.span.path, f.categories) for f in first.findings] \
        == [("app/errors.py", ("email", "name", "user_id"))]


def test_state_slots_read_looks_only_at_the_keys_added_since() -> None:
    from flowscan.analysis.common import REQUEST_STATE
    from flowscan.analysis.engine import Program
    from flowscan.analysis.resolve import Resolver
    from flowscan.catalog import load_catalog

    prog = Program({}, load_catalog(), Resolver.build([], {}))
    prog.depend(f"class:{REQUEST_STATE}:member", "a.py::f")
    prog.depend("global:a.py:x", "a.py::f")
    assert prog.state_slots_read() == {"member"}
    prog.depend(f"class:{REQUEST_STATE}:tenant", "b.py::g")
    prog.depend(f"class:{REQUEST_STATE}:member", "b.py::g")
    assert prog.state_slots_read() == {"member", "tenant"}
    # keys are only ever added, so one put before those looked at is not seen...
    prog.deps = {f"class:{REQUEST_STATE}:early": set(), **prog.deps}
    del prog.deps["global:a.py:x"]
    assert prog.state_slots_read() == {"member", "tenant"}
    prog.deps[f"class:{REQUEST_STATE}:late"] = set()  # ...one added after is
    assert prog.state_slots_read() == {"member", "tenant", "late"}
    prog.deps = {"global:a.py:x": set()}  # fewer keys than looked at: from the start
    assert prog.state_slots_read() == set()


def test_a_function_whose_body_names_no_slot_read_is_not_decoded_to_ask(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """state_writers asks every function not run whether it sets a slot some unit
    reads; one whose pickled body does not even name the slot is answered without
    unpickling it (pickling.may_mention), and the answer is kept with the state, so a
    resumed scan does not read the body from the cache to ask again."""
    from flowscan import ir

    programs = kept_programs(monkeypatch)
    helpers = "def _shout(text):\n    return text.upper()\n"
    root = write_project(tmp_path, monkeypatch, {
        "app/__init__.py": APP, "app/hooks.py": FLASK_HOOKS + "\n\n" + helpers,
        "app/errors.py": FLASK_ERRORS})
    scan(root, catalog)  # lowered in this process: bodies never pickled
    (root / "app" / "extra.py").write_text("LIMIT = 3\n")  # a new file: afresh, with
    first = scan(root, catalog)  # the modules (and their bodies, pickled) from the cache
    stored = ir.Function.__dict__["body"].fget.stored
    unwritten = programs[-1]._state_unwritten
    assert "member" in unwritten["app/hooks.py::_shout"]
    assert "app/hooks.py::_shout" not in programs[-1]._state_writes
    assert isinstance(stored(programs[-1].functions["app/hooks.py::_shout"][0]), bytes)
    errors = root / "app" / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _unused(value):\n    return value\n")
    again = scan(root, catalog)
    assert [(f.span.path, f.categories) for f in again.findings] \
        == [(f.span.path, f.categories) for f in first.findings]
    resumed = programs[-1]
    assert resumed.runs < programs[0].runs  # (resumed, not run afresh)
    assert "app/hooks.py::_shout" in resumed._state_unwritten
    assert not isinstance(stored(resumed.functions["app/hooks.py::_shout"][0]), tuple)

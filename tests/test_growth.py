"""The analysis reads the part of a repository between the vendor calls and the code
that feeds them (analysis/growth.py), and a stored result stands only while no file
that could change it has changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.projects import scan as _scan
from tests.projects import write_project

UTILS = """\
from mixpanel import Mixpanel

mp = Mixpanel("token")


def slugify(text):
    return text.lower().replace(" ", "-")


def track_signup(user):
    mp.track(user.id, "signup", {"email": user.email})
"""

PLAIN = """\
from app.utils import slugify


def title(page):
    return slugify(page.title)
"""

CALLER = """\
from app.utils import track_signup


def register(user):
    track_signup(user)
"""

WRAPPER = """\
from app import utils


class Notifier:
    def welcome(self, user):
        utils.track_signup(user)
"""

WRAPPER_CALLER = """\
from app.notify import Notifier


def on_signup(account):
    Notifier().welcome(account)
"""


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_project(tmp_path, monkeypatch, {
        "app/__init__.py": "", "app/utils.py": UTILS,
        **{f"app/page{i}.py": PLAIN for i in range(5)},
        "app/views.py": CALLER, "app/notify.py": WRAPPER, "app/hooks.py": WRAPPER_CALLER})



def test_only_importers_that_name_something_hot_are_analysed(repo: Path, catalog) -> None:
    result = _scan(repo, catalog, cache=False)
    [finding] = result.findings
    assert (finding.span.path, finding.vendor) == ("app/utils.py", "mixpanel")
    assert finding.categories == ("email", "user_id")
    # utils (direct), views and notify (name track_signup), hooks (names Notifier),
    # and what those import; the five pages use only slugify
    assert result.stats["analysed"] == 5


def test_wrappers_of_wrappers_across_files_still_reach_the_sink(repo: Path, catalog) -> None:
    """hooks.py -> notify.py -> utils.py: the phone number comes from the outermost file."""
    (repo / "app" / "utils.py").write_text(UTILS.replace(
        'mp.track(user.id, "signup", {"email": user.email})',
        'mp.track("anonymous", "signup", {"contact": user})'))
    (repo / "app" / "hooks.py").write_text(WRAPPER_CALLER.replace(
        "Notifier().welcome(account)", "Notifier().welcome(account.phone_number)"))
    [finding] = _scan(repo, catalog, cache=False).findings
    assert finding.span.path == "app/utils.py"
    assert finding.categories == ("phone",)
    assert [s.span.path for s in finding.flows[0].steps] == [
        "app/hooks.py", "app/hooks.py", "app/utils.py"]  # source, call of welcome, sink


def test_editing_a_file_the_analysis_skipped_reuses_the_result(repo: Path, catalog) -> None:
    first = _scan(repo, catalog)
    with open(repo / "app" / "page3.py", "a") as f:
        f.write("\n\ndef other(page):\n    return slugify(page.slug)\n")
    again = _scan(repo, catalog)
    assert again.stats["seconds_analysis"] == 0  # the stored result stands
    assert again.findings == first.findings


def test_a_skipped_file_that_starts_naming_a_hot_function_is_analysed(
        repo: Path, catalog) -> None:
    _scan(repo, catalog)
    (repo / "app" / "page3.py").write_text(
        "from app.utils import mp\n\n\ndef seen(visitor):\n"
        "    mp.track(visitor.id, 'page', {'phone': visitor.phone})\n")
    again = _scan(repo, catalog)
    assert again.stats["seconds_analysis"] > 0
    assert {f.span.path for f in again.findings} == {"app/utils.py", "app/page3.py"}
    assert again.findings == _scan(repo, catalog, cache=False).findings


def test_editing_an_analysed_file_runs_the_analysis_again(repo: Path, catalog) -> None:
    _scan(repo, catalog)
    (repo / "app" / "utils.py").write_text(UTILS.replace('"email": user.email',
                                                         '"plan": user.plan'))
    again = _scan(repo, catalog)
    assert again.stats["seconds_analysis"] > 0
    assert [f.categories for f in again.findings] == [("user_id",)]


def test_a_module_read_before_growth_loads_its_import_is_read_again(
        tmp_path: Path, catalog) -> None:
    """api.py's module body builds `Router()` from a package whose router.py joins the
    analysis only in a later round (it names a hot function of clients.py)."""
    root = tmp_path / "svc"
    (root / "app" / "llm").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "llm" / "clients.py").write_text(
        "from openai import OpenAI\n\n\ndef get_client():\n    return OpenAI()\n")
    (root / "app" / "llm" / "router.py").write_text(
        "from .clients import get_client\n\n\nclass Router:\n"
        "    def __init__(self):\n        self.client = get_client()\n\n"
        "    def complete(self, messages):\n"
        "        return self.client.chat.completions.create(model='m', messages=messages)\n")
    (root / "app" / "llm" / "__init__.py").write_text("from .router import Router\n")
    (root / "app" / "api.py").write_text(  # touches Sentry: analysed from the start
        "import sentry_sdk\nfrom app.llm import Router\n\nsentry_sdk.init(dsn='x')\n"
        "router = Router()\n\n\ndef draft(form):\n"
        "    return router.complete([{'role': 'user', 'content': form.full_name}])\n")
    [finding] = _scan(root, catalog, cache=False).findings
    assert (finding.span.path, finding.span.line) == ("app/llm/router.py", 9)
    assert (finding.vendor, finding.categories) == ("openai", ("name",))


NUXT_UTIL = """import * as Sentry from '@sentry/node';
export function reportFailure(err: unknown, tags: Record<string, string>) {
  Sentry.captureException(err, { tags });
}
"""
NUXT_ROUTE = """export default defineEventHandler(async (event) => {
  const body = await readBody(event);
  reportFailure(new Error('x'), { email: body.email });
});
"""
NUXT_PAGE = """const unrelated = 1;
export default unrelated;
"""


@pytest.mark.parametrize("config", ["nuxt.config.ts", None])
def test_nuxt_server_utils_reach_routes_without_an_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog, config: str | None) -> None:
    """Nuxt imports `server/utils` exports for every server route; without a
    nuxt.config the same name is just an unknown global."""
    files = {"server/utils/report.ts": NUXT_UTIL, "server/api/signup.post.ts": NUXT_ROUTE,
             "server/api/other.get.ts": NUXT_PAGE}
    if config:
        files[config] = "export default defineNuxtConfig({});\n"
    root = write_project(tmp_path, monkeypatch, files)
    result = _scan(root, catalog, cache=False)
    found = {(f.span.path, f.categories) for f in result.findings}
    if config:
        assert found == {("server/utils/report.ts", ("email",))}
        assert "server/api/other.get.ts" not in result.analysed  # names nothing hot
    else:
        assert found == set()


REQUESTER = {
    "app/__init__.py": "", "app/lib/__init__.py": "",
    "app/alerts.py": 'from app import transport\n\nPUSHOVER = "https://api.pushover.net/1/'
                     'messages.json"\n\n\ndef alert(user):\n'
                     '    transport.post(PUSHOVER, {"email": user.email})\n',
    "app/transport.py": "from app.lib import http\n\n\ndef post(url, data):\n"
                        '    return http.request("POST", url, data)\n',
    "app/lib/http.py": "def request(method, url, data):\n    return None\n",
}
SENDS = "import requests\n\n\ndef request(method, url, data):\n" \
        "    return requests.request(method, url, json=data)\n"


def test_whether_an_unread_import_makes_requests_is_asked_once_per_content(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """A module that analysed code imports is read when its text names an HTTP client
    (engine.py: load_requesters); the answer is kept with the state, by content."""
    from flowscan.analysis.http import REQUEST_WORDS
    from flowscan.scan import ProjectLoader

    repo = write_project(tmp_path, monkeypatch, REQUESTER)
    asked: list[str] = []
    mentions = ProjectLoader.mentions

    def counting(self, path, names):
        if names is REQUEST_WORDS:
            asked.append(path)
        return mentions(self, path, names)

    monkeypatch.setattr(ProjectLoader, "mentions", counting)
    assert _scan(repo, catalog).findings == []
    assert sorted(asked) == ["app/lib/__init__.py", "app/lib/http.py"]  # once each
    with open(repo / "app" / "alerts.py", "a") as f:
        f.write("\n\ndef other(user):\n    return user.name\n")
    asked.clear()
    assert _scan(repo, catalog).findings == []
    assert asked == []  # the resumed run knew the answer
    (repo / "app" / "lib" / "http.py").write_text(SENDS)
    with open(repo / "app" / "alerts.py", "a") as f:
        f.write("\n\ndef third(user):\n    return user.name\n")
    again = _scan(repo, catalog)
    assert asked == ["app/lib/http.py"]  # its content changed: asked again
    assert [(f.vendor, f.categories) for f in again.findings] == [("pushover", ("email",))]
    assert again.findings == _scan(repo, catalog, cache=False).findings


def test_a_name_already_hot_is_not_evaluated_again() -> None:
    """Growth asks which names became hot; one already hot needs no look at its
    summary (a pre-commit run decoded hundreds of them), and the new names are the
    same as before."""
    from types import SimpleNamespace

    from flowscan.analysis.growth import Hotness

    fns = {f"a.py::{n}": (SimpleNamespace(name=n), None) for n in ("f", "g", "h")}
    prog = SimpleNamespace(functions=fns, summaries=dict.fromkeys(fns), class_attrs={},
                           classes={})
    hot = Hotness(prog, frozenset())  # type: ignore[arg-type]
    asked: list[str] = []
    hot.function = lambda fid: asked.append(fid) or fid != "a.py::h"  # type: ignore[method-assign]
    assert hot.members(None, {"f"}) == {"g"} and asked == ["a.py::g", "a.py::h"]
    assert hot.members(None) == {"f", "g"}

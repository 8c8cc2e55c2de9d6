"""Manifest reading: which vendor SDKs each kind of manifest declares (text parsing
only), matching per language, and robustness against malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowscan.catalog import Catalog
from flowscan.manifests import (
    Declared,
    declared_vendors,
    find_manifests,
    imported_vendors,
    parse_manifest,
    read_manifests,
)


def names(rel: str, text: str) -> set[str]:
    return {d.package for d in parse_manifest(rel, text)}


def test_requirements_lines() -> None:
    text = ("# pinned\nmixpanel==4.10.1\nsentry-sdk[flask]>=2 ; python_version>'3.8'\n"
            "-r base.txt\n--index-url https://x\nSegment_Analytics.Python~=2.3  # segment\n"
            "git+https://github.com/x/posthog-python#egg=posthog\n./local-pkg\n\n")
    assert names("requirements-dev.txt", text) == {
        "mixpanel", "sentry-sdk", "segment-analytics-python", "posthog"}


def test_pyproject_pep621_poetry_and_groups() -> None:
    text = """
[project]
dependencies = ["openai>=1", "requests"]
[project.optional-dependencies]
ai = ["anthropic"]
[dependency-groups]
dev = ["pytest"]
[tool.poetry.dependencies]
python = "^3.11"
Mixpanel = "^4"
[tool.poetry.group.obs.dependencies]
sentry-sdk = "*"
"""
    assert names("pyproject.toml", text) == {"openai", "requests", "anthropic", "pytest",
                                             "mixpanel", "sentry-sdk"}


def test_pipfile_setup_cfg_and_poetry_lock() -> None:
    assert names("Pipfile", '[packages]\nposthog = "*"\n[dev-packages]\nblack = "*"\n') == {
        "posthog", "black"}
    cfg = ("[metadata]\nname = x\n[options]\ninstall_requires =\n    mixpanel>=4\n"
           "    rollbar\npython_requires = >=3.8\n[options.extras_require]\nai = openai\n")
    assert names("setup.cfg", cfg) == {"mixpanel", "rollbar", "openai"}
    lock = '[[package]]\nname = "sentry-sdk"\nversion = "2"\n[[package]]\nname = "certifi"\n'
    assert names("poetry.lock", lock) == {"sentry-sdk", "certifi"}


def test_node_manifests_and_locks() -> None:
    pkg = ('{"dependencies": {"posthog-js": "^1"}, "devDependencies": {"@sentry/node": "8"},'
           ' "peerDependencies": {"react": "18"}}')
    assert names("package.json", pkg) == {"posthog-js", "@sentry/node", "react"}
    lock = ('{"lockfileVersion": 3, "packages": {"": {}, "node_modules/mixpanel-browser": {},'
            ' "node_modules/a/node_modules/@segment/analytics-next": {}}}')
    assert names("package-lock.json", lock) == {"mixpanel-browser", "@segment/analytics-next"}
    yarn = ('# yarn lockfile v1\n\n"@amplitude/analytics-browser@^2.0.0", '
            '"@amplitude/analytics-browser@^2.1":\n  version "2.1.0"\n\nlodash@^4:\n'
            '  version "4"\n')
    assert names("yarn.lock", yarn) == {"@amplitude/analytics-browser", "lodash"}
    pnpm = ("lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      posthog-js:\n"
            "        specifier: ^1\n        version: 1.2.0\npackages:\n  '@sentry/browser@8.1.0':\n"
            "    resolution: {}\n  /intercom-client@5.0.0:\n    resolution: {}\n")
    assert names("pnpm-lock.yaml", pnpm) == {"posthog-js", "@sentry/browser", "intercom-client"}


@pytest.mark.parametrize("rel", ["package.json", "pyproject.toml", "poetry.lock", "Pipfile",
                                 "package-lock.json", "setup.cfg", "requirements.txt",
                                 "yarn.lock", "pnpm-lock.yaml"])
def test_malformed_manifests_are_passed_over(rel: str) -> None:
    for text in ("{{{ not [valid", "\x00\xff", "[project]\ndependencies = 3\n", "null", ""):
        parse_manifest(rel, text)  # never raises


def test_languages_do_not_mix(catalog: Catalog) -> None:
    # `mixpanel` is a Python package and also a Node package; `sentry-sdk` only Python
    declared = [Declared("javascript", "sentry-sdk", "package.json"),
                Declared("python", "posthog-js", "requirements.txt"),
                Declared("javascript", "mixpanel", "package.json")]
    assert declared_vendors(declared, catalog.vendors) == {
        "mixpanel": [("package.json", "mixpanel")]}


def test_tree_walk_prunes_dependencies_and_tests(tmp_path: Path, catalog: Catalog) -> None:
    (tmp_path / "requirements.txt").write_text("sentry-sdk\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"dependencies": {"posthog-js": "1"}}')
    nm = tmp_path / "web" / "node_modules" / "mixpanel-browser"
    nm.mkdir(parents=True)
    (nm / "package.json").write_text('{"dependencies": {"@segment/analytics-next": "1"}}')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "requirements.txt").write_text("openai\n")
    assert find_manifests(tmp_path) == ["requirements.txt", "web/package.json"]
    found = declared_vendors(read_manifests(tmp_path), catalog.vendors)
    assert found == {"posthog": [("web/package.json", "posthog-js")],
                     "sentry": [("requirements.txt", "sentry-sdk")]}
    with_tests = declared_vendors(read_manifests(tmp_path, include_tests=True), catalog.vendors)
    assert "openai" in with_tests


def test_imported_vendors_by_language(catalog: Catalog) -> None:
    imports = {"app/a.py": ("sentry_sdk", "os", "mixpanel"), "web/b.ts": ("posthog-js", "react"),
               "web/c.js": ("sentry_sdk",)}  # a Python module name in JS is not Sentry
    assert imported_vendors(imports, catalog) == {
        "mixpanel": ["app/a.py"], "posthog": ["web/b.ts"], "sentry": ["app/a.py"]}

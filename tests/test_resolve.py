"""Import resolution choices that no fixture app pins down alone (analysis/resolve.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowscan.analysis.resolve import Resolver, _star


def test_a_top_level_package_wins_over_a_module_of_that_name_in_another_package() -> None:
    r = Resolver.build(["config/integrations.py", "integrations/__init__.py",
                        "integrations/sms.py", "supplies/views.py"], {})
    assert r.python("supplies/views.py", "integrations") == "integrations/__init__.py"
    assert r.python("supplies/views.py", "config.integrations") == "config/integrations.py"


def test_the_nearest_module_still_wins_when_it_shares_the_importers_directory() -> None:
    r = Resolver.build(["app/utils.py", "lib/utils/__init__.py", "app/views.py"], {})
    assert r.python("app/views.py", "utils") == "app/utils.py"


def test_nuxt_root_aliases() -> None:
    files = ["server/utils/db.ts", "server/api/auth/login.post.ts", "components/Card.vue"]
    r = Resolver.build(files, {})
    assert r.javascript("server/api/auth/login.post.ts", "~~/server/utils/db") == \
        "server/utils/db.ts"
    assert r.javascript("server/api/auth/login.post.ts", "@@/server/utils/db") == \
        "server/utils/db.ts"


def test_workspace_packages_resolve_by_name_through_their_exports() -> None:
    files = ["packages/analytics/src/server.ts", "packages/billing/src/index.ts",
             "packages/ui/src/button.tsx", "packages/utils/lib/index.js", "apps/web/a.ts"]
    configs = {
        "packages/analytics/package.json": '{"name": "@acme/analytics", "exports": '
                                           '{"./server": "./src/server.ts"}}',
        "packages/billing/package.json": '{"name": "@acme/billing", "exports": {".": '
                                         '{"types": "./dist/index.d.ts", '
                                         '"import": "./dist/index.mjs"}}}',
        "packages/ui/package.json": '{"name": "@acme/ui", "exports": {"./*": "./src/*.tsx"}}',
        "packages/utils/package.json": '{"name": "utils", "main": "lib/index.js"}',
        "apps/web/package.json": "not json",
    }
    r = Resolver.build(files, configs)
    assert r.javascript("apps/web/a.ts", "@acme/analytics/server") == \
        "packages/analytics/src/server.ts"
    assert r.javascript("apps/web/a.ts", "@acme/billing") == "packages/billing/src/index.ts"
    assert r.javascript("apps/web/a.ts", "@acme/ui/button") == "packages/ui/src/button.tsx"
    assert r.javascript("apps/web/a.ts", "utils") == "packages/utils/lib/index.js"
    assert r.javascript("apps/web/a.ts", "@acme/analytics/client") is None
    assert r.javascript("apps/web/a.ts", "react") is None


def test_a_path_alias_of_the_importers_own_config_comes_first() -> None:
    """Each package of a monorepo maps `@/*` to its own `src/` (formbricks: seven
    tsconfigs); packages/survey-ui sorts before packages/surveys, whose files must not
    get its `@/lib/utils`. A config's alias still serves importers outside it when
    their own configs do not map the specifier (paths taken through `extends`)."""
    files = ["packages/survey-ui/src/lib/utils.ts", "packages/surveys/src/lib/utils.ts",
             "packages/surveys/src/index.ts", "packages/shared/src/lib/only.ts",
             "apps/web/lib/utils.ts", "apps/web/app/page.tsx", "tools/x.ts"]
    configs = {f"{d}/tsconfig.json": '{"compilerOptions": {"baseUrl": ".", '
                                      f'"paths": {{"@/*": ["{t}"]}}}}}}'
               for d, t in (("packages/survey-ui", "./src/*"), ("packages/surveys", "./src/*"),
                            ("packages/shared", "./src/*"), ("apps/web", "./*"))}
    r = Resolver.build(files, configs)
    assert r.javascript("packages/surveys/src/index.ts", "@/lib/utils") == \
        "packages/surveys/src/lib/utils.ts"
    assert r.javascript("apps/web/app/page.tsx", "@/lib/utils") == "apps/web/lib/utils.ts"
    assert r.javascript("packages/surveys/src/index.ts", "@/lib/only") == \
        "packages/shared/src/lib/only.ts"
    assert r.javascript("tools/x.ts", "@/lib/utils") == "apps/web/lib/utils.ts"  # file order


def test_a_workspace_package_named_twice_is_the_importers_own_checkouts() -> None:
    """A scan root that holds two checkouts of one monorepo (or `bench/perf.py
    --scale`'s copies): `@acme/types` is the package beside the importer."""
    files = [f"{c}/{f}" for c in ("copy0", "copy1")
             for f in ("packages/types/src/index.ts", "apps/web/a.ts")]
    configs = {f"{c}/packages/types/package.json": '{"name": "@acme/types"}'
               for c in ("copy0", "copy1")}
    r = Resolver.build(files, configs)
    for c in ("copy0", "copy1"):
        assert r.javascript(f"{c}/apps/web/a.ts", "@acme/types") == \
            f"{c}/packages/types/src/index.ts"


def test_subpath_imports_by_the_importers_own_package() -> None:
    files = ["src/analytics/segment.js", "src/server.ts", "src/routes/orders.js",
             "tools/pkg/src/db.ts", "tools/pkg/main.ts", "tools/pkg/dist/x.mjs"]
    configs = {
        "package.json": '{"name": "noodle", "imports": {"#lib/*": "./src/*", '
                        '"#db": {"node": "./src/server.ts"}}}',
        "tools/pkg/package.json": '{"imports": {"#lib/*": "./src/*.ts", '
                                  '"#built": "./dist/db.mjs"}}',
    }
    r = Resolver.build(files, configs)
    assert r.javascript("src/routes/orders.js", "#lib/analytics/segment.js") == \
        "src/analytics/segment.js"
    assert r.javascript("src/routes/orders.js", "#db") == "src/server.ts"
    # the nearest package.json maps the importer's `#` specifiers, even one it shares
    assert r.javascript("tools/pkg/main.ts", "#lib/db") == "tools/pkg/src/db.ts"
    assert r.javascript("tools/pkg/main.ts", "#built") == "tools/pkg/src/db.ts"  # (built)
    assert r.javascript("tools/pkg/main.ts", "#db") is None
    assert r.javascript("src/routes/orders.js", "#nope") is None


def test_discovery_reads_the_projects_package_files_not_its_dependencies(tmp_path) -> None:
    from flowscan.targets import discover

    (tmp_path / "packages" / "a").mkdir(parents=True)
    (tmp_path / "packages" / "a" / "package.json").write_text('{"name": "@x/a"}')
    (tmp_path / "node_modules" / "posthog-node").mkdir(parents=True)
    (tmp_path / "node_modules" / "posthog-node" / "package.json").write_text('{"name": "p"}')
    (tmp_path / "index.ts").write_text("export {}\n")
    found = discover([tmp_path])
    assert sorted(found.tsconfigs) == ["packages/a/package.json"]


@given(st.text("ab/@.*", max_size=7), st.text("ab/@.\n", max_size=9))
def test_a_path_pattern_fits_a_specifier_as_its_regex_would(pattern: str, spec: str) -> None:
    """`_star` matches by the pattern's text around its `*` (a regex built per call was
    two fifths of resolving formbricks' imports); the regex is the reference."""
    m = re.fullmatch(re.escape(pattern).replace(r"\*", "(.*)"), spec)
    assert _star(pattern, spec) == (None if m is None else m.group(1) if m.groups() else "")


def test_files_of_one_directory_share_their_answers() -> None:
    """What a specifier names depends on the importer's directory alone (relative
    paths, the configs and packages around it), so its neighbours reuse the answer."""
    r = Resolver.build(["web/src/a.ts", "web/src/b.ts", "web/src/lib/utils.ts"],
                       {"web/tsconfig.json": '{"compilerOptions": {"paths": '
                                             '{"@/*": ["./src/*"]}}}'})
    assert r.javascript("web/src/a.ts", "@/lib/utils") == "web/src/lib/utils.ts"
    assert r.javascript("web/src/a.ts", "./lib/utils") == "web/src/lib/utils.ts"
    asked = len(r.memo)
    assert r.javascript("web/src/b.ts", "@/lib/utils") == "web/src/lib/utils.ts"
    assert r.javascript("web/src/b.ts", "./lib/utils") == "web/src/lib/utils.ts"
    assert len(r.memo) == asked


def test_configurations_are_read_only_when_a_question_needs_them() -> None:
    """A run whose import questions the cache answers parses no tsconfig at all."""
    files = ["apps/web/lib/db.ts", "apps/web/app/page.tsx", "pkg/x.py"]
    tsconfig = '{"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["./*"]}}}'
    r = Resolver.build(files, {"apps/web/tsconfig.json": tsconfig})
    assert not {"aliases", "py_suffix", "packages", "subpaths"} & set(vars(r))
    assert r.javascript("apps/web/app/page.tsx", "@/lib/db") == "apps/web/lib/db.ts"
    assert r.aliases and r.python("pkg/y.py", "pkg.x") == "pkg/x.py"
    with pytest.raises(AttributeError):
        r.nothing_of_that_name  # noqa: B018

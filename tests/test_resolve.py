"""Import resolution choices that no fixture app pins down alone (analysis/resolve.py)."""

from __future__ import annotations

from flowscan.analysis.resolve import Resolver


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

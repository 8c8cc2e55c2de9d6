"""The HTML data map as a reviewer sees it, in headless Chromium (Debian's package at
/usr/bin/chromium, driven by Playwright; no browser is ever downloaded): the matrix
cells, the vendor filter narrowing the flow table, no console errors, no network."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from flowscan.cli import main

CHROMIUM = os.environ.get("FLOWSCAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"

if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is in the test extra: pip install -e .[test]")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("html")
    assert main(["map", str(DEMO), "--format", "json", "-o", str(out / "map.json")]) == 0
    assert main(["map", "--from", str(out / "map.json"), "--format", "html", "-o",
                 str(out / "map.html")]) == 0
    return out / "map.html", json.loads((out / "map.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def page(report: tuple[Path, dict]):  # type: ignore[no-untyped-def]
    html, _ = report
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page()
        pg.console_errors = []  # type: ignore[attr-defined]
        pg.requests = []  # type: ignore[attr-defined]
        pg.on("console", lambda m: m.type in ("error", "warning")
              and pg.console_errors.append(m.text))  # type: ignore[attr-defined]
        pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))  # type: ignore
        pg.on("request", lambda r: pg.requests.append(r.url))  # type: ignore[attr-defined]
        pg.goto(html.as_uri())
        pg.wait_for_load_state("load")
        yield pg
        browser.close()


def test_matrix_cells(page, report) -> None:  # type: ignore[no-untyped-def]
    _, doc = report
    for vid, row in doc["matrix"].items():
        for cat, cell in row.items():
            td = page.locator(f'#matrix-table td[data-vendor="{vid}"][data-category="{cat}"]')
            assert td.count() == 1
            assert td.get_attribute("data-level") == cell["level"]
            assert td.inner_text().strip() == str(len(cell["fields"]) or 1)
            assert td.is_visible()
    mp = page.locator('#matrix-table td[data-vendor="mixpanel"][data-category="email"]')
    assert "user.email" in (mp.get_attribute("title") or "")
    headers = page.locator("#matrix-table thead th.cat").all_inner_texts()
    assert headers == [c["id"] for c in doc["categories"] if c["vendors"]]


def test_vendor_filter_narrows_the_table(page, report) -> None:  # type: ignore[no-untyped-def]
    _, doc = report
    rows = page.locator("#flow-table tbody tr")
    total = len(doc["flows"])
    assert rows.count() == total
    page.select_option("#vendor-filter", "mixpanel")
    visible = page.locator("#flow-table tbody tr:visible")
    expected = sum(1 for fl in doc["flows"] if fl["vendor"] == "mixpanel")
    assert 0 < expected < total
    assert visible.count() == expected
    assert set(visible.locator("td:first-child").all_inner_texts()) == {"mixpanel"}
    assert page.locator("#flow-count").inner_text() == f"{expected} of {total} flows"
    page.fill("#search", "user.email")
    assert page.locator("#flow-table tbody tr:visible").count() == sum(
        1 for fl in doc["flows"] if fl["vendor"] == "mixpanel" and fl["field"] == "user.email")
    page.fill("#search", "")
    page.select_option("#vendor-filter", "")
    assert page.locator("#flow-table tbody tr:visible").count() == total
    # clicking a matrix cell filters by vendor and category
    page.click('#matrix-table td[data-vendor="sentry"][data-category="ip_address"]')
    assert page.locator("#vendor-filter").input_value() == "sentry"
    assert set(page.locator("#flow-table tbody tr:visible td:nth-child(2)").all_inner_texts()
               ) == {"ip_address"}
    page.select_option("#vendor-filter", "")
    page.select_option("#category-filter", "")


def test_graph_drawn(page, report) -> None:  # type: ignore[no-untyped-def]
    _, doc = report
    vendors = [v for v in doc["vendors"] if v["receivesData"]]
    assert page.locator("#flow-graph .vendor-node").count() == len(vendors)
    assert page.locator("#flow-graph path.edge").count() >= len(vendors)
    assert page.locator("#flow-graph").bounding_box()["height"] > 100


def test_no_console_errors_no_network(page) -> None:  # type: ignore[no-untyped-def]
    assert page.console_errors == []
    assert [u for u in page.requests if not u.startswith("file://")] == []

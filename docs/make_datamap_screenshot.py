"""Regenerate docs/img/datamap-demo.png, the README's screenshot of the HTML data map
of fixtures/demo, with the same headless Chromium the tests use (no download):

    python docs/make_datamap_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from flowscan.cli import main

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars"]


def shoot(out: Path, chromium: str = "/usr/bin/chromium") -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "map.html"
        if main(["map", str(ROOT / "fixtures" / "demo"), "--format", "html", "-o",
                 str(html)]) != 0:
            raise SystemExit("flowscan map failed")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1380})
            page.goto(html.as_uri())
            page.select_option("#vendor-filter", "mixpanel")  # highlights its edges
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(out), full_page=False)
            browser.close()


if __name__ == "__main__":
    shoot(ROOT / "docs" / "img" / "datamap-demo.png", *sys.argv[1:2])

"""Golden files for every data map format, from the hand-built map in datamap_cases
(sorted, relative paths, version pinned). Regenerate after an intended change with
FLOWSCAN_UPDATE_GOLDEN=1 pytest tests/test_mapreport.py, and review the diff."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from flowscan.catalog import Catalog
from flowscan.mapreport import MAP_RENDERERS
from flowscan.mapreport.tabular import CSV_COLUMNS
from tests.datamap_cases import sample_map

GOLDEN = Path(__file__).resolve().parent / "data" / "datamap"
EXT = {"text": "txt", "json": "json", "csv": "csv", "markdown": "md", "html": "html",
       "dot": "dot", "graphml": "graphml"}


@pytest.mark.parametrize("fmt", sorted(MAP_RENDERERS))
def test_golden(fmt: str, catalog: Catalog) -> None:
    out = MAP_RENDERERS[fmt].render(sample_map(catalog))
    path = GOLDEN / f"sample.{EXT[fmt]}"
    if os.environ.get("FLOWSCAN_UPDATE_GOLDEN"):
        path.write_text(out, "utf-8")
    assert out == path.read_text("utf-8"), f"{fmt} output changed (see module docstring)"
    assert "/abs/path" not in out  # relative paths only


def test_rendering_is_deterministic(catalog: Catalog) -> None:
    for fmt, renderer in MAP_RENDERERS.items():
        assert renderer.render(sample_map(catalog)) == renderer.render(sample_map(catalog)), fmt


def test_csv_rows_are_vendor_category_field(catalog: Catalog) -> None:
    rows = list(csv.DictReader(io.StringIO(MAP_RENDERERS["csv"].render(sample_map(catalog)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    keys = [(r["vendor_id"], r["data_category"], r["field"]) for r in rows]
    assert len(keys) == len(set(keys))
    health = next(r for r in rows if r["data_category"] == "health")
    assert health["fideslang_categories"].startswith("user.health")
    assert health["policy_level"] == "error" and health["risk_level"] == "high"
    assert health["sink_locations"] == "app/chat.py:30"
    phone = next(r for r in rows if r["field"] == "user.phone")
    assert phone["policy_level"] == "suppressed" and phone["suppressed"] == "yes"
    config = next(r for r in rows if r["vendor_id"] == "sentry")
    assert config["field"] == "" and config["data_category"] == "ip_address"


def test_graphml_and_dot_are_well_formed(catalog: Catalog) -> None:
    doc = sample_map(catalog)
    root = ET.fromstring(MAP_RENDERERS["graphml"].render(doc))
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:node", ns)) == len(doc["graph"]["nodes"])
    assert len(root.findall(".//g:edge", ns)) == len(doc["graph"]["edges"])
    dot = MAP_RENDERERS["dot"].render(doc)
    assert dot.startswith("digraph ") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == len(doc["graph"]["edges"])
    assert '"sink:app/signup.py:12:5:mixpanel" -> "vendor:mixpanel"' in dot


def test_markdown_has_mermaid_and_escapes(catalog: Catalog) -> None:
    doc = sample_map(catalog)
    doc["flows"][0]["field"] = "a|b"
    md = MAP_RENDERERS["markdown"].render(doc)
    assert "```mermaid\nflowchart LR" in md
    assert "a\\|b" in md and '["a#124;b"]' in md


def test_html_is_self_contained_and_escaped(catalog: Catalog) -> None:
    doc = sample_map(catalog)
    doc["flows"][0]["field"] = "<script>alert(1)</script>"
    html = MAP_RENDERERS["html"].render(doc)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for needle in ("http://", "https://", "src=", "<link", "@import", "url("):
        hits = [ln for ln in html.splitlines() if needle in ln
                and "www.w3.org/2000/svg" not in ln]
        assert not hits, f"external reference {needle!r}: {hits[:1]}"
    json.loads(html.split('id="datamap-summary">', 1)[1].split("</script>", 1)[0])

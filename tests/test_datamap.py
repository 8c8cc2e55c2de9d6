"""The data map and its diff, on a hand-built scan: per-vendor data, risk order,
matrix, manifests flags, policy outcomes, vendor selection, and what a diff reports."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from flowscan.catalog import Catalog
from flowscan.datamap import build_map, select_vendors, to_networkx
from flowscan.mapdiff import diff_maps, failed, render_diff
from flowscan.model import ScanResult
from tests.datamap_cases import DECLARED, MANIFESTS, catalog_for_tests, result, sample_map

SCHEMA = Path(__file__).resolve().parent.parent / "flowscan" / "mapreport" / "datamap.schema.json"


@pytest.fixture()
def doc(catalog: Catalog) -> dict:
    return sample_map(catalog)


def vendor(doc: dict, vid: str) -> dict:
    return next(v for v in doc["vendors"] if v["id"] == vid)


def test_schema_valid(doc: dict) -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_vendors_sorted_by_risk_error_dominates(doc: dict) -> None:
    order = [v["id"] for v in doc["vendors"]]
    assert order == ["openai", "mixpanel", "hubspot", "sentry", "amplitude", "segment"]
    assert vendor(doc, "openai")["risk"] == {"score": 101, "level": "high", "rank": 1}
    # email + phone (warning) + user_id (note); the suppressed phone still counts
    assert vendor(doc, "mixpanel")["risk"]["score"] == 21
    # allowed data is still exposed: sensitivity kept, outcome "none"
    assert vendor(doc, "hubspot")["risk"]["score"] == 20
    assert vendor(doc, "hubspot")["policy"]["level"] == "none"


def test_vendor_data_and_locations(doc: dict) -> None:
    mp = vendor(doc, "mixpanel")
    assert mp["categories"] == ["email", "phone", "user_id"]  # taxonomy order
    assert mp["fields"] == ["user.email", "user.id", "user.phone"]
    assert mp["roles"] == ["identifier", "properties"]
    assert [(s["path"], s["line"]) for s in mp["sinks"]] == [("app/legacy.py", 8),
                                                             ("app/signup.py", 12)]
    assert {(s["path"], s["line"], s["field"]) for s in mp["sources"]} == {
        ("app/legacy.py", 5, "user.phone"), ("app/signup.py", 9, "user.email"),
        ("app/signup.py", 9, "user.id")}
    assert mp["policy"] == {"level": "warning", "rules": ["FS102", "FS103"],
                            "allowedFlows": 0, "suppressedFlows": 1}
    assert mp["declared"] and mp["imported"] and mp["importedIn"] == ["app/legacy.py",
                                                                      "app/signup.py"]


def test_manifest_flags(doc: dict) -> None:
    assert vendor(doc, "hubspot")["flags"] == ["undeclared"]
    assert vendor(doc, "segment")["flags"] == ["unused"]
    assert vendor(doc, "amplitude")["flags"] == ["no-personal-data"]
    assert doc["summary"]["undeclared"] == ["hubspot"]
    assert doc["summary"]["unused"] == ["segment"]


def test_matrix_and_fideslang(doc: dict) -> None:
    assert doc["matrix"]["openai"]["health"] == {
        "level": "error", "suppressed": False, "sensitivity": "error",
        "fields": ["patient.diagnosis"], "flows": 1}
    assert doc["matrix"]["mixpanel"]["phone"]["suppressed"]  # only suppressed flows
    assert doc["matrix"]["mixpanel"]["phone"]["level"] == "none"
    assert doc["matrix"]["sentry"]["ip_address"]["fields"] == []  # SDK configuration
    assert set(doc["matrix"]) == {"openai", "mixpanel", "hubspot", "sentry"}
    email = next(c for c in doc["categories"] if c["id"] == "email")
    assert email["fideslang"] == ["user.contact.email"]
    assert email["vendors"] == ["hubspot", "mixpanel"]
    flow = next(f for f in doc["flows"] if f["field"] == "patient.diagnosis")
    assert flow["fideslang"] and flow["ruleId"] == "FS101" and flow["level"] == "error"


def test_each_flow_judged_alone(catalog: Catalog) -> None:
    # the finding as a whole is `none` (allowed), and so is each of its flows
    doc = sample_map(catalog)
    hub = [f for f in doc["flows"] if f["vendor"] == "hubspot"]
    assert {(f["category"], f["level"], f["allowed"]) for f in hub} == {
        ("email", "none", True), ("name", "none", True)}
    # with the default policy the same flows are warnings
    plain = build_map(result(), catalog, declared=DECLARED, manifests=MANIFESTS)
    assert {f["level"] for f in plain["flows"] if f["vendor"] == "hubspot"} == {"warning"}


def test_graph_chain(doc: dict) -> None:
    g = to_networkx(doc)
    email_src = "source:app/signup.py:9:9:user.email"
    assert g.has_edge("field:user.email", email_src)
    assert g.has_edge(email_src, "transform:app/helpers.py:4:12")
    assert g.has_edge("transform:app/helpers.py:4:12", "sink:app/signup.py:12:5:mixpanel")
    assert g.has_edge("sink:app/signup.py:12:5:mixpanel", "vendor:mixpanel")
    assert g.nodes["vendor:segment"]["kind"] == "vendor"  # declared, receives nothing
    assert g.has_edge("sink:app/__init__.py:5:1:sentry", "vendor:sentry")
    sends = g.edges["sink:app/signup.py:12:5:mixpanel", "vendor:mixpanel"]
    assert sends["categories"] == "email,user_id" and sends["line"] == 12


def test_root_is_a_name_not_a_path(doc: dict) -> None:
    assert doc["root"] == "shop"


def test_select_vendors(doc: dict, catalog: Catalog) -> None:
    one = select_vendors(doc, ["MIXPANEL"])
    assert [v["id"] for v in one["vendors"]] == ["mixpanel"]
    assert {f["vendor"] for f in one["flows"]} == {"mixpanel"}
    assert set(one["matrix"]) == {"mixpanel"}
    assert one["summary"]["flows"] == 3 and one["vendors"][0]["risk"]["rank"] == 1
    assert all(n["id"].startswith(("field:", "source:", "transform:", "sink:", "vendor:m"))
               for n in one["graph"]["nodes"])
    by_name = select_vendors(doc, ["OpenAI"])
    assert [v["id"] for v in by_name["vendors"]] == ["openai"]
    # a catalog vendor the code never uses: an answer, not an error
    none = select_vendors(doc, ["braze"], catalog)
    assert none["vendors"][0]["id"] == "braze" and not none["vendors"][0]["receivesData"]
    with pytest.raises(KeyError):
        select_vendors(doc, ["no-such-vendor"], catalog)


def test_empty_scan(catalog: Catalog) -> None:
    doc = build_map(ScanResult("/x/empty"), catalog)
    assert doc["vendors"] == [] and doc["flows"] == [] and doc["matrix"] == {}
    assert doc["summary"]["vendorsReceivingData"] == 0


# ---------------------------------------------------------------- diff logic


def test_diff_identical_maps_is_empty(doc: dict) -> None:
    d = diff_maps(doc, copy.deepcopy(doc))
    assert not any(d["summary"].values()) and not d["riskChanges"]
    assert "No change" in render_diff(d, "text")
    assert not failed(d, "new-flow")


def test_diff_new_vendor_category_field_and_removed_flow(doc: dict, catalog: Catalog) -> None:
    old = select_vendors(doc, ["mixpanel", "openai", "sentry"])
    old["flows"] = [f for f in old["flows"] if f["category"] != "health"]
    old["flows"].append({**old["flows"][0], "field": "user.nickname", "category": "name",
                         "role": "properties"})
    from flowscan.datamap import derive

    old = derive(old)
    new = copy.deepcopy(doc)
    for f in new["flows"]:  # moved code: same flows on other lines are no change
        f["sink"]["line"] += 40
    new = derive(new)
    d = diff_maps(old, new)
    assert [v["vendor"] for v in d["newVendors"]] == ["hubspot"]
    assert [(e["vendor"], e["category"], e["newVendor"]) for e in d["newCategories"]] == [
        ("hubspot", "email", True), ("hubspot", "name", True), ("openai", "health", False)]
    assert [(e["vendor"], e["category"]) for e in d["removedCategories"]] == [
        ("mixpanel", "name")]
    assert d["newFields"] == []  # the new field is in a new category: listed there
    assert [(e["vendor"], e["field"]) for e in d["removedFlows"]] == [
        ("mixpanel", "user.nickname")]
    assert [r["vendor"] for r in d["riskChanges"]] == ["mixpanel", "openai"]
    assert failed(d, "new-vendor") and failed(d, "new-category") and not failed(d, "never")
    text = render_diff(d, "text")
    assert "HubSpot (hubspot) receives email, name" in text
    assert "OpenAI (openai) now receives health (error)" in text
    md = render_diff(d, "markdown")
    assert "### New vendors" in md and "`patient.diagnosis`" in md
    assert json.loads(render_diff(d, "json"))["summary"]["newVendors"] == 1


def test_diff_new_field_only_trips_field_gate(doc: dict) -> None:
    new = copy.deepcopy(doc)
    extra = next(f for f in new["flows"] if f["field"] == "user.email")
    new["flows"].append({**extra, "field": "user.work_email"})
    from flowscan.datamap import derive

    d = diff_maps(doc, derive(new))
    assert [(e["vendor"], e["field"]) for e in d["newFields"]] == [("mixpanel", "user.work_email")]
    assert not failed(d, "new-category") and failed(d, "new-field") and failed(d, "new-flow")


def test_catalog_for_tests_keeps_rules(catalog: Catalog) -> None:
    assert [r.code for r in catalog_for_tests(catalog).policy.rules] == [
        r.code for r in catalog.policy.rules]

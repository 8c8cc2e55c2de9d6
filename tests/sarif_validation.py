"""Validate SARIF logs against the official SARIF 2.1.0 JSON schema, offline.

Any test that produces SARIF should call `assert_valid_sarif` on it: GitHub code
scanning rejects invalid uploads, and silently drops what it does not understand.
The schema (tests/data/sarif-schema-2.1.0.json, origin in tests/data/README.md) only
has local `#/definitions/...` references, so no network is needed."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@cache
def sarif_validator() -> jsonschema.protocols.Validator:
    """A validator for the draft the schema file declares, with format checks."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sarif_errors(doc: dict[str, Any] | str) -> list[str]:
    """Every schema violation as 'path: message' (empty when valid)."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    errors = sorted(sarif_validator().iter_errors(doc), key=lambda e: e.json_path)
    return [f"{e.json_path}: {e.message}" for e in errors]


def assert_valid_sarif(doc: dict[str, Any] | str) -> None:
    """Fail with every violation listed; also checks SARIF rules the schema cannot
    express that GitHub relies on (ruleIndex and artifact index in range)."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    errors = sarif_errors(doc)
    for r, run in enumerate(doc.get("runs", [])):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        ids = [rule.get("id") for rule in rules]
        artifacts = run.get("artifacts", [])
        for i, res in enumerate(run.get("results", [])):
            where = f"$.runs[{r}].results[{i}]"
            if res.get("ruleId") not in ids:
                errors.append(f"{where}: ruleId {res.get('ruleId')!r} not in rules")
            idx = res.get("ruleIndex")
            if idx is not None and (idx >= len(rules) or ids[idx] != res.get("ruleId")):
                errors.append(f"{where}: ruleIndex {idx} does not name the rule")
            for loc in res.get("locations", []):
                art = loc.get("physicalLocation", {}).get("artifactLocation", {})
                a = art.get("index")
                if a is not None and (
                    a >= len(artifacts) or artifacts[a]["location"]["uri"] != art["uri"]
                ):
                    errors.append(f"{where}: artifact index {a} does not name the file")
    assert not errors, "invalid SARIF:\n" + "\n".join(errors)

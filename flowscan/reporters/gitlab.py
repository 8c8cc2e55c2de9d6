"""GitLab SAST report (schema 15.x) for merge-request security widgets.

Same findings as SARIF: allowed and suppressed ones are left out (GitLab has no
"suppressed in source" state), one vulnerability per finding, identified by its rule
and CWEs. Times come from SOURCE_DATE_EPOCH when set, so CI can make it reproducible.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from flowscan import __version__
from flowscan.model import ScanResult
from flowscan.policy import Policy, is_suppressed
from flowscan.reporters.common import describe, is_reported, prepare

SCHEMA_VERSION = "15.0.7"
SEVERITY = {"error": "High", "warning": "Medium", "note": "Low"}
SCANNER = {"id": "flowscan", "name": "flowscan", "version": __version__,
           "vendor": {"name": "flowscan"}}


class GitLabSastReporter:
    name = "gitlab-sast"

    def render(self, result: ScanResult, policy: Policy, *,
               vendors: Mapping[str, str], **options: Any) -> str:
        stamp = _timestamp()
        seen: Counter[str] = Counter()
        vulns = []
        for f in prepare(result, policy):
            if not is_reported(f) or is_suppressed(f):
                continue
            rule = policy.rule(f.rule_id)
            idents: list[dict[str, Any]] = [{
                "type": "flowscan_rule", "name": f"flowscan {f.rule_id}",
                "value": f.rule_id, **({"url": rule.help_uri} if rule and rule.help_uri else {}),
            }]
            for cwe in rule.cwe if rule else ():
                num = cwe.split("-")[-1]
                idents.append({"type": "cwe", "name": cwe, "value": num,
                               "url": f"https://cwe.mitre.org/data/definitions/{num}.html"})
            n = seen[f.fingerprint]
            seen[f.fingerprint] += 1
            vulns.append({
                "id": f"{f.fingerprint}-{n}" if n else f.fingerprint,
                "name": rule.title if rule else f.rule_id,
                "description": describe(f, vendors),
                "severity": SEVERITY.get(f.level, "Unknown"),
                "solution": rule.fix if rule else "",
                "location": {"file": f.span.path, "start_line": f.span.line,
                             "end_line": max(f.span.end_line, f.span.line)},
                "identifiers": idents,
                "details": {
                    "vendor": {"type": "text", "name": "Vendor", "value": f.vendor},
                    "categories": {"type": "text", "name": "Data categories",
                                   "value": ", ".join(f.categories)},
                    "fields": {"type": "text", "name": "Fields", "value": ", ".join(f.fields)},
                },
            })
        doc = {
            "version": SCHEMA_VERSION,
            "scan": {
                "analyzer": SCANNER, "scanner": SCANNER, "type": "sast",
                "start_time": stamp, "end_time": stamp, "status": "success",
            },
            "vulnerabilities": vulns,
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _timestamp() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    t = int(epoch) if epoch.isdigit() else int(time.time())
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))

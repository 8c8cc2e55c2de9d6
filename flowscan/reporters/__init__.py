"""Reporters turn a decided scan into text, JSON or SARIF. One explicit registry (no
plugin discovery) so `--format` choices and their output are predictable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from flowscan.model import ScanResult
from flowscan.policy import Policy


class Reporter(Protocol):
    """Renders a whole scan. `vendors` maps vendor id -> display name. Findings not
    yet decided (empty `rule_id`/`level`) are decided with `policy`; options a
    reporter does not know are ignored (text: `trace`; json: `stats`; sarif:
    `portable`)."""

    name: str

    def render(self, result: ScanResult, policy: Policy, *,
               vendors: Mapping[str, str], **options: Any) -> str: ...


from flowscan.reporters.gitlab import GitLabSastReporter  # noqa: E402
from flowscan.reporters.json_report import JsonReporter  # noqa: E402
from flowscan.reporters.sarif import SarifReporter  # noqa: E402
from flowscan.reporters.text import TextReporter  # noqa: E402

REPORTERS: dict[str, Reporter] = {
    "text": TextReporter(),
    "json": JsonReporter(),
    "sarif": SarifReporter(),
    "gitlab-sast": GitLabSastReporter(),
}

__all__ = ["REPORTERS", "GitLabSastReporter", "JsonReporter", "Reporter", "SarifReporter",
           "TextReporter"]

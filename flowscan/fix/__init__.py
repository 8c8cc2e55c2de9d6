"""`flowscan fix`: turn findings into reviewed edits (drop the field, pseudonymise it
with the project's sanitiser, or suppress the finding with a reason).

Layout: `base` (shared types and byte-exact edit helpers), `python` (libcst),
`javascript` (tree-sitter byte ranges), `plan` (selection, diff, SARIF fixes, safe
writes), `command` (the CLI flow). Parsers load only when a file is fixed."""

from __future__ import annotations

from typing import Any


def sarif_fixes(result: Any, sanitisers: Any = None,
                taxonomy: Any = None) -> dict[Any, list[dict[str, Any]]]:
    """SARIF `fixes` by (fingerprint, sink span): see plan.sarif_fixes."""
    from flowscan.fix.plan import sarif_fixes as _impl

    return _impl(result, sanitisers, taxonomy)


__all__ = ["sarif_fixes"]

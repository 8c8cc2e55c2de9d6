"""Reports never repeat secrets or personal data written as literals in the scanned
code. The analysis renders expressions as text (`Finding.callee`, `Flow.field`,
`Step.expr`), string keys and values included; a quoted literal there that the taxonomy
classifies (an email address, an API key, a card number) is masked before any reporter
sees it. On by default; `flowscan scan --no-redact` turns it off.

The analysis shortens literals to 20 characters, so a shortened one is also checked as
the start of a longer value: `'sk-proj-abcdefghijkl'` is the head of a key."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from flowscan.model import Finding, Flow, ScanResult, Step

_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`""")
SHORTENED = 20  # flowscan.analysis.frame.expr_text keeps this many characters
# Continuations that complete a shortened head into the shape its category needs.
_TAILS = ("A" * 40, "a.com", ".com", "0" * 16, "@example.com")

Classify = Callable[[str], "str | None"]


def mask(category: str) -> str:
    return f"<redacted {category}>"


def _category(value: str, classify: Classify) -> str | None:
    cat = classify(value)
    if cat is not None or len(value) < SHORTENED:
        return cat
    for tail in _TAILS:  # a shortened literal: could it be the head of one?
        cat = classify(value + tail)
        if cat is not None:
            return cat
    return None


def redact(text: str, classify: Classify) -> str:
    """`text` with each quoted literal that classifies replaced by its mask (quotes
    kept); an unquoted text that classifies as a whole is masked whole."""
    if not text:
        return text
    found = False

    def sub(m: re.Match[str]) -> str:
        nonlocal found
        found = True
        quote, body = m.group(0)[0], m.group(0)[1:-1]
        cat = _category(body, classify)
        return f"{quote}{mask(cat)}{quote}" if cat else m.group(0)

    out = _QUOTED.sub(sub, text)
    if not found:
        cat = classify(text)
        if cat is not None:
            return mask(cat)
    return out


def redact_result(result: ScanResult, classify: Classify) -> ScanResult:
    """A copy of `result` whose finding texts carry no classified literal. Fingerprints
    are computed from the redacted texts, so they never encode a secret either."""
    cache: dict[str, str] = {}

    def r(text: str) -> str:
        out = cache.get(text)
        if out is None:
            out = cache[text] = redact(text, classify)
        return out

    def step(s: Step) -> Step:
        expr = r(s.expr)
        return s if expr == s.expr else dataclasses.replace(s, expr=expr)

    def flow(f: Flow) -> Flow:
        return dataclasses.replace(f, field=r(f.field),
                                   steps=tuple(step(s) for s in f.steps))

    def finding(f: Finding) -> Finding:
        return dataclasses.replace(f, callee=r(f.callee), message=r(f.message),
                                   flows=tuple(flow(fl) for fl in f.flows))

    return dataclasses.replace(result, findings=[finding(f) for f in result.findings])

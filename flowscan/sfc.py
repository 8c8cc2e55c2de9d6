"""Single-file components (`.vue`, `.svelte`): the `<script>` blocks are JavaScript or
TypeScript; everything else (template, style) is blanked to spaces, newlines kept, so
the JS/TS front end parses the scripts at their original lines and columns and every
span maps back to the component unchanged. Templates are not analysed (a call in an
`@click` handler is not seen); the README says so."""

from __future__ import annotations

import re

SFC_EXTENSIONS = (".vue", ".svelte")

_SCRIPT = re.compile(rb"<script\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>(.*?)</script\s*>",
                     re.IGNORECASE | re.DOTALL)
_LANG = re.compile(rb"""\blang\s*=\s*["']?([A-Za-z]+)""", re.IGNORECASE)
_TYPE = re.compile(rb"""\btype\s*=\s*["']?([\w/+.-]+)""", re.IGNORECASE)
_BLANK = bytes(b if b in b"\r\n" else 32 for b in range(256))
_SCRIPT_TYPES = (b"", b"text/javascript", b"application/javascript", b"module",
                 b"text/typescript", b"application/typescript")


def is_sfc(path: str) -> bool:
    return path.lower().endswith(SFC_EXTENSIONS)


def extract(source: bytes) -> tuple[bytes, str] | None:
    """(source with only the script blocks left, front-end name), or None when the
    component has no script. TypeScript wins when any block is TypeScript."""
    keep: list[tuple[int, int]] = []
    language = "javascript"
    for m in _SCRIPT.finditer(source):
        attrs = m.group(1)
        kind = _TYPE.search(attrs)
        if kind and kind.group(1).lower() not in _SCRIPT_TYPES:
            continue  # JSON, templates, ...
        lang = _LANG.search(attrs)
        name = lang.group(1).lower() if lang else b"js"
        if name in (b"ts", b"typescript"):
            language = "typescript" if language != "tsx" else language
        elif name == b"tsx":
            language = "tsx"
        elif name not in (b"js", b"javascript", b"jsx"):
            continue  # coffee, ...: not ours
        keep.append(m.span(2))
    if not keep:
        return None
    out = bytearray(source.translate(_BLANK))
    for start, end in keep:
        out[start:end] = source[start:end]
    return bytes(out), language

"""The modules a JavaScript or TypeScript file imports, read from each import keyword
to the statement or call it starts.

These are the only facts of a JS file not read by a query (queries/*.scm): a few node
steps per keyword cost microseconds, where compiling the import patterns cost 14 ms
for JavaScript and 24-27 ms for TypeScript and TSX, which a pre-commit run paid for
each grammar among its staged files. What counts as an import is what the patterns
said: `import ... from 'm'` and `import 'm'`, `export ... from 'm'`, `require('m')`,
`import('m')` and TypeScript's `import x = require('m')`, each with a string literal."""

from __future__ import annotations

from typing import Any

from flowscan.frontends.base import Parsed, whole_words

WORDS = (b"import", b"export", b"require")


def js_imports(parsed: Parsed) -> tuple[str, ...]:
    src = parsed.source
    root = parsed.tree.root_node
    out: set[str] = set()
    for word in WORDS:
        for at in whole_words(src, word):
            node = root.descendant_for_byte_range(at, at + len(word))
            if node is None or node.start_byte != at or node.end_byte != at + len(word):
                continue  # part of a longer token (a string, a comment, a template)
            for fragment in _module_fragments(node):
                out.add(src[fragment.start_byte : fragment.end_byte].decode("utf-8", "replace"))
    return tuple(sorted(out))


def _module_fragments(keyword: Any) -> list[Any]:
    """The string fragments naming the module that `keyword` (an `import`, `export` or
    `require` node) imports, or none."""
    parent = keyword.parent
    if parent is not None and parent.type == keyword.type:  # `import(...)`: the keyword
        keyword, parent = parent, parent.parent  # token inside the named (import) node
    if parent is None:
        return []
    kind = parent.type
    if kind in ("import_statement", "export_statement", "import_require_clause"):
        return _fragments(parent.child_by_field_name("source"))
    if kind == "call_expression" and keyword.type in ("identifier", "import") and (
            parent.child_by_field_name("function") == keyword):
        args = parent.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_child_count else None
        return _fragments(first)
    return []


def _fragments(node: Any) -> list[Any]:
    if node is None or node.type != "string":
        return []
    return [c for c in node.named_children if c.type == "string_fragment"]

"""Language front ends: a Protocol and an explicit registry. A new language is a
grammar, a ``.scm`` query file, a lowering module and one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from flowscan import ir
from flowscan.frontends.base import Parsed, error_spans, in_code, query_text


class FrontEnd(Protocol):
    name: str
    language: str  # the catalog's language key (rules/vendors/*.yaml)

    def parse(self, source: bytes, path: str) -> Parsed: ...

    def imports(self, parsed: Parsed) -> tuple[str, ...]: ...

    def names(self, parsed: Parsed) -> tuple[set[bytes], set[bytes]]: ...

    def in_code(self, parsed: Parsed, word: bytes) -> bool: ...

    def comments(self, parsed: Parsed) -> dict[int, str]: ...

    def lower(self, parsed: Parsed) -> ir.Module: ...


@dataclass
class TreeSitterFrontEnd:
    """A front end built from a grammar, query files and a lowering function. Grammars
    load on first use so that `flowscan --version` stays instant."""

    name: str
    language: str
    grammar: Callable[[], Any]
    queries: tuple[str, ...]
    lowering: Callable[[Parsed], ir.Module]
    # the modules a file imports, when not read by the `@import` patterns of `queries`
    import_reader: Callable[[Parsed], tuple[str, ...]] | None = None
    _parser: Any = field(default=None, repr=False)

    @cached_property
    def ts_language(self) -> Any:
        from tree_sitter import Language

        return Language(self.grammar())

    @cached_property
    def query(self) -> Any:
        """The error query (`@error`): run only on a tree that has errors."""
        return self._query("error")

    @cached_property
    def import_query(self) -> Any:
        return self._query("import")

    @cached_property
    def identifier_query(self) -> Any:
        return self._query("identifier")

    @cached_property
    def declared_query(self) -> Any:
        return self._query("declared")

    @cached_property
    def comment_query(self) -> Any:
        return self._query("comment")

    def _query(self, capture: str) -> Any:
        """The patterns of the .scm files that capture `@capture...`: each question is
        its own query, so a pass pays only for what it asks (comments are many)."""
        from tree_sitter import Query

        text = "\n".join(query_text(q) for q in self.queries)
        forms = [f for f in top_level_forms(text) if f"@{capture}" in f]
        return Query(self.ts_language, "\n".join(forms) or "(ERROR) @unused")

    def parse(self, source: bytes, path: str) -> Parsed:
        if self._parser is None:
            from tree_sitter import Parser

            self._parser = Parser(self.ts_language)
        tree = self._parser.parse(source)
        return Parsed(tree, source, path, error_spans(tree, lambda: self.query))

    @staticmethod
    def _captures(query: Any, parsed: Parsed) -> dict[str, list[Any]]:
        from tree_sitter import QueryCursor

        return QueryCursor(query).captures(parsed.tree.root_node)

    def imports(self, parsed: Parsed) -> tuple[str, ...]:
        """The modules a file imports: read by `import_reader` (JavaScript's), or by the
        `@import` patterns, run only over the lines that hold an import keyword (a match
        is whole when its statement starts there, however many lines it spans): three
        times cheaper than walking the whole tree."""
        if self.import_reader is not None:
            return self.import_reader(parsed)
        from tree_sitter import QueryCursor

        src = parsed.source
        root = parsed.tree.root_node
        out: set[str] = set()
        for start, end in keyword_lines(src, IMPORT_WORDS.get(self.language, ())):
            cursor = QueryCursor(self.import_query)
            cursor.set_byte_range(start, end)
            for _, found in cursor.matches(root):
                for m in found.get("import.module", ()):
                    module = src[m.start_byte : m.end_byte].decode("utf-8", "replace")
                    out.add(module)
                    for n in found.get("import.name", ()):
                        name = src[n.start_byte : n.end_byte].decode("utf-8", "replace")
                        out.add(module + name if module.endswith(".") else f"{module}.{name}")
        return tuple(sorted(out))

    def names(self, parsed: Parsed) -> tuple[set[bytes], set[bytes]]:
        """The identifiers a file reads and those it binds (declares, imports, takes
        as parameters): for JavaScript's vendor globals, run only when one occurs."""
        src = parsed.source
        read = {src[n.start_byte : n.end_byte] for n in
                self._captures(self.identifier_query, parsed).get("identifier", [])}
        own = {src[n.start_byte : n.end_byte]
               for n in self._captures(self.declared_query, parsed).get("declared", [])
               if not _ambient(n)}
        return read, own

    def in_code(self, parsed: Parsed, word: bytes) -> bool:
        return in_code(parsed.tree, parsed.source, word)

    def comments(self, parsed: Parsed) -> dict[int, str]:
        src = parsed.source
        out: dict[int, str] = {}
        if b"flowscan" not in parsed.source:
            return out
        for n in self._captures(self.comment_query, parsed).get("comment", []):
            text = src[n.start_byte : n.end_byte]
            if b"flowscan" in text:
                out[n.start_point[0] + 1] = text.decode("utf-8", "replace")
        return out

    def lower(self, parsed: Parsed) -> ir.Module:
        module = self.lowering(parsed)
        module.comments = self.comments(parsed)
        return module


# the words every import pattern of a language's queries contains (queries/*.scm)
IMPORT_WORDS = {"python": (b"import",)}


def keyword_lines(src: bytes, words: tuple[bytes, ...], gap: int = 2048
                  ) -> list[tuple[int, int]]:
    """Byte ranges of the lines that contain any of `words`, lines closer than `gap`
    merged: where the statements that use them start."""
    found: list[int] = []
    for word in words:
        i = src.find(word)
        while i >= 0:
            found.append(i)
            i = src.find(word, i + len(word))
    spans: list[tuple[int, int]] = []
    for i in sorted(found):
        start = src.rfind(b"\n", 0, i) + 1
        end = src.find(b"\n", i)
        end = len(src) if end < 0 else end
        if spans and start - spans[-1][1] < gap:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _ambient(node: Any) -> bool:
    """`declare const gtag: Gtag.Gtag` binds nothing: it says the global exists."""
    for _ in range(4):
        node = node.parent
        if node is None:
            return False
        if node.type == "ambient_declaration":
            return True
    return False


def top_level_forms(text: str) -> list[str]:
    """The top-level S-expressions of a query file (comments dropped)."""
    forms: list[str] = []
    depth = 0
    current: list[str] = []
    in_string = False
    for line in text.splitlines():
        if depth == 0 and line.lstrip().startswith(";"):
            continue
        for ch in line:
            if ch == '"' and (not current or current[-1] != "\\"):
                in_string = not in_string
            if not in_string:
                depth += (ch == "(") - (ch == ")")
            current.append(ch)
        current.append("\n")
        if depth == 0 and "".join(current).strip():
            forms.append("".join(current).strip())
            current = []
    return forms


def grammar(package: str) -> Any:
    """A grammar package's compiled module (`_binding`), loaded without the package's
    own `__init__`: that imports importlib.resources, and through it tempfile, shutil
    and the compressors, for query files flowscan does not read (16 ms of a pre-commit
    run, against 0.5). The package itself when its layout is another."""
    import importlib
    import importlib.machinery
    import importlib.util
    import os
    import sys

    name = f"{package}._binding"
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(package)
    for place in (spec.submodule_search_locations or ()) if spec is not None else ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(place, "_binding" + suffix)
            binding = importlib.util.spec_from_file_location(name, path) \
                if os.path.isfile(path) else None
            if binding is None or binding.loader is None:
                continue
            module = importlib.util.module_from_spec(binding)
            binding.loader.exec_module(module)
            sys.modules[name] = module  # (the package, if imported later, takes it)
            return module
    return importlib.import_module(package)


def _python() -> Any:
    return grammar("tree_sitter_python").language()


def _javascript() -> Any:
    return grammar("tree_sitter_javascript").language()


def _typescript() -> Any:
    return grammar("tree_sitter_typescript").language_typescript()


def _tsx() -> Any:
    return grammar("tree_sitter_typescript").language_tsx()


def _lower_python(parsed: Parsed) -> ir.Module:
    from flowscan.frontends.python import lower

    return lower(parsed)


def _lower_js(parsed: Parsed) -> ir.Module:
    from flowscan.frontends.javascript import lower

    return lower(parsed)


def _js_imports(parsed: Parsed) -> tuple[str, ...]:
    from flowscan.frontends.js_imports import js_imports

    return js_imports(parsed)


FRONTENDS: dict[str, FrontEnd] = {
    "python": TreeSitterFrontEnd("python", "python", _python, ("python.scm",), _lower_python),
    "javascript": TreeSitterFrontEnd("javascript", "javascript", _javascript,
                                     ("javascript.scm", "javascript-only.scm"), _lower_js,
                                     _js_imports),
    "typescript": TreeSitterFrontEnd("typescript", "javascript", _typescript,
                                     ("javascript.scm", "typescript.scm"), _lower_js,
                                     _js_imports),
    "tsx": TreeSitterFrontEnd("tsx", "javascript", _tsx,
                              ("javascript.scm", "typescript.scm"), _lower_js, _js_imports),
}

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
}


def frontend_for(path: str) -> FrontEnd | None:
    dot = path.rfind(".")
    return FRONTENDS.get(EXTENSIONS.get(path[dot:].lower(), "")) if dot >= 0 else None

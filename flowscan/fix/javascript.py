"""JavaScript and TypeScript fixes as minimal byte edits on tree-sitter ranges: the
parse only locates nodes; every byte outside an edit stays as written, so no
formatter opinion leaks into the diff. Uses the scanner's grammars (frontends/)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flowscan.fix.base import (
    Edit,
    FileFix,
    FixOptions,
    Lines,
    Outcome,
    apply_edits,
    clean_reason,
    fix_sources,
    remove_item,
    suppression_edits,
)
from flowscan.model import Finding, Flow

CALLS = ("call_expression", "new_expression")
UNSAFE_LINE = ("template_string", "string", "jsx_text", "jsx_element", "jsx_fragment",
               "jsx_opening_element", "jsx_self_closing_element", "jsx_closing_element",
               "regex")


class JavaScriptFixer:
    language = "javascript"

    def fix(self, source: bytes, path: str, findings: Sequence[Finding],
            options: FixOptions) -> FileFix:
        from flowscan.frontends import frontend_for

        outcomes = {f: Outcome() for f in findings}
        fe = frontend_for(path)
        if fe is None:
            for out in outcomes.values():
                out.notes.append(f"no JavaScript/TypeScript grammar for {path}")
            return FileFix(source, outcomes)
        tree = _Tree(source, fe.parse(source, path).tree)
        if options.kind == "suppress":
            new = _suppress(tree, findings, options, outcomes)
        elif options.kind == "drop":
            new = _drop(tree, findings, outcomes)
        else:
            new = _pseudonymise(tree, findings, options, outcomes, path)
        return FileFix(new, outcomes)


class _Tree:
    def __init__(self, source: bytes, tree: Any) -> None:
        self.src = source
        self.lines = Lines(source)
        self.root = tree.root_node

    def node(self, start: int, end: int, types: tuple[str, ...] = ()) -> Any:
        """The outermost node with exactly this range (of one of `types`, if given)."""
        node = self.root.named_descendant_for_byte_range(start, end)
        best = None
        while node is not None and node.start_byte == start and node.end_byte == end:
            if not types or node.type in types:
                best = node
            node = node.parent
        return best

    def sink(self, f: Finding) -> Any:
        start, end = self.lines.span(f.span)
        return self.node(start, end, CALLS)

    def source(self, start: int, end: int, call: Any) -> Any:
        node = self.node(start, end)
        if node is None or not _inside(node, call):
            return None
        return node


FUNCTIONS = ("function_declaration", "function_expression", "arrow_function",
             "method_definition", "generator_function_declaration", "generator_function",
             "function")


def _params(fn: Any, src: bytes) -> set[bytes]:
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is None:
        return set()
    if params.type == "identifier":
        return {src[params.start_byte:params.end_byte]}
    out = set()
    for p in params.named_children:
        p = p.child_by_field_name("pattern") or p
        p = p.child_by_field_name("left") or p
        if p.type == "identifier":
            out.add(src[p.start_byte:p.end_byte])
    return out


def param_uses(tree: _Tree, start: int, end: int, sink: tuple[int, int],
               name_text: str) -> list[tuple[int, int]]:
    """Where the call reads parameter `name_text` of the function at [start, end):
    not shadowed by an inner function, never reassigned or redeclared."""
    fn = tree.node(start, end, FUNCTIONS)
    if fn is None or name_text.encode() not in _params(fn, tree.src):
        return []
    call = tree.node(sink[0], sink[1], CALLS)
    if fn is None or call is None or not _inside(call, fn):
        return []
    src, name = tree.src, name_text.encode()
    for n in _walk(fn):
        target = n.child_by_field_name("name") if n.type == "variable_declarator" else (
            n.child_by_field_name("left") if n.type in (
                "assignment_expression", "augmented_assignment_expression") else None)
        if target is not None and target.type == "identifier" and src_text(src, target) == name:
            return []
    out = []
    for n in _walk(call):
        if n.type not in ("identifier", "shorthand_property_identifier") or \
                src_text(src, n) != name:
            continue
        up, shadowed = n.parent, False
        while up is not None and not _same(up, fn):
            if up.type in FUNCTIONS and name in _params(up, src):
                shadowed = True
            up = up.parent
        if not shadowed:
            out.append((n.start_byte, n.end_byte))
    return sorted(out)


def src_text(src: bytes, node: Any) -> bytes:
    return src[node.start_byte:node.end_byte]


def _inside(node: Any, outer: Any) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte and \
        node != outer


def _same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a.start_byte == b.start_byte and \
        a.end_byte == b.end_byte and a.type == b.type


def _members(obj: Any) -> list[Any]:
    return [c for c in obj.named_children if c.type != "comment"]


# ---------------------------------------------------------------- drop


def _entry(node: Any, call: Any, role: str) -> tuple[Any, Any] | str:
    """The object member that carries `node` inside the sink call, or why none can go."""
    if node.type == "shorthand_property_identifier" and node.parent is not None \
            and node.parent.type == "object":
        return node.parent, node
    child, parent = node, node.parent
    while parent is not None and not _same(child, call):
        if parent.type == "spread_element":
            return "it comes from a ...spread; remove the field before spreading"
        if parent.type == "pair" and _same(parent.child_by_field_name("value"), child) \
                and parent.parent is not None and parent.parent.type == "object":
            return parent.parent, parent
        if parent.type == "arguments" and parent.parent is not None \
                and _same(parent.parent, call):
            n = _members(parent).index(child) + 1 if child in _members(parent) else 0
            return (f"it is argument {n} ({role}) of the call; removing it would change "
                    "the call: use --kind pseudonymise")
        child, parent = parent, parent.parent
    return "no object member carries it"


def _drop(tree: _Tree, findings: Sequence[Finding], outcomes: dict[Finding, Outcome]) -> bytes:
    picked: dict[tuple[int, int], tuple[Any, Any]] = {}
    for f in findings:
        out = outcomes[f]

        def drop(flow: Flow, start: int, end: int, node: Any, call: Any,
                 out: Outcome = out) -> str | None:
            if node is None:
                return "cannot find it inside the call"
            entry = _entry(node, call, flow.role)
            if isinstance(entry, str):
                return f"not dropped: {entry}"
            picked[(entry[1].start_byte, entry[1].end_byte)] = entry
            out.done.append(f"dropped {flow.field}")
            return None

        fix_sources(f, tree, out, lambda s, e, k, n: param_uses(tree, s, e, k, n), drop)
    groups: dict[tuple[int, int], list[Any]] = {}
    for obj, member in picked.values():
        groups.setdefault((obj.start_byte, obj.end_byte), [obj]).append(member)
    src = tree.src
    edits: list[Edit] = []
    for obj, *members in groups.values():
        elements = _members(obj)
        gone = {(m.start_byte, m.end_byte) for m in members}
        ranges = [(e.start_byte, e.end_byte) for e in elements]
        text = src
        for index in sorted((i for i, r in enumerate(ranges) if r in gone), reverse=True):
            items = [r for i, r in enumerate(ranges) if i <= index or r not in gone]
            text = apply_edits(text, remove_item(text, items, index, "javascript"))
        edits.append(_diff_edit(src, text))
    return apply_edits(src, edits)


def _diff_edit(old: bytes, new: bytes) -> Edit:
    p, limit = 0, min(len(old), len(new))
    while p < limit and old[p] == new[p]:
        p += 1
    s = 0
    while s < limit - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    return Edit(p, len(old) - s, new[p:len(new) - s])


# ---------------------------------------------------------------- pseudonymise


def _pseudonymise(tree: _Tree, findings: Sequence[Finding], options: FixOptions,
                  outcomes: dict[Finding, Outcome], path: str) -> bytes:
    sanitiser = options.sanitisers.get("javascript")
    wraps: dict[tuple[int, int], bool] = {}  # range -> is a shorthand member
    src = tree.src
    for f in findings:
        out = outcomes[f]
        if sanitiser is None:
            out.notes.append("no JavaScript sanitiser configured "
                             "(--sanitiser javascript=MODULE:FUNCTION)")
            continue

        def wrap(flow: Flow, start: int, end: int, node: Any, call: Any,
                 out: Outcome = out, name: str = sanitiser.name) -> str | None:
            parent = node.parent if node is not None else None
            if node is None or parent is None or parent.type == "spread_element" or \
                    (parent.type == "pair" and _same(parent.child_by_field_name("key"), node)):
                return "cannot wrap it where it is"
            wraps[(start, end)] = node.type == "shorthand_property_identifier"
            out.done.append(f"pseudonymised {flow.field} with {name}()")
            return None

        fix_sources(f, tree, out, lambda s, e, k, n: param_uses(tree, s, e, k, n), wrap)
    if not wraps or sanitiser is None:
        return src
    fn = sanitiser.name.encode()
    edits: list[Edit] = []
    for (start, end), shorthand in sorted(wraps.items()):
        if any(s <= start and end <= e and (s, e) != (start, end) for s, e in wraps):
            continue  # inside another wrapped value: that one covers it
        text = src[start:end]
        if shorthand:
            edits.append(Edit(start, end, text + b": " + fn + b"(" + text + b")"))
        else:
            edits += [Edit(start, start, fn + b"("), Edit(end, end, b")")]
    edits += _import_edits(tree, sanitiser.module, sanitiser.name, path)
    return apply_edits(src, edits)


def _import_edits(tree: _Tree, module: str, name: str, path: str) -> set[Edit]:
    """Import `name` from `module` unless the file already declares it: into an
    existing import from that module, else after the last import (or directive)."""
    src = tree.src
    imports = [c for c in tree.root.named_children if c.type == "import_statement"]
    for imp in imports:
        for ident in _walk(imp):
            if ident.type in ("identifier", "type_identifier") and \
                    src[ident.start_byte:ident.end_byte] == name.encode():
                return set()
    if _declares(tree, name):
        return set()
    nl = tree.lines.newline()
    quote = b"'"
    semi = b";"
    for imp in imports:
        source = imp.child_by_field_name("source")
        if source is not None:
            quote = src[source.start_byte:source.start_byte + 1]
            semi = b";" if src[imp.end_byte - 1:imp.end_byte] == b";" else b""
            if src[source.start_byte + 1:source.end_byte - 1] == module.encode():
                named = [n for n in _walk(imp) if n.type == "named_imports"]
                specs = [s for s in _walk(imp) if s.type == "import_specifier"]
                if named and specs and not src[imp.start_byte:imp.end_byte].startswith(
                        b"import type"):
                    return {Edit(specs[-1].end_byte, specs[-1].end_byte,
                                 b", " + name.encode())}
    q = quote.decode()
    commonjs = not imports and (path.endswith(".cjs") or re.search(
        rb"(?m)^\s*(?:const|let|var)\s+[^=]+=\s*require\(", src) is not None)
    if commonjs:
        line = f"const {{ {name} }} = require({q}{module}{q})".encode() + semi + nl
    else:
        line = f"import {{ {name} }} from {q}{module}{q}".encode() + semi + nl
    if imports:
        at = tree.lines.line_end(imports[-1].end_byte)
        at = min(at + 1, len(src))
        if at == len(src) and not src.endswith(b"\n"):
            return {Edit(at, at, nl + line.rstrip(b"\r\n"))}
        return {Edit(at, at, line)}
    requires = [c for c in tree.root.named_children if c.type in (
        "lexical_declaration", "variable_declaration") and b"require(" in src_text(src, c)]
    if commonjs and requires:  # after the last top-level require
        at = min(tree.lines.line_end(requires[-1].end_byte) + 1, len(src))
        return {Edit(at, at, line)}
    at = 0
    for child in tree.root.named_children:  # keep 'use client' and friends first
        if child.type == "comment" or (child.type == "expression_statement"
                                       and child.named_child_count == 1
                                       and child.named_children[0].type == "string"):
            at = min(tree.lines.line_end(child.end_byte) + 1, len(src))
            continue
        break
    if src.startswith(b"#!") and at == 0:
        at = min(tree.lines.line_end(0) + 1, len(src))
    return {Edit(at, at, line)}


def _declares(tree: _Tree, name: str) -> bool:
    src, want = tree.src, name.encode()
    for child in tree.root.named_children:
        node = child.child_by_field_name("declaration") if child.type == "export_statement" \
            else child
        if node is None:
            continue
        if node.type in ("function_declaration", "class_declaration",
                         "generator_function_declaration"):
            n = node.child_by_field_name("name")
            if n is not None and src[n.start_byte:n.end_byte] == want:
                return True
        if node.type in ("lexical_declaration", "variable_declaration"):
            for d in node.named_children:
                n = d.child_by_field_name("name")
                if n is not None and want in src[n.start_byte:n.end_byte]:
                    return True
    return False


def _walk(node: Any) -> list[Any]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.named_children))
    return out


# ---------------------------------------------------------------- suppress


def _unsafe(tree: _Tree, offset: int) -> bool:
    """Would a `//` comment at `offset` become text or break a literal? Inside a JSX
    expression container it is code again."""
    node = tree.root.descendant_for_byte_range(offset, offset)
    while node is not None:
        if node.type in ("jsx_expression", "program", "statement_block"):
            return False
        if node.type in UNSAFE_LINE and node.start_byte < offset:
            return True
        if node.type in ("jsx_element", "jsx_fragment"):
            return True
        node = node.parent
    return False


def _suppress(tree: _Tree, findings: Sequence[Finding], options: FixOptions,
              outcomes: dict[Finding, Outcome]) -> bytes:
    lines, src = tree.lines, tree.src
    reason = clean_reason(options.reason)
    above: dict[int, list[Finding]] = {}
    trailing: dict[int, list[Finding]] = {}
    for f in findings:
        line = f.span.line
        start = lines.starts[line - 1]
        text = src[start:lines.line_end(start)]
        first = start + len(text) - len(text.lstrip(b" \t"))
        end = lines.line_end(start)
        if not _unsafe(tree, first):
            above.setdefault(line, []).append(f)
        elif not _unsafe(tree, end):
            trailing.setdefault(line, []).append(f)
        else:
            outcomes[f].notes.append(
                f"line {line} is inside JSX or a multi-line literal; add the comment by hand")
    return suppression_edits(src, lines, "javascript", reason, above, trailing, outcomes,
                             b" ")

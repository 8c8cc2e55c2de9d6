"""Python fixes with libcst: a lossless tree, so every comment and blank line that the
fix does not touch stays as it was. Nodes are found from the scan's byte spans
(`ByteSpanPositionProvider`); pseudonymising is a codemod-style transformer plus
`AddImportsVisitor`, which places the import where the module's imports are."""

from __future__ import annotations

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


class PythonFixer:
    language = "python"

    def fix(self, source: bytes, path: str, findings: Sequence[Finding],
            options: FixOptions) -> FileFix:
        import libcst as cst

        outcomes = {f: Outcome() for f in findings}
        try:
            tree = _Tree(source)
        except (cst.ParserSyntaxError, UnicodeDecodeError, RecursionError) as exc:
            why = f"libcst cannot parse {path}: {str(exc).splitlines()[0]}"
            for out in outcomes.values():
                out.notes.append(why)
            return FileFix(source, outcomes)
        if options.kind == "suppress":
            return FileFix(_suppress(tree, findings, options, outcomes), outcomes)
        if options.kind == "drop":
            return FileFix(_drop(tree, findings, outcomes), outcomes)
        return FileFix(_pseudonymise(tree, findings, options, outcomes), outcomes)


class _Tree:
    """The parsed module with what every fix needs: node spans and parents."""

    def __init__(self, source: bytes) -> None:
        import libcst as cst
        from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper, ParentNodeProvider

        self.src = source
        self.lines = Lines(source)
        self.wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
        self.spans = {n: (s.start, s.start + s.length)
                      for n, s in self.wrapper.resolve(ByteSpanPositionProvider).items()}
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.scopes: Any = None
        self.by_span: dict[tuple[int, int], list[Any]] = {}
        for node, span in self.spans.items():
            self.by_span.setdefault(span, []).append(node)

    def node(self, start: int, end: int, types: tuple[type, ...]) -> Any:
        """The outermost node of one of `types` with exactly this span."""
        found = [n for n in self.by_span.get((start, end), ()) if isinstance(n, types)]
        if not found:
            return None
        best = found[0]
        for n in found[1:]:
            if self._inside(best, n):
                best = n
        return best

    def param_uses(self, start: int, end: int, sink: tuple[int, int],
                   name: str) -> list[tuple[int, int]]:
        """Where the call reads parameter `name` of the function at [start, end), when
        the function never rebinds it (else the value there may not be the parameter's)."""
        import libcst as cst
        from libcst.metadata import ScopeProvider

        fn = self.node(start, end, (cst.FunctionDef, cst.Lambda))
        if fn is None:
            return []
        params = fn.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
        node = next((p.name for p in every if p.name.value == name), None)
        if node is None:
            return []
        if self.scopes is None:
            self.scopes = self.wrapper.resolve(ScopeProvider)
        scope = self.scopes.get(node)
        if scope is None:
            return []
        assignments = list(scope.assignments[node.value])
        if len(assignments) != 1:
            return []
        out = []
        for access in assignments[0].references:
            span = self.spans.get(access.node)
            if span is not None and sink[0] <= span[0] and span[1] <= sink[1]:
                out.append(span)
        return sorted(out)

    def _inside(self, inner: Any, outer: Any) -> bool:
        node = self.parents.get(inner)
        while node is not None:
            if node is outer:
                return True
            node = self.parents.get(node)
        return False

    def sink(self, f: Finding) -> Any:
        import libcst as cst

        start, end = self.lines.span(f.span)
        return self.node(start, end, (cst.Call,))

    def source(self, start: int, end: int, call: Any) -> Any:
        import libcst as cst

        node = self.node(start, end, (cst.BaseExpression,))
        if node is None or not self._inside(node, call):
            return None
        parent = self.parents.get(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return None
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return None
        return node


# ---------------------------------------------------------------- drop


def _entry(tree: _Tree, node: Any, call: Any, role: str) -> tuple[Any, Any] | str:
    """The dict entry or keyword argument that carries `node` inside the sink call, as
    (container, element), or why there is none that can go."""
    import libcst as cst

    child, parent = node, tree.parents.get(node)
    while parent is not None and child is not call:
        if isinstance(parent, cst.StarredDictElement):
            return "it comes from a ** spread; remove the field before spreading"
        if isinstance(parent, cst.DictElement) and child is parent.value:
            return tree.parents[parent], parent
        if isinstance(parent, cst.Arg):
            owner = tree.parents[parent]
            if owner is call:
                if parent.keyword is None:
                    if parent.star:
                        return "it is passed with * or ** unpacking"
                    n = owner.args.index(parent) + 1
                    return (f"it is positional argument {n} ({role}); removing it would "
                            "change the call: use --kind pseudonymise")
                if role == "identifier":
                    return (f"{parent.keyword.value}= identifies the user to the vendor; "
                            "use --kind pseudonymise")
                return owner, parent
            if parent.keyword is not None and _is_dict_call(owner):
                return owner, parent
        child, parent = parent, tree.parents.get(parent)
    return "no dict entry or keyword argument carries it"


def _is_dict_call(call: Any) -> bool:
    import libcst as cst

    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) \
        and call.func.value == "dict"


def _elements(container: Any) -> list[Any]:
    import libcst as cst

    return list(container.args if isinstance(container, cst.Call) else container.elements)


def _drop(tree: _Tree, findings: Sequence[Finding], outcomes: dict[Finding, Outcome]) -> bytes:
    picked: dict[int, tuple[Any, Any]] = {}  # by element identity
    for f in findings:
        out = outcomes[f]

        def drop(flow: Flow, start: int, end: int, node: Any, call: Any,
                 out: Outcome = out) -> str | None:
            if node is None:
                return "cannot find it inside the call"
            entry = _entry(tree, node, call, flow.role)
            if isinstance(entry, str):
                return f"not dropped: {entry}"
            picked[id(entry[1])] = entry
            out.done.append(f"dropped {flow.field}")
            return None

        fix_sources(f, tree, out, tree.param_uses, drop)
    # several elements of one container: remove them one at a time, last first, so
    # that each removal sees its real neighbours
    by_container: dict[int, list[tuple[Any, Any]]] = {}
    for container, element in picked.values():
        by_container.setdefault(id(container), []).append((container, element))
    src = tree.src
    edits: list[Edit] = []
    for group in by_container.values():
        container = group[0][0]
        elements = _elements(container)
        gone = {id(e) for _, e in group}
        text = src
        # remove from the end so earlier spans stay valid on the shrinking text
        for index in sorted((i for i, e in enumerate(elements) if id(e) in gone), reverse=True):
            items = [tree.spans[e] for e in elements]
            items = [items[i] for i in range(len(items))
                     if i <= index or id(elements[i]) not in gone]
            text = apply_edits(text, remove_item(text, items, index, "python"))
        edits.append(_diff_edit(src, text))
    return apply_edits(src, edits)


def _diff_edit(old: bytes, new: bytes) -> Edit:
    """One edit covering where `new` differs from `old`."""
    p = 0
    limit = min(len(old), len(new))
    while p < limit and old[p] == new[p]:
        p += 1
    s = 0
    while s < limit - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    return Edit(p, len(old) - s, new[p:len(new) - s])


# ---------------------------------------------------------------- pseudonymise


def _pseudonymise(tree: _Tree, findings: Sequence[Finding], options: FixOptions,
                  outcomes: dict[Finding, Outcome]) -> bytes:
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor
    from libcst.metadata import GlobalScope, ScopeProvider

    sanitiser = options.sanitisers.get("python")
    targets: set[Any] = set()
    for f in findings:
        out = outcomes[f]
        if sanitiser is None:
            out.notes.append("no Python sanitiser configured (--sanitiser python=MODULE:FUNCTION)")
            continue

        def wrap(flow: Flow, start: int, end: int, node: Any, call: Any,
                 out: Outcome = out, name: str = sanitiser.name) -> str | None:
            if node is None or isinstance(tree.parents.get(node), cst.StarredElement):
                return "cannot wrap it where it is"
            if isinstance(tree.parents.get(node), cst.Arg) and tree.parents[node].star:
                return "it is unpacked with * or **; cannot wrap it"
            targets.add(node)
            out.done.append(f"pseudonymised {flow.field} with {name}()")
            return None

        fix_sources(f, tree, out, tree.param_uses, wrap)
    if not targets or sanitiser is None:
        return tree.src
    # a value inside another wrapped value is covered by that one
    targets = {t for t in targets if not any(tree._inside(t, o) for o in targets)}

    class Wrap(cst.CSTTransformer):
        def on_leave(self, original: Any, updated: Any) -> Any:
            if original in targets:
                return cst.Call(func=cst.Name(sanitiser.name), args=[cst.Arg(updated)])
            return updated

    module = tree.wrapper.module.visit(Wrap())
    scopes = tree.wrapper.resolve(ScopeProvider)
    glob = next((s for s in scopes.values() if isinstance(s, GlobalScope)), None)
    if glob is None or sanitiser.name not in glob:
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, sanitiser.module, sanitiser.name)
        module = AddImportsVisitor(context).transform_module(module)
    return module.bytes


# ---------------------------------------------------------------- suppress


def _suppress(tree: _Tree, findings: Sequence[Finding], options: FixOptions,
              outcomes: dict[Finding, Outcome]) -> bytes:
    import libcst as cst

    lines, src = tree.lines, tree.src
    strings = [span for node, span in tree.spans.items()
               if isinstance(node, (cst.SimpleString, cst.FormattedString))
               and b"\n" in src[span[0]:span[1]]]

    def in_string(offset: int) -> bool:
        return any(s < offset < e for s, e in strings)

    reason = clean_reason(options.reason)
    above: dict[int, list[Finding]] = {}
    trailing: dict[int, list[Finding]] = {}
    for f in findings:
        line = f.span.line
        start = lines.starts[line - 1]
        prev = src[lines.starts[line - 2]:start].rstrip() if line > 1 else b""
        if not in_string(start) and not prev.endswith(b"\\"):
            above.setdefault(line, []).append(f)
        elif not in_string(lines.line_end(start)) and \
                not src[start:lines.line_end(start)].rstrip().endswith(b"\\"):
            trailing.setdefault(line, []).append(f)
        else:
            outcomes[f].notes.append(
                f"line {line} is inside a multi-line string or continuation; "
                "add the comment by hand")
    return suppression_edits(src, lines, "python", reason, above, trailing, outcomes,
                             b"  ")

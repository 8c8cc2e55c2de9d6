"""Which variable a bare assignment inside a JavaScript function writes (mixed into
`JsLowering`): `client = initialize(...)` in a function, with `let client` declared at
the top of the module and not in the function, sets the module's variable, as Python's
`global client` does; its other functions then read the client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.frontends.base import pos_of

# a node kind -> the field holding what it binds (None: the whole node, parameters)
DECLARING = {"variable_declarator": "name", "function_declaration": "name",
             "generator_function_declaration": "name", "class_declaration": "name",
             "formal_parameters": None, "catch_clause": "parameter", "for_in_statement": "left"}
NAMES = {"identifier", "shorthand_property_identifier_pattern"}


class ModuleAssignments:
    if TYPE_CHECKING:
        root: Any
        func_nodes: list[Any]

        def text(self, node: Any) -> str: ...

    def module_target(self, left: Any) -> ir.Target | None:
        """`client = X` in a function, for a `client` the module declares and no
        enclosing function does: the module's variable."""
        if left.type != "identifier" or not self.func_nodes:
            return None
        name = self.text(left)
        if name not in self.module_names() or any(
                name in self.declared_in(fn) for fn in self.func_nodes):
            return None
        pos = pos_of(left)
        return ir.Attr(ir.Name(ir.MODULE_SCOPE, pos), name, pos)

    def module_names(self) -> frozenset[str]:
        found = getattr(self, "_module_names", None)
        if found is None:
            names: set[str] = set()
            for stmt in self.root.named_children:
                if stmt.type == "export_statement":
                    stmt = stmt.child_by_field_name("declaration") or stmt
                if stmt.type in ("lexical_declaration", "variable_declaration"):
                    for decl in stmt.named_children:
                        name = decl.child_by_field_name("name")
                        if name is not None and name.type == "identifier":
                            names.add(self.text(name))
            found = self._module_names = frozenset(names)
        return found

    def declared_in(self, fn: Any) -> frozenset[str]:
        """Every name a function declares (parameters, let/const/var, nested
        declarations, catch parameters): a superset of its own scope is safe here."""
        memo: dict[int, frozenset[str]] = self.__dict__.setdefault("_declared", {})
        found = memo.get(fn.id)
        if found is None:
            names: set[str] = set()
            params = fn.child_by_field_name("parameters") or fn.child_by_field_name(
                "parameter")
            stack = [params] if params is not None else []
            if params is not None and params.type == "identifier":  # x => ...
                names.add(self.text(params))
                stack = []
            body = fn.child_by_field_name("body")
            if body is not None:
                stack.append(body)
            while stack:
                node = stack.pop()
                if node.type in DECLARING:
                    field = DECLARING[node.type]
                    bound = node if field is None else node.child_by_field_name(field)
                    if bound is not None:
                        names |= self.identifiers(bound)
                stack.extend(node.named_children)
            found = memo[fn.id] = frozenset(names)
        return found

    def identifiers(self, node: Any) -> set[str]:
        found: set[str] = set()
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in NAMES:
                found.add(self.text(n))
            stack.extend(n.named_children)
        return found

"""Python front end: tree-sitter-python lowered into ``flowscan.ir``."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flowscan import ir
from flowscan.frontends.base import (
    HEAD_SLICE,
    TAIL_SLICE,
    Lowering,
    Parsed,
    annotation_name,
    boolean_type,
    call_pos,
    masked_split,
    masked_tail,
    operand_chain,
    pos_of,
    string_value,
)
from flowscan.frontends.py_dicts import literal_key_tuples
from flowscan.frontends.py_dicts import unrolled as unroll_dict

LITERALS = {"integer", "float", "true", "false", "none", "ellipsis"}
TRANSPARENT = {"parenthesized_expression", "await", "expression_statement"}


GETTER_DECORATORS = {"property", "cached_property", "functools.cached_property"}
# a model field that holds another model: Django's ForeignKey(Probationer, ...),
# SQLAlchemy's relationship("User")
RELATIONS = {"ForeignKey", "OneToOneField", "ParentalKey", "relationship"}
SIGNAL_SENDER = re.compile(r"\bsender\s*=\s*(?:[A-Za-z_]\w*\.)*([A-Z]\w*)")  # Django signals




class PythonLowering(Lowering):
    current_class: str | None = None
    methods: dict[str, str]
    key_tuples: dict[str, tuple[str, ...]]
    global_names: list[frozenset[str]]  # per function being lowered: its `global` names

    def run(self, parsed: Parsed) -> ir.Module:
        self.methods = {}
        self.global_names = [frozenset()]
        self.key_tuples = literal_key_tuples(self, parsed.tree.root_node)
        body = self.block(parsed.tree.root_node, weak=False)
        return self.module(body)

    # ------------------------------------------------------------ statements

    def block(self, node: Any, weak: bool) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        for child in node.named_children:
            self.stmt(child, weak, out)
        return out

    def stmt(self, node: Any, weak: bool, out: list[ir.Stmt]) -> None:
        t = node.type
        if t == "expression_statement":
            for child in node.named_children:
                self.expr_stmt(child, weak, out)
        elif t == "return_statement":
            value = node.named_children[0] if node.named_child_count else None
            out.append(ir.Return(self.expr(value) if value is not None else ir.LIT))
        elif t == "function_definition":
            self.function(node, out, weak)
        elif t == "class_definition":
            self.klass(node, out, weak)
        elif t == "decorated_definition":
            definition = node.child_by_field_name("definition")
            if definition is not None:
                decorators = [self.expr(d) for dec in node.named_children
                              if dec.type == "decorator" for d in dec.named_children]
                self.stmt(definition, weak, out)
                name = definition.child_by_field_name("name")
                defined = (ir.Name(self.text(name), pos_of(name)),) if name is not None else ()
                for d in reversed(decorators):  # `@register class X`: register(X) runs (its
                    out.append(ir.Eval(ir.Call(d, defined, (), pos_of(node)) if defined
                                       else d))  # binding stays X: most decorators wrap)
        elif t == "import_statement":
            self.import_stmt(node)
        elif t == "import_from_statement":
            self.import_from(node)
        elif t == "if_statement":
            self.if_stmt(node, out)
        elif t in ("for_statement", "while_statement"):
            body: list[ir.Stmt] = []
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                body.append(ir.Assign(self.target(left), ir.Each(self.expr(right)), weak=True))
            cond = node.child_by_field_name("condition")
            if cond is not None:
                self.walrus(cond, body)
                body.append(ir.Eval(self.expr(cond)))
            block = node.child_by_field_name("body")
            if block is not None:
                body.extend(self.block(block, False))
            out.append(ir.Branch((tuple(body),), may_skip=True))
            alternative = node.child_by_field_name("alternative")
            if alternative is not None:
                out.append(ir.Branch((tuple(self.clause_body(alternative)),), may_skip=True))
        elif t == "try_statement":
            self.try_stmt(node, out)
        elif t == "match_statement":
            subject = node.child_by_field_name("subject")
            if subject is not None:
                out.append(ir.Eval(self.expr(subject)))
            body_node = node.child_by_field_name("body")
            clauses = body_node.named_children if body_node is not None else []
            cases = tuple(tuple(self.clause_body(c)) for c in clauses if c.type == "case_clause")
            out.append(ir.Branch(cases, may_skip=True))
        elif t == "with_statement":
            for clause in node.named_children:
                if clause.type == "with_clause":
                    for item in clause.named_children:
                        self.with_item(item, weak, out)
                elif clause.type == "block":
                    out.extend(self.block(clause, weak))
        elif t == "comment":
            return  # comments are read by the comment query (frontends/__init__.py)
        elif t in ("assert_statement", "delete_statement", "raise_statement", "print_statement",
                   "exec_statement"):
            for child in node.named_children:
                out.append(ir.Eval(self.expr(child)))
        elif t in ("pass_statement", "break_statement", "continue_statement", "global_statement",
                   "nonlocal_statement", "future_import_statement", "type_alias_statement"):
            return
        elif t == "block":
            out.extend(self.block(node, weak))
        elif t != "ERROR":
            out.append(ir.Eval(self.expr(node)))

    def clause_body(self, clause: Any) -> list[ir.Stmt]:
        """The statements of an else/elif/except/finally/case clause."""
        out: list[ir.Stmt] = []
        for child in clause.named_children:
            if child.type == "block":
                out.extend(self.block(child, False))
        return out

    def walrus(self, cond: Any, out: list[ir.Stmt]) -> None:
        """`if event := make_event(record):` binds `event` for the body (and after):
        each `:=` in a condition, as an assignment before it (weak unless it is the
        whole condition: `a and (b := f())` may not run)."""
        todo = [(cond, True)]
        while todo:
            node, whole = todo.pop()
            if node.type == "named_expression":
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None and value is not None:
                    out.append(ir.Assign(ir.Name(self.text(name), pos_of(name)),
                                         self.expr(value), weak=not whole))
                continue
            if node.type in ("lambda", "list_comprehension", "set_comprehension",
                             "dictionary_comprehension", "generator_expression"):
                continue
            whole = whole and node.type == "parenthesized_expression"
            todo.extend((c, whole) for c in reversed(node.named_children))

    def if_stmt(self, node: Any, out: list[ir.Stmt]) -> None:
        cond = node.child_by_field_name("condition")
        if cond is not None:
            self.walrus(cond, out)
            out.append(ir.Eval(self.expr(cond)))
        consequence = node.child_by_field_name("consequence")
        blocks = [tuple(self.block(consequence, False)) if consequence is not None else ()]
        has_else = False
        for alt in node.children_by_field_name("alternative"):
            if alt.type == "elif_clause":
                c = alt.child_by_field_name("condition")
                body: list[ir.Stmt] = []
                if c is not None:
                    self.walrus(c, body)
                    body.append(ir.Eval(self.expr(c)))
                cons = alt.child_by_field_name("consequence")
                if cons is not None:
                    body.extend(self.block(cons, False))
                blocks.append(tuple(body))
            else:
                has_else = True
                blocks.append(tuple(self.clause_body(alt)))
        out.append(ir.Branch(tuple(blocks), may_skip=not has_else))

    def try_stmt(self, node: Any, out: list[ir.Stmt]) -> None:
        body_node = node.child_by_field_name("body")
        body = tuple(self.block(body_node, False)) if body_node is not None else ()
        handlers: list[tuple[ir.Stmt, ...]] = []
        orelse: tuple[ir.Stmt, ...] = ()
        final: tuple[ir.Stmt, ...] = ()
        for clause in node.named_children:
            if clause.type in ("except_clause", "except_group_clause"):
                handlers.append(tuple(self.clause_body(clause)))
            elif clause.type == "else_clause":
                orelse = tuple(self.clause_body(clause))
            elif clause.type == "finally_clause":
                final = tuple(self.clause_body(clause))
        out.append(ir.Try(body, tuple(handlers), orelse, final))

    def with_item(self, item: Any, weak: bool, out: list[ir.Stmt]) -> None:
        value = item.child_by_field_name("value")
        if value is None:
            return
        if value.type == "as_pattern":
            inner = value.named_children[0]
            alias = value.child_by_field_name("alias")
            target = (alias.named_children[0]
                      if alias is not None and alias.named_child_count else None)
            if target is not None:
                out.append(ir.Assign(self.target(target), self.expr(inner), weak))
                return
            value = inner
        out.append(ir.Eval(self.expr(value)))

    def expr_stmt(self, node: Any, weak: bool, out: list[ir.Stmt]) -> None:
        t = node.type
        if t == "yield":  # what a generator yields is what `with cm() as x` / `for x in`
            value = node.named_children[-1] if node.named_child_count else None  # receive
            if value is not None and value.type != "from":
                out.append(ir.Return(self.expr(value)))
                return
        if t == "assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right is None:
                return
            if right.type == "assignment":  # a = b = value
                self.expr_stmt(right, weak, out)
                inner = right.child_by_field_name("left")
                value: ir.Expr = self.expr(inner) if inner is not None else ir.LIT
            else:
                value = self.expr(right)
            if left is not None:
                out.append(ir.Assign(self.target(left), value, weak))
        elif t == "augmented_assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                target = self.target(left)
                out.append(ir.Assign(target, ir.Join((self.expr(left), self.expr(right))), weak))
        else:
            out.append(ir.Eval(self.expr(node)))

    def target(self, node: Any) -> ir.Target:
        t = node.type
        if t in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
                 "expression_list"):
            return ir.DSeq(tuple(self.target(c) for c in node.named_children
                                 if c.type != "comment"))
        if t in ("list_splat_pattern", "list_splat", "parenthesized_expression"):
            inner = node.named_children[0] if node.named_child_count else None
            return self.target(inner) if inner is not None else ir.Name("_")
        expr = self.expr(node)
        if isinstance(expr, ir.Name) and expr.id in self.global_names[-1]:
            return ir.Attr(ir.Name(ir.MODULE_SCOPE, expr.pos), expr.id, expr.pos)
        if isinstance(expr, ir.Name | ir.Attr | ir.Index):
            return expr
        return ir.Name("_")

    # ------------------------------------------------------------ definitions

    def params(self, node: Any | None) -> list[ir.Param]:
        params: list[ir.Param] = []
        if node is None:
            return params
        kwonly = False
        for p in node.named_children:
            t = p.type
            if t == "identifier":
                params.append(ir.Param(self.text(p), "kwonly" if kwonly else "pos"))
            elif t == "typed_parameter":
                inner = p.named_children[0]
                if inner.type == "list_splat_pattern":
                    params.append(ir.Param(self.text(inner.named_children[0]), "varargs"))
                    kwonly = True
                elif inner.type == "dictionary_splat_pattern":
                    params.append(ir.Param(self.text(inner.named_children[0]), "kwargs"))
                else:
                    declared = p.child_by_field_name("type")
                    params.append(ir.Param(self.text(inner), "kwonly" if kwonly else "pos",
                                           annotation=annotation_name(self, declared),
                                           boolean=boolean_type(self, declared)))
            elif t in ("default_parameter", "typed_default_parameter"):
                name = p.child_by_field_name("name")
                value = p.child_by_field_name("value")
                declared = p.child_by_field_name("type")
                params.append(ir.Param(
                    self.text(name) if name is not None else "_",
                    "kwonly" if kwonly else "pos",
                    self.expr(value) if value is not None else None,
                    annotation=annotation_name(self, declared),
                    boolean=boolean_type(self, declared),
                ))
            elif t == "list_splat_pattern":
                params.append(ir.Param(self.text(p.named_children[0]), "varargs"))
                kwonly = True
            elif t == "keyword_separator":
                kwonly = True
            elif t == "dictionary_splat_pattern":
                params.append(ir.Param(self.text(p.named_children[0]), "kwargs"))
        return params

    def function(self, node: Any, out: list[ir.Stmt], weak: bool) -> None:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else "<anonymous>"
        fid = self.new_fid(name, node)
        cls = self.current_class
        params = self.params(node.child_by_field_name("parameters"))
        decorators = self.decorators(node)
        sender = next((m.group(1) for d in decorators if d.startswith(("receiver(", "dispatch."))
                       and (m := SIGNAL_SENDER.search(d))), None)
        if sender is not None:  # @receiver(post_save, sender=Prescription): `instance` is one
            params = [replace(p, annotation=sender) if p.name == "instance" and not p.annotation
                      else p for p in params]
        bound = cls is not None and "staticmethod" not in decorators
        getter = cls is not None and bool(decorators & GETTER_DECORATORS)
        self.functions[fid] = placeholder = ir.Function(
            fid, name, tuple(params), (), pos_of(node), cls, bound, self.func_stack[-1], getter,
            bound and "classmethod" in decorators,
            annotation_name(self, node.child_by_field_name("return_type")))
        self.scope.append(name)
        self.func_stack.append(fid)
        saved_class, self.current_class = self.current_class, None
        body_node = node.child_by_field_name("body")
        self.global_names.append(self.declared_global(body_node))
        body = self.block(body_node, weak=False) if body_node is not None else []
        self.global_names.pop()
        self.current_class = saved_class
        self.func_stack.pop()
        self.scope.pop()
        placeholder.body = tuple(body)
        if cls is None:
            out.append(ir.Assign(ir.Name(name), ir.FuncRef(fid), weak))
        else:
            self.methods[name] = fid

    def declared_global(self, body: Any | None) -> frozenset[str]:
        """Names a function's `global` statements declare (not its nested functions')."""
        names: set[str] = set()
        stack = list(body.named_children) if body is not None else []
        while stack:
            n = stack.pop()
            if n.type == "global_statement":
                names |= {self.text(c) for c in n.named_children if c.type == "identifier"}
            elif n.type not in ("function_definition", "class_definition",
                                "decorated_definition", "lambda"):
                stack.extend(n.named_children)
        return frozenset(names)

    def decorators(self, node: Any) -> set[str]:
        parent = node.parent
        if parent is None or parent.type != "decorated_definition":
            return set()
        return {self.text(d).lstrip("@").strip() for d in parent.named_children
                if d.type == "decorator"}

    def related_model(self, node: Any | None) -> str | None:
        """`models.ForeignKey(Probationer, ...)`, `relationship("User")`: the model a
        relation field holds (an "app_label.Model" string names Model)."""
        if node is None or node.type != "call":
            return None
        func = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if func is None or args is None or not args.named_children \
                or self.text(func).rsplit(".", 1)[-1] not in RELATIONS:
            return None
        first = args.named_children[0]
        if first.type in ("identifier", "attribute"):
            target: str | None = self.text(first)
        elif first.type == "string":
            target = string_value(self, first)
        else:
            target = None
        name = target.rsplit(".", 1)[-1] if target else ""
        return name if name[:1].isupper() and name.isidentifier() else None

    def reverse_accessor(self, node: Any | None, model: str) -> str | None:
        """The name a Django relation gives the related model for this one's records:
        `related_name="results"`, else `labresult_set` (not for `+`, which hides it, nor
        SQLAlchemy's relationship, whose backref names are declared on both sides). A
        one-to-one relation's accessor (`user.patient`: one record, not a manager) is
        marked with a leading `=`."""
        if node is None or node.type != "call":
            return None
        func = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        kind = self.text(func).rsplit(".", 1)[-1] if func is not None else ""
        if args is None or kind not in ("ForeignKey", "OneToOneField", "ParentalKey"):
            return None
        single = "=" if kind == "OneToOneField" else ""
        for kw in args.named_children:
            if kw.type == "keyword_argument":
                key, value = kw.child_by_field_name("name"), kw.child_by_field_name("value")
                if key is not None and value is not None and self.text(key) == "related_name":
                    named = string_value(self, value) if value.type == "string" else None
                    return single + named if named and named.isidentifier() else None
        return single + model.lower() if single else f"{model.lower()}_set"

    def klass(self, node: Any, out: list[ir.Stmt], weak: bool) -> None:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else "<class>"
        cid = self.new_fid(name, node)
        supers = node.child_by_field_name("superclasses")
        bases = tuple(self.expr(b) for b in supers.named_children
                      if b.type != "keyword_argument") if supers is not None else ()
        saved = (self.current_class, self.methods)
        self.current_class, self.methods = cid, {}
        self.scope.append(name)
        fields: list[str] = []
        types: dict[str, str] = {}
        body_node = node.child_by_field_name("body")
        class_body: list[ir.Stmt] = []
        if body_node is not None:
            for child in body_node.named_children:
                if child.type == "expression_statement":
                    for a in child.named_children:
                        left = a.child_by_field_name("left") if a.type == "assignment" else None
                        if left is not None and left.type == "identifier":
                            fields.append(self.text(left))
                            right = a.child_by_field_name("right")
                            declared = annotation_name(self, a.child_by_field_name("type")) \
                                or self.related_model(right)
                            if declared:  # applicant: Applicant, owner: Mapped["User"]
                                types[fields[-1]] = declared
                            reverse = self.reverse_accessor(right, name)
                            if declared and reverse:  # patient.results: the LabResults
                                types[f"~{reverse}"] = declared  # (analysis: field_type)
                self.stmt(child, weak, class_body)
        self.scope.pop()
        self.classes[cid] = ir.Class(cid, name, bases, self.methods, tuple(fields),
                                     pos_of(node), types)
        self.current_class, self.methods = saved
        for st in class_body:  # class attributes: `client = Mixpanel(TOKEN)` in the body
            if isinstance(st, ir.Assign) and isinstance(st.target, ir.Name):
                out.append(ir.Assign(ir.Attr(ir.ClassRef(cid), st.target.id), st.value, st.weak))
            elif isinstance(st, ir.Eval):
                out.append(st)
        out.append(ir.Assign(ir.Name(name), ir.ClassRef(cid), weak))

    def lambda_(self, node: Any) -> ir.Expr:
        fid = self.new_fid("<lambda>", node)
        fid = f"{fid}@{node.start_point[0] + 1}:{node.start_point[1] + 1}"
        params = self.params(node.child_by_field_name("parameters"))
        body = node.child_by_field_name("body")
        self.functions[fid] = fn = ir.Function(
            fid, "<lambda>", tuple(params), (), pos_of(node), None, False, self.func_stack[-1]
        )
        self.func_stack.append(fid)
        fn.body = (ir.Return(self.expr(body) if body is not None else ir.LIT),)
        self.func_stack.pop()
        return ir.FuncRef(fid)

    # ------------------------------------------------------------ imports

    def import_stmt(self, node: Any) -> None:
        for child in node.named_children:
            if child.type == "dotted_name":
                module = self.text(child)
                # `import a.b` binds `a`, to the top-level package
                top = module.split(".")[0]
                self.imports.append(ir.Import(top, top, None, pos_of(child)))
                if top != module:
                    self.imports.append(ir.Import(None, module, None, pos_of(child)))
            elif child.type == "aliased_import":
                name, alias = child.child_by_field_name("name"), child.child_by_field_name("alias")
                if name is not None and alias is not None:
                    self.imports.append(ir.Import(self.text(alias), self.text(name), None,
                                                  pos_of(child)))

    def import_from(self, node: Any) -> None:
        module_node = node.child_by_field_name("module_name")
        if module_node is None:
            return
        module = self.text(module_node).replace(" ", "")
        for child in node.named_children:
            if child == module_node:
                continue
            if child.type == "wildcard_import":
                self.imports.append(ir.Import(None, module, "*", pos_of(child)))
            elif child.type == "dotted_name":
                name = self.text(child)
                self.imports.append(ir.Import(name, module, name, pos_of(child)))
            elif child.type == "aliased_import":
                name, alias = child.child_by_field_name("name"), child.child_by_field_name("alias")
                if name is not None and alias is not None:
                    self.imports.append(ir.Import(self.text(alias), module, self.text(name),
                                                  pos_of(child)))

    # ------------------------------------------------------------ expressions

    def _expr(self, node: Any) -> ir.Expr:
        t = node.type
        if t == "identifier":
            return ir.Name(self.text(node), pos_of(node))
        if t == "attribute":
            obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
            return ir.Attr(self.expr(obj), self.text(attr) if attr is not None else "",
                           pos_of(node))
        if t == "call":
            return self.call(node)
        if t == "string":
            return self.string(node)
        if t == "concatenated_string":
            return self.join([self.expr(c) for c in node.named_children])
        if t in LITERALS:
            return ir.TRUE if t == "true" else ir.FALSE if t == "false" else ir.LIT
        if t in TRANSPARENT:
            inner = node.named_children[0] if node.named_child_count else None
            return self.expr(inner)
        if t == "subscript":
            value = node.child_by_field_name("value")
            key = node.child_by_field_name("subscript")
            if value is not None and self.text(value).rsplit(".", 1)[-1] == "Annotated" \
                    and key is not None:  # MessengerDep = Annotated[GuestMessenger,
                return self.expr(key)  # Depends(...)]: an alias of its type (FastAPI)
            obj = self.expr(value)
            if key is not None and key.type == "slice" \
                    and (TAIL_SLICE.fullmatch(self.text(key).removesuffix(":").rstrip())
                         or HEAD_SLICE.fullmatch(self.text(key))) \
                    and (masked := masked_tail(obj, pos_of(node))) is not None:
                return masked  # phone[-3:], postcode[:3]
            if key is not None and (domain := masked_split(obj, self.text(key), pos_of(node))):
                return domain  # email.split("@")[1]
            return ir.Index(obj, self.expr(key), pos_of(node))
        if t == "dictionary":
            return self.dictionary(node)
        if t in ("list", "tuple", "set", "expression_list"):
            return ir.Seq(tuple(self.item(c) for c in node.named_children
                                if c.type != "comment"))
        if t == "binary_operator":
            operands, operators = operand_chain(node, t)
            parts = tuple(self.expr(o) for o in operands)
            if operators & {"+", "%"}:
                return self.join(parts)
            return ir.Op(parts)
        if t == "lambda":
            return self.lambda_(node)
        if t in ("list_splat", "dictionary_splat"):
            return ir.Spread(self.expr(node.named_children[0]))
        if t == "named_expression":
            value = node.child_by_field_name("value")
            return self.expr(value)
        if t in ("comparison_operator", "not_operator"):
            return ir.Test(tuple(self.expr(c) for c in node.named_children))
        if t == "dictionary_comprehension":
            unrolled = unroll_dict(self, node, self.key_tuples)
            if unrolled is not None:
                return unrolled
        if t in ("list_comprehension", "set_comprehension", "generator_expression",
                 "dictionary_comprehension"):
            body = node.named_children[0] if node.named_child_count else None
            clauses: list[tuple[ir.Target, ir.Expr]] = []
            tests: list[ir.Expr] = []
            for clause in node.named_children[1:]:
                if clause.type == "for_in_clause":
                    left = clause.child_by_field_name("left")
                    right = clause.child_by_field_name("right")
                    clauses.append((self.target(left) if left is not None else ir.Name("_"),
                                    self.expr(right)))
                elif clause.type == "if_clause":
                    tests.extend(self.expr(c) for c in clause.named_children)
            elt = self.expr(body)
            return ir.Comp(tuple(clauses), ir.Op((elt, ir.Test(tuple(tests)))) if tests else elt)
        if t == "conditional_expression" and node.named_child_count == 3:  # a if cond else b
            body, cond, other = node.named_children
            return ir.Op((self.expr(body), ir.Test((self.expr(cond),)), self.expr(other)))
        if t in ("conditional_expression", "boolean_operator"):
            return ir.Op(tuple(self.expr(c) for c in node.named_children
                               if c.type != "comparison_operator"))
        return ir.Op(tuple(self.expr(c) for c in node.named_children if c.is_named))

    def item(self, node: Any) -> ir.Expr:
        return self.expr(node)

    def join(self, parts: list[ir.Expr] | tuple[ir.Expr, ...]) -> ir.Expr:
        if all(isinstance(p, ir.Str) for p in parts):
            return ir.Str("".join(p.value for p in parts))  # type: ignore[union-attr]
        return ir.Join(tuple(parts))

    def string(self, node: Any) -> ir.Expr:
        value = string_value(self, node)
        if value is not None:
            return ir.Str(value)
        parts: list[ir.Expr] = []
        for child in node.named_children:
            if child.type == "string_content":
                parts.append(ir.Str(self.text(child)))
            elif child.type == "interpolation":
                inner = child.child_by_field_name("expression")
                parts.append(self.expr(inner))
        return self.join(parts)

    def dictionary(self, node: Any) -> ir.Expr:
        entries: list[tuple[str | ir.Expr | None, ir.Expr]] = []
        for child in node.named_children:
            if child.type == "pair":
                key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                k = self.expr(key)
                entries.append((k.value if isinstance(k, ir.Str) else k, self.expr(value)))
            elif child.type == "dictionary_splat":
                entries.append((None, self.expr(child.named_children[0])))
        return ir.Obj(tuple(entries))

    def call(self, node: Any) -> ir.Expr:
        func = self.expr(node.child_by_field_name("function"))
        args_node = node.child_by_field_name("arguments")
        args: list[ir.Expr] = []
        kwargs: list[tuple[str, ir.Expr]] = []
        if args_node is not None:
            if args_node.type == "generator_expression":
                args.append(self.expr(args_node))
            else:
                for a in args_node.named_children:
                    if a.type == "keyword_argument":
                        name, value = a.child_by_field_name("name"), a.child_by_field_name("value")
                        kwargs.append((self.text(name) if name is not None else "_",
                                       self.expr(value)))
                    elif a.type == "dictionary_splat":
                        kwargs.append(("**", self.expr(a.named_children[0])))
                    elif a.type != "comment":
                        args.append(self.expr(a))
        # str.format: "...".format(x) builds a string from its arguments
        if isinstance(func, ir.Attr) and func.name == "format" and isinstance(func.obj, ir.Str):
            return ir.Join((func.obj, *args, *(v for _, v in kwargs)))
        return ir.Call(func, tuple(args), tuple(kwargs),
                       call_pos(node, node.child_by_field_name("function"), "attribute"))


def lower(parsed: Parsed) -> ir.Module:
    return PythonLowering(parsed, "python").run(parsed)

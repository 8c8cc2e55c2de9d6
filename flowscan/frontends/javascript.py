"""JavaScript and TypeScript front end (one lowering: TS is JS plus types, which are
dropped). tree-sitter-javascript for .js/.jsx/.mjs/.cjs, tree-sitter-typescript for
.ts/.mts/.cts and its TSX grammar for .tsx."""

from __future__ import annotations

import re
from typing import Any

from flowscan import ir
from flowscan.frontends.base import (
    HEAD_CUTS,
    TAIL_SLICE,
    Lowering,
    Parsed,
    annotation_name,
    bound_names,
    call_pos,
    masked_split,
    masked_tail,
    operand_chain,
    pos_of,
    string_value,
)
from flowscan.frontends.js_functions import FunctionsAndClasses
from flowscan.frontends.js_scopes import ModuleAssignments
from flowscan.frontends.jsx_types import TypesAndJsx

LITERALS = {"number", "true", "false", "null", "undefined", "regex", "this_type"}
TRANSPARENT = {
    "parenthesized_expression", "await_expression", "non_null_expression",
    "satisfies_expression", "type_assertion", "expression_statement", "yield_expression",
    "instantiation_expression",  # sql<Row[]>`...`: the tag itself
}
FUNCTIONS = {"function_declaration", "generator_function_declaration", "function_expression",
             "function", "generator_function", "arrow_function"}
DECLARATIONS = {"lexical_declaration", "variable_declaration"}
TYPE_ONLY = {"type_alias_declaration", "interface_declaration", "enum_declaration",
             "ambient_declaration", "abstract_class_declaration", "module", "comment",
             "empty_statement", "debugger_statement", "import_alias", "internal_module"}

# array methods whose first callback parameter is an element of the receiver
ELEMENT_CALLBACKS = frozenset({"map", "forEach", "filter", "find", "findLast", "some",
                               "every", "flatMap", "findIndex", "sort", "toSorted"})

class JsLowering(FunctionsAndClasses, TypesAndJsx, ModuleAssignments, Lowering):
    def run(self, parsed: Parsed) -> ir.Module:
        self.root = parsed.tree.root_node
        self.func_nodes: list[Any] = []  # the functions being lowered, innermost last
        body: list[ir.Stmt] = []
        for child in parsed.tree.root_node.named_children:
            self.stmt(child, False, body)
        return self.module(body)

    # ------------------------------------------------------------ statements

    def stmt(self, node: Any, weak: bool, out: list[ir.Stmt]) -> None:
        t = node.type
        if t == "expression_statement":
            for child in node.named_children:
                self.expr_stmt(child, weak, out)
        elif t in DECLARATIONS:
            for decl in node.named_children:
                if decl.type == "variable_declarator":
                    self.declarator(decl, weak, out)
        elif t in ("function_declaration", "generator_function_declaration"):
            name = node.child_by_field_name("name")
            ref = self.function(node)
            if name is not None:
                out.append(ir.Assign(ir.Name(self.text(name)), ref, weak))
        elif t in ("class_declaration", "abstract_class_declaration"):
            name = node.child_by_field_name("name")
            ref = self.klass(node)
            if name is not None:
                out.append(ir.Assign(ir.Name(self.text(name)), ref, weak))
        elif t in ("interface_declaration", "type_alias_declaration"):
            shape = self.shape(node)
            if shape is not None:
                out.append(ir.Assign(ir.Name(shape.name), ir.ClassRef(shape.cid), weak))
            alias = self.type_alias(node) if shape is None else None
            if alias is not None:
                out.append(alias)
        elif t == "return_statement":
            value = node.named_children[0] if node.named_child_count else None
            out.append(ir.Return(self.expr(value) if value is not None else ir.LIT))
        elif t == "import_statement":
            self.import_stmt(node)
        elif t == "export_statement":
            self.export_stmt(node, weak, out)
        elif t == "statement_block":
            for child in node.named_children:
                self.stmt(child, weak, out)
        elif t == "if_statement":
            self.if_stmt(node, out)
        elif t in ("for_in_statement", "for_statement", "while_statement", "do_statement"):
            body: list[ir.Stmt] = []
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                op = node.child_by_field_name("operator")
                of = op is not None and self.text(op) == "of"  # for...in: the keys
                value = self.expr(right)
                body.append(ir.Assign(self.target(left),
                                      ir.Each(value) if of else ir.Op((value,)), True))
            init = node.child_by_field_name("initializer")
            if init is not None:
                self.stmt(init, False, out)
            for field_name in ("condition", "increment"):
                part = node.child_by_field_name(field_name)
                if part is not None and part.type != "empty_statement":
                    body.append(ir.Eval(self.expr(part)))
            block = node.child_by_field_name("body")
            if block is not None:
                self.stmt(block, False, body)
            out.append(ir.Branch((tuple(body),), may_skip=t != "do_statement"))
        elif t == "try_statement":
            body_node = node.child_by_field_name("body")
            body = []
            if body_node is not None:
                self.stmt(body_node, False, body)
            handlers: list[tuple[ir.Stmt, ...]] = []
            handler = node.child_by_field_name("handler")
            if handler is not None:
                hbody: list[ir.Stmt] = []
                block = handler.child_by_field_name("body")
                if block is not None:
                    self.stmt(block, False, hbody)
                handlers.append(tuple(hbody))
            final: list[ir.Stmt] = []
            finalizer = node.child_by_field_name("finalizer")
            block = finalizer.child_by_field_name("body") if finalizer is not None else None
            if block is not None:
                self.stmt(block, False, final)
            out.append(ir.Try(tuple(body), tuple(handlers), (), tuple(final)))
        elif t == "switch_statement":
            value = node.child_by_field_name("value")
            if value is not None:
                out.append(ir.Eval(self.expr(value)))
            cases: list[tuple[ir.Stmt, ...]] = []
            has_default = False
            switch_body = node.child_by_field_name("body")
            for case in switch_body.named_children if switch_body is not None else ():
                has_default = has_default or case.type == "switch_default"
                block: list[ir.Stmt] = []
                for child in case.children_by_field_name("body"):
                    self.stmt(child, False, block)
                cases.append(tuple(block))
            out.append(ir.Branch(tuple(cases), may_skip=not has_default))
        elif t == "labeled_statement":
            body = node.child_by_field_name("body")
            if body is not None:
                self.stmt(body, weak, out)
        elif t in TYPE_ONLY or t in ("break_statement", "continue_statement"):
            return
        elif t == "throw_statement":
            for child in node.named_children:
                out.append(ir.Eval(self.expr(child)))
        elif t != "ERROR":
            out.append(ir.Eval(self.expr(node)))

    def if_stmt(self, node: Any, out: list[ir.Stmt]) -> None:
        blocks: list[tuple[ir.Stmt, ...]] = []
        may_skip = True
        while node is not None:
            cond = node.child_by_field_name("condition")
            block: list[ir.Stmt] = [ir.Eval(self.expr(cond))] if cond is not None else []
            consequence = node.child_by_field_name("consequence")
            if consequence is not None:
                self.stmt(consequence, False, block)
            blocks.append(tuple(block))
            alternative = node.child_by_field_name("alternative")
            node = None
            if alternative is not None:
                inner = alternative.named_children[0] if alternative.named_child_count else None
                if inner is not None and inner.type == "if_statement":
                    node = inner
                else:
                    may_skip = False
                    block = []
                    for child in alternative.named_children:
                        self.stmt(child, False, block)
                    blocks.append(tuple(block))
        out.append(ir.Branch(tuple(blocks), may_skip))

    def declarator(self, decl: Any, weak: bool, out: list[ir.Stmt]) -> None:
        name, value = decl.child_by_field_name("name"), decl.child_by_field_name("value")
        if name is None or value is None:
            return
        spec = self.require_of(value)
        if spec is not None:
            self.require_binding(name, spec)
            return
        if name.type == "identifier" and value.type in FUNCTIONS:  # `const f = () => ...`
            own = value.child_by_field_name("name")  # is named f, as JavaScript names it
            ref = self.function(value, None if own is not None else self.text(name),
                                props=self.component_props(decl.child_by_field_name("type")))
            out.append(ir.Assign(self.target(name), ref, weak))
            return
        out.append(ir.Assign(self.target(name), self.expr(value), weak))

    def expr_stmt(self, node: Any, weak: bool, out: list[ir.Stmt]) -> None:
        t = node.type
        if t == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                return
            value = self.expr(right)
            ltext = self.text(left)
            if ltext == "module.exports":
                self.exports.append(ir.Export("default", value))
                if isinstance(value, ir.Obj):
                    for key, v in value.entries:
                        if isinstance(key, str):
                            self.exports.append(ir.Export(key, v))
                return
            if ltext.startswith(("module.exports.", "exports.")) \
                    and left.type == "member_expression":
                prop = left.child_by_field_name("property")
                if prop is not None:
                    self.exports.append(ir.Export(self.text(prop), value))
                    return
            out.append(ir.Assign(self.module_target(left) or self.target(left), value, weak))
        elif t == "augmented_assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = node.child_by_field_name("operator")
            if left is not None and right is not None:
                parts = (self.expr(left), self.expr(right))  # `client ??= new PostHog()`:
                either = op is not None and self.text(op) in ("??=", "||=", "&&=")  # either
                out.append(ir.Assign(self.module_target(left) or self.target(left),  # value;
                                     ir.Op(parts) if either else ir.Join(parts), weak))
        elif t == "sequence_expression":
            for child in node.named_children:
                self.expr_stmt(child, weak, out)
        else:
            out.append(ir.Eval(self.expr(node)))

    def target(self, node: Any) -> ir.Target:
        t = node.type
        if t == "shorthand_property_identifier_pattern":  # `{ attributes = [] }`
            return ir.Name(self.text(node), pos_of(node))
        if t == "object_pattern":
            entries: list[tuple[str, ir.Target]] = []
            defaults: list[tuple[str, ir.Expr]] = []
            rest: ir.Target | None = None
            for c in node.named_children:
                if c.type == "shorthand_property_identifier_pattern":
                    entries.append((self.text(c), ir.Name(self.text(c), pos_of(c))))
                elif c.type == "pair_pattern":
                    key, value = c.child_by_field_name("key"), c.child_by_field_name("value")
                    if key is not None and value is not None:
                        entries.append((self.key_text(key), self.target(value)))
                        right = value.child_by_field_name("right") \
                            if value.type == "assignment_pattern" else None
                        if right is not None:  # `{ a: b = x }`
                            defaults.append((self.key_text(key), self.expr(right)))
                elif c.type == "object_assignment_pattern":
                    left, right = c.child_by_field_name("left"), c.child_by_field_name("right")
                    if left is not None:
                        entries.append((self.text(left), self.target(left)))
                        if right is not None:  # `{ stripeClient = stripe }`
                            defaults.append((self.text(left), self.expr(right)))
                elif c.type == "rest_pattern" and c.named_child_count:
                    rest = self.target(c.named_children[0])
            return ir.DObj(tuple(entries), rest, tuple(defaults))
        if t == "array_pattern":
            return ir.DSeq(tuple(self.target(c) for c in node.named_children))
        if t in ("assignment_pattern", "rest_pattern"):
            inner = node.child_by_field_name("left") or (
                node.named_children[0] if node.named_child_count else None)
            return self.target(inner) if inner is not None else ir.Name("_")
        expr = self.expr(node)
        if isinstance(expr, ir.Name | ir.Attr | ir.Index):
            return expr
        return ir.Name("_")

    def key_text(self, key: Any) -> str:
        if key.type == "string":
            return string_value(self, key) or self.text(key)
        return self.text(key)

    # ------------------------------------------------------------ modules

    def require_of(self, value: Any) -> str | None:
        """`require('x')` (possibly awaited `import('x')`) -> 'x'."""
        while value.type in ("await_expression", "parenthesized_expression", "as_expression",
                             "satisfies_expression", "non_null_expression") \
                and value.named_child_count:  # require('./sms') as { sendSms: ... }
            value = value.named_children[0]
        if value.type != "call_expression":
            return None
        func, args = value.child_by_field_name("function"), value.child_by_field_name("arguments")
        if func is None or args is None or self.text(func) not in ("require", "import"):
            return None
        first = args.named_children[0] if args.named_child_count else None
        if first is None or first.type != "string":
            return None
        return string_value(self, first)

    def require_binding(self, name: Any, spec: str) -> None:
        if name.type == "identifier":
            self.imports.append(ir.Import(self.text(name), spec, None, pos_of(name)))
        elif name.type == "object_pattern":
            for c in name.named_children:
                if c.type == "shorthand_property_identifier_pattern":
                    self.imports.append(ir.Import(self.text(c), spec, self.text(c), pos_of(c)))
                elif c.type == "pair_pattern":
                    key, value = c.child_by_field_name("key"), c.child_by_field_name("value")
                    if key is not None and value is not None and value.type == "identifier":
                        self.imports.append(ir.Import(self.text(value), spec,
                                                      self.key_text(key), pos_of(c)))

    def import_stmt(self, node: Any) -> None:
        source = node.child_by_field_name("source")
        spec = string_value(self, source) if source is not None else None
        if spec is None:  # TS `import twilio = require('twilio')`: a CommonJS require
            clause = next((c for c in node.named_children
                           if c.type == "import_require_clause" and c.named_child_count), None)
            source = clause.child_by_field_name("source") if clause is not None else None
            spec = string_value(self, source) if source is not None else None
            if clause is not None and spec is not None:
                self.require_binding(clause.named_children[0], spec)
            return
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for c in clause.named_children:
                if c.type == "identifier":
                    self.imports.append(ir.Import(self.text(c), spec, "default", pos_of(c)))
                elif c.type == "namespace_import" and c.named_child_count:
                    self.imports.append(ir.Import(self.text(c.named_children[-1]), spec, None,
                                                  pos_of(c)))
                elif c.type == "named_imports":
                    for s in c.named_children:
                        if s.type != "import_specifier":
                            continue
                        name, alias = s.child_by_field_name("name"), s.child_by_field_name("alias")
                        if name is None:
                            continue
                        imported = self.key_text(name)
                        local = self.text(alias) if alias is not None else imported
                        self.imports.append(ir.Import(local, spec, imported, pos_of(s)))

    def export_stmt(self, node: Any, weak: bool, out: list[ir.Stmt]) -> None:
        source = node.child_by_field_name("source")
        spec = string_value(self, source) if source is not None else None
        decl = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        is_default = any(c.type == "default" for c in node.children)
        if decl is not None:
            before, imports_before = len(out), len(self.imports)
            self.stmt(decl, weak, out)
            for s in out[before:]:
                if isinstance(s, ir.Assign) and isinstance(s.target, ir.Name):
                    self.exports.append(ir.Export(s.target.id, ir.Name(s.target.id)))
                    if is_default:
                        self.exports.append(ir.Export("default", ir.Name(s.target.id)))
                elif isinstance(s, ir.Assign) and isinstance(s.target, ir.DObj | ir.DSeq):
                    # export const { trackEvent } = helpers: each name it binds
                    self.exports.extend(ir.Export(name, ir.Name(name))
                                        for name in bound_names(s.target))
            for imp in self.imports[imports_before:]:  # export const { sendSms } =
                if imp.local:  # require('./twilio.service'): a re-export
                    self.exports.append(ir.Export(imp.local, module=imp.module,
                                                  imported=imp.name))
            return
        if value is not None:
            self.exports.append(ir.Export("default", self.expr(value)))
            return
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is None:
            if spec is not None:  # export * from './x'  /  export * as ns from './x'
                ns = next((c for c in node.named_children if c.type in ("namespace_export",)), None)
                if ns is not None and ns.named_child_count:
                    self.exports.append(ir.Export(self.key_text(ns.named_children[-1]),
                                                  module=spec, imported=None))
                else:
                    self.exports.append(ir.Export("*", module=spec, imported="*"))
            return
        for s in clause.named_children:
            if s.type != "export_specifier":
                continue
            name, alias = s.child_by_field_name("name"), s.child_by_field_name("alias")
            if name is None:
                continue
            local = self.key_text(name)
            exported = self.key_text(alias) if alias is not None else local
            if spec is not None:
                self.exports.append(ir.Export(exported, module=spec, imported=local))
            else:
                self.exports.append(ir.Export(exported, ir.Name(local)))

    # ------------------------------------------------------------ expressions

    def _expr(self, node: Any) -> ir.Expr:
        t = node.type
        if t in ("identifier", "shorthand_property_identifier"):
            return ir.Name(self.text(node), pos_of(node))
        if t == "this":
            return ir.Name("this", pos_of(node))
        if t == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            return ir.Attr(self.expr(obj), self.text(prop) if prop is not None else "",
                           pos_of(node))
        if t == "subscript_expression":
            obj, index = node.child_by_field_name("object"), node.child_by_field_name("index")
            lowered = self.expr(obj)
            domain = masked_split(lowered, self.text(index), pos_of(node)) \
                if index is not None else None
            return domain or ir.Index(lowered, self.expr(index), pos_of(node))
        if t in ("call_expression", "new_expression"):
            return self.call(node)
        if t == "string":
            value = string_value(self, node)
            return ir.Str(value if value is not None else "")
        if t == "template_string":
            parts: list[ir.Expr] = []
            for c in node.named_children:
                if c.type == "string_fragment":
                    parts.append(ir.Str(self.text(c)))
                elif c.type == "template_substitution" and c.named_child_count:
                    parts.append(self.expr(c.named_children[0]))
            if all(isinstance(p, ir.Str) for p in parts):
                return ir.Str("".join(p.value for p in parts))  # type: ignore[union-attr]
            return ir.Join(tuple(parts))
        if t in LITERALS:
            return ir.TRUE if t == "true" else ir.FALSE if t == "false" else ir.LIT
        if t in TRANSPARENT:
            inner = node.named_children[0] if node.named_child_count else None
            return self.expr(inner)
        if t == "as_expression":
            return self.cast(node)
        if t == "object":
            return self.obj(node)
        if t == "array":
            return ir.Seq(tuple(self.expr(c) for c in node.named_children if c.type != "comment"))
        if t == "spread_element":
            return ir.Spread(self.expr(node.named_children[0] if node.named_child_count else None))
        if t == "binary_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = node.child_by_field_name("operator")
            optext = self.text(op) if op is not None else ""
            if optext in ("==", "===", "!=", "!==", "<", ">", "<=", ">=", "instanceof", "in"):
                return ir.Test((self.expr(left), self.expr(right)))
            operands, operators = operand_chain(node, t)
            parts2 = tuple(self.expr(o) for o in operands)
            return ir.Join(parts2) if "+" in operators else ir.Op(parts2)
        if t in FUNCTIONS:
            return self.function(node)
        if t == "class":
            return self.klass(node)
        if t == "unary_expression":
            return ir.Test(tuple(self.expr(c) for c in node.named_children))
        if t == "ternary_expression":  # the condition decides, it is not the value
            cond = node.child_by_field_name("condition")
            branches = [node.child_by_field_name(f) for f in ("consequence", "alternative")]
            return ir.Op((ir.Test((self.expr(cond),)),
                          *(self.expr(b) for b in branches if b is not None)))
        if t == "assignment_expression":
            right = node.child_by_field_name("right")
            return self.expr(right)
        if t in ("jsx_element", "jsx_self_closing_element"):
            return self.jsx(node)
        return ir.Op(tuple(self.expr(c) for c in node.named_children
                           if c.type not in ("comment", "type_arguments", "type_annotation")))

    def obj(self, node: Any) -> ir.Expr:
        entries: list[tuple[str | ir.Expr | None, ir.Expr]] = []
        for c in node.named_children:
            if c.type == "pair":
                key, value = c.child_by_field_name("key"), c.child_by_field_name("value")
                if key is None:
                    continue
                if key.type == "computed_property_name":
                    k: str | ir.Expr = self.expr(key.named_children[0] if key.named_child_count
                                                 else None)
                    if isinstance(k, ir.Str):
                        k = k.value
                else:
                    k = self.key_text(key)
                entries.append((k, self.expr(value)))
            elif c.type == "shorthand_property_identifier":
                entries.append((self.text(c), ir.Name(self.text(c), pos_of(c))))
            elif c.type == "spread_element" and c.named_child_count:
                entries.append((None, self.expr(c.named_children[0])))
            elif c.type == "method_definition":
                name = c.child_by_field_name("name")
                entries.append((self.text(name) if name is not None else "<method>",
                                self.function(c)))
        return ir.Obj(tuple(entries))

    def call(self, node: Any) -> ir.Expr:
        func_node = node.child_by_field_name("function") or node.child_by_field_name(
            "constructor")
        args_node = node.child_by_field_name("arguments")
        model = self.schema_model(func_node, args_node.named_children) \
            if args_node is not None and node.type == "call_expression" else None
        if model is not None:
            return model
        func = ir.Name("import", pos_of(func_node)) if func_node is not None \
            and func_node.type == "import" else self.expr(func_node)  # import('posthog-js')
        if isinstance(func, ir.Attr) and func.name in ("slice", "substr") \
                and args_node is not None and args_node.type == "arguments" \
                and args_node.named_child_count == 1 \
                and TAIL_SLICE.fullmatch(self.text(args_node.named_children[0])) \
                and (masked := masked_tail(func.obj, pos_of(node))) is not None:
            return masked  # licence.slice(-4) (its receiver lowered once)
        if isinstance(func, ir.Attr) and func.name in HEAD_CUTS \
                and args_node is not None and args_node.type == "arguments" \
                and args_node.named_child_count == 2 \
                and self.text(args_node.named_children[0]).strip() == "0" \
                and self.text(args_node.named_children[1]).strip() in ("1", "2", "3", "4") \
                and (masked := masked_tail(func.obj, pos_of(node))) is not None:
            return masked  # postcode.slice(0, 3): a short prefix
        args: list[ir.Expr] = []
        if args_node is not None:
            if args_node.type == "template_string":  # tagged template
                args.append(self.expr(args_node))
            else:
                args = [self.expr(a) for a in args_node.named_children if a.type != "comment"]
        type_args = node.child_by_field_name("type_arguments")
        types = tuple(name for t in type_args.named_children
                      if (name := annotation_name(self, t))) if type_args is not None else ()
        if isinstance(func, ir.Attr) and (func.name == "pop" and not args or func.name == "at"
                                          and len(args) == 1 and args_node is not None
                                          and self.text(args_node.named_children[0]) == "-1"):
            domain = masked_split(func.obj, "-1", pos_of(node))  # email.split('@').pop()
            if domain is not None:
                return domain
        callbacks = [a.fid for a in args if isinstance(a, ir.FuncRef) and a.fid in self.functions
                     and self.functions[a.fid].name.startswith("<")]
        if callbacks:
            words = route_words(args)
            for fid in callbacks if words else ():
                self.functions[fid].route = words
        if isinstance(func, ir.Attr) and func.name in ELEMENT_CALLBACKS and args \
                and isinstance(args[0], ir.FuncRef) and args[0].fid in self.functions:
            over = func.obj.name if isinstance(func.obj, ir.Attr) else \
                func.obj.id if isinstance(func.obj, ir.Name) else None
            if over is not None and not over.isupper():  # (COUNTRIES: literal data)
                self.functions[args[0].fid].element_of = over  # pharmacies.map((ph) => ...)
        return ir.Call(func, tuple(args), (), call_pos(
            node, node.child_by_field_name("function"), "member_expression"), types)


def route_words(args: list[ir.Expr]) -> str | None:
    """The words a callback is registered with: a route's path and an upload field
    (`'/:id/headshot'`, `upload.single('headshot')`), as one name."""
    found: list[str] = []
    for a in args:
        if isinstance(a, ir.Call) and isinstance(a.func, ir.Attr) \
                and a.func.name in UPLOAD_FIELDS and a.args and isinstance(a.args[0], ir.Str):
            a = a.args[0]  # multer's upload.single('headshot')
        if isinstance(a, ir.Str) and 0 < len(a.value) <= 120:
            found.extend(w for w in re.split(r"[^A-Za-z0-9]+", a.value) if w)
    return "_".join(found) or None


UPLOAD_FIELDS = frozenset({"single", "array"})


def lower(parsed: Parsed) -> ir.Module:
    return JsLowering(parsed, "javascript").run(parsed)


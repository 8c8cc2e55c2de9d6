"""What the JavaScript lowering makes of definitions (mixed into `JsLowering`): functions
and arrow functions with their parameters (patterns, defaults, declared types, a React
component's props type, TypeScript's parameter properties) and classes with their
methods, getters and field initialisers. Apart from javascript.py so that its
statements and expressions read on their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.frontends.base import annotation_name, boolean_type, pos_of

# React and Next.js function component types: `React.FC<Props>` types the props parameter
COMPONENT_TYPES = frozenset({"FC", "FunctionComponent", "VFC", "NextPage", "StatelessComponent"})


class FunctionsAndClasses:
    if TYPE_CHECKING:
        functions: dict[str, ir.Function]
        classes: dict[str, ir.Class]
        scope: list[str]
        func_stack: list[str | None]
        func_nodes: list[Any]

        def text(self, node: Any) -> str: ...
        def expr(self, node: Any) -> ir.Expr: ...
        def new_fid(self, name: str, node: Any) -> str: ...
        def stmt(self, node: Any, weak: bool, out: list[ir.Stmt]) -> None: ...
        def target(self, node: Any) -> ir.Target: ...
        def declared_type(self, member: Any, inline: bool = False) -> str | None: ...

    def params(self, node: Any | None) -> list[ir.Param]:
        params: list[ir.Param] = []
        if node is None:
            return params
        if node.type == "identifier":  # x => ...
            return [ir.Param(self.text(node))]
        for p in node.named_children:
            if p.type in ("required_parameter", "optional_parameter"):
                pattern = p.child_by_field_name("pattern")
                default = p.child_by_field_name("value")
                if pattern is not None:
                    param = self.param(pattern, default)  # ({ member }: { member: Profile }):
                    param.annotation = self.declared_type(p, inline=True) \
                        if pattern.type == "object_pattern" \
                        else annotation_name(self, p.child_by_field_name("type"))  # its shape
                    param.boolean = boolean_type(self, p.child_by_field_name("type"))
                    params.append(param)
            elif p.type not in ("comment", "this"):
                params.append(self.param(p, None))
        return params

    def parameter_properties(self, node: Any | None) -> list[ir.Stmt]:
        """TS `constructor(private readonly client: Analytics)` also assigns
        `this.client = client`: how NestJS and Angular inject their SDK clients."""
        out: list[ir.Stmt] = []
        for p in node.named_children if node is not None else ():
            if p.type not in ("required_parameter", "optional_parameter") or not any(
                    c.type in ("accessibility_modifier", "override_modifier", "readonly")
                    for c in p.children):
                continue
            pattern = p.child_by_field_name("pattern")
            if pattern is not None and pattern.type == "identifier":
                name = self.text(pattern)
                pos = pos_of(pattern)
                out.append(ir.Assign(ir.Attr(ir.Name("this", pos), name, pos), ir.Name(name, pos)))
        return out

    def param(self, pattern: Any, default: Any | None) -> ir.Param:
        t = pattern.type
        dflt = self.expr(default) if default is not None else None
        if t == "identifier":
            return ir.Param(self.text(pattern), "pos", dflt)
        if t == "assignment_pattern":
            left, right = pattern.child_by_field_name("left"), pattern.child_by_field_name("right")
            if left is not None:
                return self.param(left, right)
        if t == "rest_pattern" and pattern.named_child_count:
            return ir.Param(self.text(pattern.named_children[0]), "rest")
        return ir.Param(f"<pattern@{pattern.start_point[0] + 1}>", "pattern", dflt,
                        self.target(pattern))

    def component_props(self, node: Any | None) -> str | None:
        """`const Screen: React.FC<Props> = ({ route }) => ...`: the component's props
        type, which its unannotated first parameter has."""
        generic = next((c for c in node.named_children if c.type == "generic_type"),
                       None) if node is not None else None
        name = generic.child_by_field_name("name") if generic is not None else None
        if name is None or self.text(name).rsplit(".", 1)[-1] not in COMPONENT_TYPES:
            return None
        return annotation_name(self, generic.child_by_field_name("type_arguments"))

    def function(self, node: Any, name: str | None = None, cls: str | None = None,
                 props: str | None = None) -> ir.Expr:
        name_node = node.child_by_field_name("name")
        if name is None:
            name = self.text(name_node) if name_node is not None else "<anonymous>"
        fid = self.new_fid(name, node)
        params_node = node.child_by_field_name("parameters") or node.child_by_field_name(
            "parameter")
        params = self.params(params_node)
        if props is not None and params and params[0].annotation is None:
            params[0].annotation = props
        bound = cls is not None
        if bound:
            params.insert(0, ir.Param("this"))
        fn = ir.Function(fid, name, tuple(params), (), pos_of(node), cls, bound,
                         self.func_stack[-1],
                         returns=annotation_name(self, node.child_by_field_name("return_type")))
        self.functions[fid] = fn
        self.scope.append(name)
        self.func_stack.append(fid)
        self.func_nodes.append(node)
        body = node.child_by_field_name("body")
        stmts: list[ir.Stmt] = self.parameter_properties(params_node) if bound else []
        if body is not None:
            if body.type == "statement_block":
                for child in body.named_children:
                    self.stmt(child, False, stmts)
            else:
                stmts.append(ir.Return(self.expr(body)))
        self.func_stack.pop()
        self.func_nodes.pop()
        self.scope.pop()
        fn.body = tuple(stmts)
        return ir.FuncRef(fid)

    def klass(self, node: Any) -> ir.Expr:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else "<class>"
        cid = self.new_fid(name, node)
        bases: list[ir.Expr] = []
        for c in node.named_children:
            if c.type == "class_heritage":
                for h in c.named_children:
                    if h.type == "extends_clause":
                        value = h.child_by_field_name("value")
                        if value is not None:
                            bases.append(self.expr(value))
                    elif h.type not in ("implements_clause",):
                        bases.append(self.expr(h))
        methods: dict[str, str] = {}
        fields: list[str] = []
        types: dict[str, str] = {}
        init: list[ir.Stmt] = []
        self.scope.append(name)
        body = node.child_by_field_name("body")
        for m in body.named_children if body is not None else ():
            if m.type == "method_definition":
                mname_node = m.child_by_field_name("name")
                mname = self.text(mname_node) if mname_node is not None else "<method>"
                ref = self.function(m, mname, cls=cid)
                if isinstance(ref, ir.FuncRef):
                    methods[mname] = ref.fid
                    if any(c.type == "get" for c in m.children):  # get client() {...}
                        self.functions[ref.fid].getter = True
            elif m.type in ("public_field_definition", "field_definition"):
                prop = m.child_by_field_name("name") or m.child_by_field_name("property")
                value = m.child_by_field_name("value")
                if prop is None:
                    continue
                fname = self.text(prop)
                fields.append(fname)
                declared = self.declared_type(m)
                if declared:
                    types[fname] = declared
                if value is not None:
                    if value.type == "arrow_function":
                        ref = self.function(value, fname, cls=cid)
                        if isinstance(ref, ir.FuncRef):
                            methods[fname] = ref.fid
                    else:
                        init.append(ir.Assign(ir.Attr(ir.Name("this"), fname), self.expr(value)))
        self.scope.pop()
        if init:  # field initialisers run in the constructor
            ctor = methods.get("constructor")
            if ctor is not None:
                fn = self.functions[ctor]
                fn.body = (*init, *fn.body)
            else:
                fid = f"{cid}.constructor"
                self.functions[fid] = ir.Function(fid, "constructor", (ir.Param("this"),),
                                                  tuple(init), pos_of(node), cid, True,
                                                  self.func_stack[-1])
                methods["constructor"] = fid
        self.classes[cid] = ir.Class(cid, name, tuple(bases), methods, tuple(fields),
                                     pos_of(node), types)
        return ir.ClassRef(cid)

"""What the JavaScript lowering knows of TypeScript's types and of JSX (mixed into
`JsLowering`): interfaces and object types as shapes (classes with fields and no code),
type aliases that name a value (`ReturnType<typeof f>`), type assertions, Mongoose
schemas as the shapes of their models, and JSX elements as calls of their component
with its props."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowscan import ir
from flowscan.frontends.base import annotation_name, pos_of


class TypesAndJsx:
    if TYPE_CHECKING:
        classes: dict[str, ir.Class]
        root: Any  # the file's syntax tree

        def text(self, node: Any) -> str: ...
        def expr(self, node: Any) -> ir.Expr: ...
        def new_fid(self, name: str, node: Any) -> str: ...

    def cast(self, node: Any) -> ir.Expr:
        """`x as Attendee` or `(await req.json()) as { attendee: Attendee }`: the value,
        of the declared type (an inline object type is an anonymous shape)."""
        value = self.expr(node.named_children[0] if node.named_child_count else None)
        declared = node.named_children[-1] if node.named_child_count > 1 else None
        if declared is None:
            return value
        if declared.type == "object_type":
            shape = self.shape_of(declared, "<cast>", node)
            return ir.Typed(value, ir.ClassRef(shape.cid)) if shape.fields else value
        name = annotation_name(self, declared)
        if name is None or "." in name:
            return value
        return ir.Typed(value, ir.Name(name, pos_of(declared)))

    def shape(self, node: Any) -> ir.Class | None:
        """`interface Patron { id: string; email: string }` (or `type Patron = {...}`):
        a class with fields and no code, so that `patron: Patron` is known to be a
        person's record, as a DTO class would be."""
        name_node = node.child_by_field_name("name")
        body = node.child_by_field_name("body") or node.child_by_field_name("value")
        if name_node is None or body is None:
            return None
        if body.type in ("interface_body", "object_type"):
            return self.shape_of(body, self.text(name_node), node)
        if body.type not in ("intersection_type", "generic_type"):
            return None
        fields: list[str] = []  # `Pick<Applicant, 'email' | 'firstName'> & {start: string}`
        types: dict[str, str] = {}
        bases: list[ir.Expr] = []
        self.composed(body, fields, types, bases)
        if not fields and not bases:
            return None
        return self.shape_class(self.text(name_node), node, tuple(bases), fields, types)

    def composed(self, t: Any, fields: list[str], types: dict[str, str],
                 bases: list[ir.Expr]) -> None:
        """The fields of a composed type: intersections, object types, the named types
        they include (as bases), `Pick<T, 'a' | 'b'>` (those keys), `Partial<T>`,
        `Required<T>` and `Readonly<T>` (T's). `Omit<T, ...>` is left out: it names
        what is not there, and a base would bring it back."""
        if t.type == "intersection_type":
            for c in t.named_children:
                self.composed(c, fields, types, bases)
        elif t.type == "object_type":
            own, own_types = self.object_fields(t)
            fields.extend(own)
            types.update(own_types)
        elif t.type in ("type_identifier", "nested_type_identifier"):
            name = annotation_name(self, t)
            if name:
                bases.append(ir.Name(name, pos_of(t)))
        elif t.type == "generic_type":
            name = t.child_by_field_name("name")
            args = t.child_by_field_name("type_arguments")
            wrapper = self.text(name) if name is not None else ""
            given = args.named_children if args is not None else []
            if wrapper in ("Partial", "Required", "Readonly") and given:
                self.composed(given[0], fields, types, bases)
            elif wrapper == "Pick" and len(given) == 2:
                keys, stack = [], [given[1]]
                while stack:  # 'a' | 'b' | 'c' nests to the left
                    k = stack.pop()
                    if k.type == "literal_type":
                        keys.append(self.text(k).strip("'\"`"))
                    elif k.type == "union_type":
                        stack.extend(reversed(k.named_children))
                fields.extend(keys)

    def shape_of(self, body: Any, name: str, node: Any) -> ir.Class:
        fields, types = self.object_fields(body)
        bases = tuple(ir.Name(base, pos_of(t)) for c in node.named_children  # extends A, B
                      if c.type == "extends_type_clause" for t in c.named_children
                      if (base := annotation_name(self, t)))
        return self.shape_class(name, node, bases, fields, types)

    def shape_class(self, name: str, node: Any, bases: tuple[ir.Expr, ...],
                    fields: list[str], types: dict[str, str]) -> ir.Class:
        """A class with fields and no code, declared at `node`."""
        cid = self.new_fid(name, node)
        self.classes[cid] = ir.Class(cid, name, bases, {}, tuple(fields), pos_of(node), types)
        return self.classes[cid]

    def object_fields(self, body: Any) -> tuple[list[str], dict[str, str]]:
        fields: list[str] = []
        types: dict[str, str] = {}
        for m in body.named_children:
            prop = m.child_by_field_name("name") if m.type == "property_signature" else None
            if prop is not None:
                fields.append(self.text(prop))
                declared = self.declared_type(m)
                if declared:
                    types[fields[-1]] = declared
        return fields, types

    def type_alias(self, node: Any) -> ir.Assign | None:
        """`type Amp = ReturnType<typeof createInstance>` (what the call returns),
        `InstanceType<typeof PostHog>` (an instance), `typeof client` (that value): a
        parameter or field of that type holds it."""
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None:
            return None
        text = self.text(value).replace(" ", "")
        for wrapper, call in (("ReturnType<typeof", True), ("InstanceType<typeof", True),
                              ("typeof", False)):
            if text.startswith(wrapper) and (not call or text.endswith(">")):
                inner = text[len(wrapper):].rstrip(">") if call else text[len(wrapper):]
                if not inner or not all(part.isidentifier() for part in inner.split(".")):
                    return None
                target: ir.Expr = ir.Name(inner.split(".")[0], pos_of(value))
                for part in inner.split(".")[1:]:
                    target = ir.Attr(target, part, pos_of(value))
                return ir.Assign(ir.Name(self.text(name), pos_of(name)),
                                 ir.Call(target, (), (), pos_of(value)) if call else target)
        return None

    def schema_model(self, func: Any, args: list[Any]) -> ir.Expr | None:
        """`mongoose.model('Translator', translatorSchema)`: a class named Translator
        with the schema's fields (`ref: 'Client'` gives a field's class), as a model
        class declared in code would be; its statics (`findById`) answer instances."""
        if len(args) < 2 or args[0].type != "string" or func is None \
                or func.text.rsplit(b".", 1)[-1] != b"model":  # (cheap tests first: every
            return None                                     # call of a lowered file)
        name = self.text(args[0]).strip("'\"`")
        schema = args[1]
        if schema.type == "identifier":
            schema = self.module_schemas().get(self.text(schema))
        fields_node = schema_fields(schema) if schema is not None else None
        if not name.isidentifier() or fields_node is None:
            return None
        fields: list[str] = ["_id"]  # every Mongoose document has one
        types: dict[str, str] = {}
        for pair in fields_node.named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            if key is None:
                continue
            fields.append(self.text(key).strip("'\""))
            value = pair.child_by_field_name("value")
            while value is not None and value.type == "array" and value.named_child_count:
                value = value.named_children[0]  # [{ type: ObjectId, ref: 'Job' }]
            ref = self.schema_ref(value) if value is not None else None
            nested = self.subdocument(name, fields[-1], value) if not ref else None
            if ref or nested:  # (a nested path `geo: { lat: Number, lng: Number }` is a
                types[fields[-1]] = ref or nested  # record of its own: its fields speak)
        return ir.ClassRef(self.shape_class(name, args[0], (), fields, types).cid)

    def subdocument(self, model: str, field: str, value: Any | None) -> str | None:
        """The class of a schema's nested path (an object of paths, not a type
        declaration such as `{ type: String, required: true }`), by its id."""
        if value is None or value.type != "object":
            return None
        keys = [self.text(k).strip("'\"") for pair in value.named_children
                if pair.type == "pair" and (k := pair.child_by_field_name("key")) is not None]
        if not keys or "type" in keys or "ref" in keys:
            return None
        return self.shape_class(f"{model}.{field}", value, (), keys, {}).cid

    def schema_ref(self, value: Any) -> str | None:
        if value.type != "object":
            return None
        for pair in value.named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            if key is not None and self.text(key) == "ref":
                ref = pair.child_by_field_name("value")
                if ref is not None and ref.type == "string":
                    return self.text(ref).strip("'\"`")
        return None

    def module_schemas(self) -> dict[str, Any]:
        """Module-level `const xSchema = new Schema({...})`, by name (once per file)."""
        found = getattr(self, "_schemas", None)
        if found is None:
            found = self._schemas = {}
            for stmt in self.root.named_children:
                if stmt.type == "export_statement":
                    stmt = stmt.child_by_field_name("declaration") or stmt
                if stmt.type not in ("lexical_declaration", "variable_declaration"):
                    continue
                for decl in stmt.named_children:
                    name, value = (decl.child_by_field_name("name"),
                                   decl.child_by_field_name("value"))
                    if name is not None and value is not None and schema_fields(value):
                        found[self.text(name)] = value
        return found

    def declared_type(self, member: Any, inline: bool = False) -> str | None:
        """`partner: Learner` (or `Learner | null`, `Array<Learner>`): the class named;
        `reporter: Pick<Reporter, 'name' | 'email'>`: a shape of those fields (its class
        id: ir.Class.types)."""
        annotation = next((c for c in member.named_children if c.type == "type_annotation"),
                          None)
        inner = annotation.named_children[0] if annotation is not None \
            and annotation.named_child_count else None
        if inner is not None and (inner.type == "intersection_type" or (
                inline and inner.type == "object_type") or (
                inner.type == "generic_type" and (name := inner.child_by_field_name("name"))
                is not None and self.text(name) in ("Pick", "Partial", "Required", "Readonly"))):
            fields: list[str] = []
            types: dict[str, str] = {}
            bases: list[ir.Expr] = []
            self.composed(inner, fields, types, bases)
            if fields or bases:
                name = "<props>" if inner.type == "object_type" else annotation_name(self, inner)
                return self.shape_class(name or "<type>", inner,  # (named as its T; an
                                        tuple(bases), fields, types).cid  # inline shape, not)
        return annotation_name(self, annotation)

    def jsx(self, node: Any) -> ir.Expr:
        """`<Tag a={x}>kids</Tag>` calls Tag with its props (React.createElement): a
        component gets what it is given, an SDK component's callbacks get its objects.
        An intrinsic element (`<div>`) is only the values it holds."""
        opening = node.child_by_field_name("open_tag") if node.type == "jsx_element" else node
        if opening is None:
            return ir.LIT
        entries: list[tuple[str | ir.Expr | None, ir.Expr]] = []
        for c in opening.children_by_field_name("attribute"):
            if c.type == "jsx_attribute" and c.named_child_count:
                value = c.named_children[1] if c.named_child_count > 1 else None
                entries.append((self.text(c.named_children[0]),
                                self.jsx_value(value) if value is not None else ir.TRUE))
            elif c.type == "jsx_expression" and c.named_child_count \
                    and c.named_children[0].type == "spread_element":
                spread = c.named_children[0]
                entries.append((None, self.expr(spread.named_children[0]
                                                if spread.named_child_count else None)))
        kids = tuple(self.jsx_value(c) for c in node.named_children
                     if c.type in ("jsx_expression", "jsx_element", "jsx_self_closing_element"))
        if kids:
            entries.append(("children", kids[0] if len(kids) == 1 else ir.Seq(kids)))
        name = opening.child_by_field_name("name")
        if name is None or name.type == "jsx_namespace_name" or (
                name.type == "identifier" and not self.text(name)[:1].isupper()):
            return ir.Op(tuple(v for _, v in entries))
        return ir.Call(self.expr(name), (ir.Obj(tuple(entries)),), (), pos_of(node))

    def jsx_value(self, node: Any) -> ir.Expr:
        if node.type == "jsx_expression":
            inner = [c for c in node.named_children if c.type != "comment"]
            return self.expr(inner[0]) if inner else ir.LIT
        return self.expr(node)


def schema_fields(node: Any) -> Any | None:
    """The object literal of `new Schema({...})` / `new mongoose.Schema<T>({...})`."""
    if node.type != "new_expression":
        return None
    ctor = node.child_by_field_name("constructor")
    args = node.child_by_field_name("arguments")
    if ctor is None or args is None or not args.named_child_count or not (
            ctor.type in ("identifier", "member_expression")
            and ctor.text.split(b".")[-1] == b"Schema"):
        return None
    first = args.named_children[0]
    return first if first.type == "object" else None

"""What every tree-sitter front end shares: parsing with recovery, error spans, the
``.scm`` import query, and the bookkeeping of lowering a tree into ``flowscan.ir``."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import cache
from typing import Any

from flowscan import ir

MAX_DEPTH = 120  # deeper expressions are summarised: deeper IR would not even pickle


@dataclass(slots=True)
class Parsed:
    tree: Any  # tree_sitter.Tree
    source: bytes
    path: str
    errors: tuple[tuple[int, int, int, int], ...]


QUERIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "queries")


@cache
def query_text(name: str) -> str:
    """A query file beside this module, read as the catalog reads the rules (by path:
    importlib.resources, with tempfile and shutil, cost a pre-commit run 13 ms)."""
    with open(os.path.join(QUERIES, name), encoding="utf-8") as f:
        return f.read()


def error_spans(tree: Any, query: Callable[[], Any], limit: int = 50) -> tuple[ir.Pos, ...]:
    """Where tree-sitter had to recover; cheap when the tree is clean (the error query,
    `query()`, is compiled only then: a pre-commit run on clean files never builds it)."""
    root = tree.root_node
    if not root.has_error:
        return ()
    from tree_sitter import QueryCursor

    spans: list[ir.Pos] = []
    for node in QueryCursor(query()).captures(root).get("error", [])[:limit]:
        spans.append(pos_of(node))
    if not spans:  # only MISSING nodes: report the whole file as recovered
        spans.append((1, 1, root.end_point[0] + 1, root.end_point[1] + 1))
    return tuple(sorted(spans))


PROSE = frozenset({"comment", "html_comment"})  # node types that hold prose, not code
STRINGS = frozenset({"string", "template_string", "concatenated_string"})
WORD_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
URL_END = frozenset(b" \t\r\n'\"`<>()[]{},;")  # what a URL in code or prose stops at
QUOTES = frozenset(b"'\"`")
CONCATENATIONS = frozenset({"concatenated_string", "binary_expression"})
PROSE_BEFORE = frozenset(b" \t\r\n([")  # a link in a sentence: "see https://", "(https://"


def in_code(tree: Any, source: bytes, word: bytes) -> bool:
    """Whether `word` occurs as a whole word in code: not in a comment, a docstring (a
    string standing alone as a statement) or a sentence (a message whose link follows
    a space or a bracket: "see https://github.com/...", "(https://..."). An API host in
    a licence header, a doc link or an error message is no request: date-fns links
    github.com from every file, in comments and in its error messages."""
    root = tree.root_node
    return any(not _in_prose(root.descendant_for_byte_range(i, i + len(word)), source, i)
               for i in whole_words(source, word))


def whole_words(source: bytes, word: bytes) -> Iterator[int]:
    """Where `word` occurs not preceded or followed by [\\w$]."""
    n = len(word)
    i = source.find(word)
    while i >= 0:
        if (i == 0 or source[i - 1] not in WORD_CHARS) and (
                i + n >= len(source) or source[i + n] not in WORD_CHARS):
            yield i
        i = source.find(word, i + 1)


def _in_prose(node: Any, source: bytes, at: int) -> bool:
    while node is not None:
        if node.type in PROSE:
            return True
        if node.type in STRINGS:
            parent = node.parent
            if parent is not None and parent.type == "expression_statement" \
                    and parent.named_child_count == 1:
                return True  # a docstring
            start = at  # where the URL around `at` starts: after a space, a sentence
            while start > node.start_byte and source[start - 1] not in URL_END:
                start -= 1
            if start > node.start_byte and source[start - 1] in PROSE_BEFORE:
                return True
            # a string of its own, after one that ends a sentence's words: "see "
            # "https://..." (Python's implicit concatenation), 'see ' + 'https://...'
            before = node.prev_named_sibling
            return source[start - 1] in QUOTES and parent is not None \
                and parent.type in CONCATENATIONS and before is not None \
                and before.type in STRINGS \
                and source[before.start_byte:before.end_byte].rstrip(b"'\"`")[-1:] in (
                    b" ", b"\t", b"\n")
        node = node.parent
    return False


# Parts of a value that identify no one, which both front ends lower to a call of
# ir.MASKED_PART: at most the last four characters (`phone[-3:]`, `licence.slice(-4)`,
# the usual masked hint "****1234") and the domain of an email address
# (`email.split("@")[1]`).
TAIL_SLICE = re.compile(r"-\s*[1-4]\s*")
HEAD_SLICE = re.compile(r"(0\s*)?:\s*[1-4]\s*")  # postcode[:3]: a short prefix identifies no one
HEAD_CUTS = {"slice", "substring", "substr"}  # postcode.slice(0, 3)
SPLITTERS = {"split": ("1", "-1"), "rsplit": ("1", "-1"), "partition": ("2", "-1"),
             "rpartition": ("2", "-1")}


def masked_part(value: ir.Expr, pos: ir.Pos) -> ir.Call:
    return ir.Call(ir.Name(ir.MASKED_PART, pos), (value,), (), pos)


# string methods that keep a value what it is (a tail of the result is a tail of it)
NORMALISERS = {"replace", "replaceAll", "strip", "lstrip", "rstrip", "trim", "upper", "lower",
               "toUpperCase", "toLowerCase", "toString", "casefold"}


def masked_tail(value: ir.Expr, pos: ir.Pos) -> ir.Expr | None:
    """The masking call for a short slice of a single value, its tail or its head
    (`phone[-3:]`, `postcode[:3]`); None for a collection (`history[-4:]`,
    `messages.slice(-3)`: the last few items still say everything)."""
    named = value
    if isinstance(named, ir.Test | ir.Op):  # (phone or "")[-3:]
        named = next((p for p in named.parts if not isinstance(p, ir.Str | ir.Lit)), named)
    name = expr_name(normalised(named))
    words = [w.lower() for w in re.split(r"_|(?<=[a-z0-9])(?=[A-Z])", name) if w]
    word = words[-1] if words else ""
    if not word or (word.endswith("s") and not word.endswith(("ss", "us"))) \
            or word in ("history", "log", "list", "queue", "buffer", "array", "items"):
        return None
    if BIRTH_WORDS & set(words):  # dateOfBirth.slice(0, 4): the birth year, still a
        return None  # date of birth
    return masked_part(value, pos)


BIRTH_WORDS = frozenset({"birth", "dob", "birthday", "birthdate", "born"})


def normalised(named: ir.Expr) -> ir.Expr:
    """The value a chain of normalisers starts from: `data["nhs_number"].replace(" ",
    "")`, `str(n)`, `postcode.strip().upper()`."""
    while isinstance(named, ir.Call):
        if isinstance(named.func, ir.Attr) and named.func.name in NORMALISERS:
            named = named.func.obj
        elif isinstance(named.func, ir.Name) and named.func.id in ("str", "String") \
                and len(named.args) == 1:
            named = named.args[0]
        else:
            break
    return named


def masked_split(parts: ir.Expr, index: str, pos: ir.Pos) -> ir.Call | None:
    """`email.split("@")[1]`, `.split('@').pop()`, `email.partition("@")[2]`: the
    domain, not the address; and `postcode.split(" ")[0]`: the outward code, a district
    of thousands of homes, not the address (as `postcode[:3]` is)."""
    if not (isinstance(parts, ir.Call) and isinstance(parts.func, ir.Attr)):
        return None
    sep = parts.args[0].value if parts.args and isinstance(parts.args[0], ir.Str) else None
    if sep == "@" and index.strip() in SPLITTERS.get(parts.func.name, ()):
        return masked_part(parts.func.obj, pos)
    if parts.func.name == "split" and sep in (" ", None) and len(parts.args) <= 1 \
            and index.strip() == "0" \
            and POSTCODE_NAME.search(expr_name(normalised(parts.func.obj))):
        return masked_part(parts.func.obj, pos)  # (also .strip().split(" "), /\s+/)
    return None


POSTCODE_NAME = re.compile(r"(?i)post_?code$|postal_?code$")


def expr_name(e: ir.Expr) -> str:
    return e.name if isinstance(e, ir.Attr) else e.id if isinstance(e, ir.Name) else \
        e.key.value if isinstance(e, ir.Index) and isinstance(e.key, ir.Str) else ""


def pos_of(node: Any) -> ir.Pos:
    s, e = node.start_point, node.end_point
    return (s[0] + 1, s[1] + 1, e[0] + 1, e[1] + 1)


def call_pos(node: Any, func: Any, member: str) -> ir.Pos:
    """A method call on a receiver written over several lines starts at its method:
    `await ratelimit(120, "1 m")\n  .limit(key)` is reported on the `.limit(` line, where
    a reader looks for it (what a finding, a suppression comment and a fixture's
    expectation name)."""
    if func is not None and func.type == member:
        name = func.child_by_field_name("property" if member == "member_expression"
                                        else "attribute")
        if name is not None and name.start_point[0] > node.start_point[0]:
            s, e = name.start_point, node.end_point
            return (s[0] + 1, s[1] + 1, e[0] + 1, e[1] + 1)
    return pos_of(node)


class Lowering:
    """Per-file state while lowering: the function and class tables and the stack of
    enclosing definitions that names ids."""

    def __init__(self, parsed: Parsed, language: str) -> None:
        self.src = parsed.source
        self.path = parsed.path
        self.language = language
        self.functions: dict[str, ir.Function] = {}
        self.classes: dict[str, ir.Class] = {}
        self.imports: list[ir.Import] = []
        self.exports: list[ir.Export] = []
        self.scope: list[str] = []  # qualified name parts
        self.func_stack: list[str | None] = [None]
        self.depth = 0

    def text(self, node: Any) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def new_fid(self, name: str, node: Any) -> str:
        qual = ".".join([*self.scope, name])
        fid = f"{self.path}::{qual}"
        if fid in self.functions or fid in self.classes:
            fid = f"{fid}@{node.start_point[0] + 1}:{node.start_point[1] + 1}"
        return fid

    def expr(self, node: Any | None) -> ir.Expr:
        """Lower an expression, summarising what lies deeper than MAX_DEPTH."""
        if node is None:
            return ir.LIT
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                return ir.LIT
            return self._expr(node)
        finally:
            self.depth -= 1

    def _expr(self, node: Any) -> ir.Expr:
        raise NotImplementedError

    def module(self, body: list[ir.Stmt]) -> ir.Module:
        return ir.Module(
            path=self.path,
            language=self.language,
            imports=tuple(self.imports),
            body=tuple(body),
            functions=self.functions,
            classes=self.classes,
            exports=tuple(self.exports),
        )


def string_value(lowering: Lowering, node: Any) -> str | None:
    """The value of a string literal without interpolation, else None."""
    parts: list[str] = []
    for child in node.named_children:
        t = child.type
        if t in ("string_content", "string_fragment") or t == "escape_sequence":
            parts.append(lowering.text(child))
        elif t in ("string_start", "string_end"):
            continue
        else:
            return None
    return "".join(parts)


TYPE_NAMES = {"identifier", "type_identifier"}
SKIP_TYPES = {"Optional", "Union", "List", "list", "Annotated", "Promise", "Partial",
              "Readonly", "Array", "Required", "Depends", "Body", "Query", "Mapped",
              "ClassVar", "Final", "ReadonlyArray", "Record", "Omit", "Pick", "Maybe",
              "Nullable",
              # an ORM's handle on a model stands for the model (its find* answer one):
              # TypeORM's `Repository<Member>`, Mongoose's `Model<MemberDocument>`
              "Repository", "MongoRepository", "TreeRepository", "EntityRepository",
              "Model", "ModelStatic", "ModelCtor"}


def boolean_type(lowering: Lowering, node: Any | None) -> bool:
    """`medical_review: bool`, `hasAllergies: boolean`: a parameter declared a yes or
    no, which is no one's data whatever its name reads as."""
    return node is not None and lowering.text(node).lstrip(":").strip() in ("bool", "boolean")


def annotation_name(lowering: Lowering, node: Any | None) -> str | None:
    """The first class-like name in a type annotation: `SignupRequest` from
    `body: SignupRequest`, `Optional[User]` or `Promise<Partial<CreateContactDto>>`."""
    if node is None:
        return None
    stack = [node]
    seen = 0
    while stack and seen < 64:
        n = stack.pop(0)
        seen += 1
        if n.type == "lookup_type":  # Booking['mode']: the type of a field, not a Booking
            continue
        if n.type in ("nested_type_identifier", "attribute", "member_expression"):
            return lowering.text(n)  # Sentry.Scope, sentry_sdk.Scope: a vendor's type
        if n.type in TYPE_NAMES or n.type == "string":  # Mapped["User"]: a forward reference
            name = lowering.text(n).strip("'\"")
            if name not in SKIP_TYPES and name[:1].isupper() and name.isidentifier():
                return name
        stack.extend(n.named_children)
    return None


def operand_chain(node: Any, kind: str) -> tuple[list[Any], set[str]]:
    """`a + b + c + ...` as its operands and operators, walked iteratively: a chain of
    20,000 additions is one flat list, not 20,000 levels of recursion."""
    operands: list[Any] = []
    operators: set[str] = set()
    while node is not None and node.type == kind:
        op = node.child_by_field_name("operator")
        if op is not None:
            operators.add(op.text.decode("utf-8", "replace") if op.text else "")
        right = node.child_by_field_name("right")
        if right is not None:
            operands.append(right)
        node = node.child_by_field_name("left")
    if node is not None:
        operands.append(node)
    operands.reverse()
    return operands, operators


def substitute(e: Any, name: str, new: ir.Expr) -> Any:
    """`e` with the variable `name` replaced by `new` (a comprehension unrolled over
    literal keys: `{k: item[k] for k in ("email", "age")}`)."""
    if isinstance(e, ir.Name):
        return new if e.id == name else e
    if isinstance(e, tuple):
        return tuple(substitute(x, name, new) for x in e)
    if isinstance(e, ir.FuncRef | ir.ClassRef | ir.Str | ir.Lit) or not is_dataclass(e):
        return e
    changed = {f.name: substitute(getattr(e, f.name), name, new) for f in fields(e)
               if f.name != "pos"}
    return replace(e, **changed)

def bound_names(target: ir.Target) -> list[str]:
    """The names a destructuring pattern binds, in order."""
    if isinstance(target, ir.Name):
        return [target.id]
    if isinstance(target, ir.DObj):
        names = [n for _, t in target.entries for n in bound_names(t)]
        return names + (bound_names(target.rest) if target.rest is not None else [])
    if isinstance(target, ir.DSeq):
        return [n for t in target.items for n in bound_names(t)]
    return []

"""Dict comprehensions that pick or drop literal keys, lowered so that only the keys
kept reach a sink: `{k: row[k] for k in ("email", "age")}` and
`{k: v for k, v in asdict(c).items() if k in ADDRESS_FIELDS}` send those keys;
`... if k not in PII_KEYS` sends the others."""

from __future__ import annotations

import re
from typing import Any

from flowscan import ir
from flowscan.frontends.base import Lowering, pos_of, string_value, substitute

MAX_KEYS = 64
CONTAINERS = ("tuple", "list", "set")
MEMBERSHIP = re.compile(r"(\w+)\s+(not\s+in|in)\s+(.+)", re.S)


def literal_key_tuples(low: Lowering, root: Any) -> dict[str, tuple[str, ...]]:
    """Module constants that are tuples, lists or sets of strings (`PROFILE_KEYS =
    ("email", "age")`, `ADDRESS_FIELDS = frozenset({...})`), for comprehensions."""
    out: dict[str, tuple[str, ...]] = {}
    for st in root.named_children:
        if st.type != "expression_statement" or st.named_child_count != 1:
            continue
        a = st.named_children[0]
        left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
        if a.type != "assignment" or left is None or right is None \
                or left.type != "identifier":
            continue
        keys = literal_keys(low, right, {})
        if keys:
            out[low.text(left)] = keys
    return out


def literal_keys(low: Lowering, node: Any, known: dict[str, tuple[str, ...]]
                 ) -> tuple[str, ...] | None:
    """The strings of a literal container, a `frozenset({...})` / `set([...])` of one,
    or a module constant named `node`."""
    if node.type == "identifier":
        return known.get(low.text(node))
    if node.type == "call":
        func, args = node.child_by_field_name("function"), node.child_by_field_name(
            "arguments")
        if func is None or args is None or low.text(func) not in (
                "frozenset", "set", "tuple", "list") or args.named_child_count != 1:
            return None
        node = args.named_children[0]
    if node.type not in CONTAINERS:
        return None
    keys = [string_value(low, c) for c in node.named_children]
    if not keys or len(keys) > MAX_KEYS or any(k is None for k in keys):
        return None
    return tuple(k for k in keys if k is not None)


def unrolled(low: Lowering, node: Any, known: dict[str, tuple[str, ...]]) -> ir.Expr | None:
    """A dict comprehension over literal keys, or over `X.items()` filtered by literal
    keys, as the object it builds; None for any other."""
    clauses = node.named_children[1:]
    body = node.named_children[0] if node.named_child_count else None
    if body is None or body.type != "pair" or not clauses \
            or clauses[0].type != "for_in_clause":
        return None
    left, right = clauses[0].child_by_field_name("left"), clauses[0].child_by_field_name(
        "right")
    key_node, value_node = body.child_by_field_name("key"), body.child_by_field_name("value")
    if left is None or right is None or key_node is None or value_node is None:
        return None
    if left.type == "identifier" and all(c.type == "if_clause" for c in clauses[1:]):
        # (a test only drops keys whose value is empty: `... if getattr(obj, k)`)
        keys = literal_keys(low, right, known)
        var = low.text(left)
        for c in clauses[1:] if keys else ():  # `if k not in PII_KEYS`: those kept
            m = MEMBERSHIP.fullmatch(low.text(c).removeprefix("if").strip())
            if m is not None and m.group(1) == var:
                picked = known.get(m.group(3).strip())
                if picked is None:
                    return None
                keys = tuple(k for k in keys if (k in picked) == (m.group(2) == "in"))
        if keys and key_node.type == "identifier" and low.text(key_node) == var:
            value = low.expr(value_node)
            return ir.Obj(tuple((k, substitute(value, var, ir.Str(k))) for k in keys))
        if len(clauses) == 1:
            return None
    if len(clauses) == 2 and clauses[1].type == "if_clause":
        return filtered(low, left, right, key_node, value_node, clauses[1], known)
    return None


def filtered(low: Lowering, left: Any, right: Any, key_node: Any, value_node: Any,
             test: Any, known: dict[str, tuple[str, ...]]) -> ir.Expr | None:
    """`{k: v for k, v in X.items() if k [not] in KEYS}`: X's entries under KEYS (an
    object of `X[key]`), or X without them (X copied with those keys excluded)."""
    names = [low.text(c) for c in left.named_children] if left.type in (
        "pattern_list", "tuple_pattern") else []
    func = right.child_by_field_name("function") if right.type == "call" else None
    args = right.child_by_field_name("arguments") if right.type == "call" else None
    if len(names) != 2 or func is None or args is None or func.type != "attribute" \
            or args.named_child_count or low.text(func.child_by_field_name(
                "attribute")) != "items" or test.named_child_count != 1:
        return None
    k, v = names
    if low.text(key_node) != k or low.text(value_node) != v:
        return None
    cond = test.named_children[0]
    if cond.type != "comparison_operator" or cond.named_child_count != 2:
        return None
    m = MEMBERSHIP.fullmatch(low.text(cond))
    if m is None or m.group(1) != k:
        return None
    keys = literal_keys(low, cond.named_children[1], known)
    if not keys:
        return None
    source = low.expr(func.child_by_field_name("object"))
    if m.group(2) == "in":
        return ir.Obj(tuple((key, ir.Index(source, ir.Str(key), pos_of(value_node)))
                            for key in keys))
    excluded = ir.Seq(tuple(ir.Str(key) for key in keys))
    return ir.Call(ir.Attr(source, "model_dump", pos_of(func)), (),  # the copier that
                   (("exclude", excluded),), pos_of(right))  # drops keys (idioms.COPIERS)

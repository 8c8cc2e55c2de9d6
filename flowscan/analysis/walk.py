"""Small read-only walks over IR that the interpreter needs before it runs a unit."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from flowscan import ir
from flowscan.analysis.common import last_name, request_state_key
from flowscan.taxonomy import normalise as normalise_name

PERSON_EVIDENCE = {"email", "name", "phone", "date_of_birth", "government_id", "demographic"}
STRONG_EVIDENCE = {"name", "date_of_birth", "demographic"}  # a business has none of these
CONTACT_DATA = frozenset({"email", "phone"})  # what a person's record holds beside a name
STRONG_MARK = "!"


def of_someone_else(field: str, holder: str, taxonomy: object) -> bool:
    """`delivery.recipient_phone`, `booking.guest_email`: a field named for another
    person says the holder keeps that person's data, not that it is one (its `id` is
    no user id); `patient.patient_name` is the holder's own, and so is a thing's
    owner's or holder's (a stall's `owner_name`, a passport's `holder_dob`)."""
    c = taxonomy.classify(field, None)  # type: ignore[attr-defined]
    if c is None or not c.context or not taxonomy.is_person(c.context):  # type: ignore[attr-defined]
        return False
    owner = normalise_name(c.context).split("_")[-1]
    return owner not in ("owner", "holder") and owner not in normalise_name(holder).split("_")


def simple_statements(stmts: tuple[ir.Stmt, ...]) -> Iterator[ir.Stmt]:
    """The assignments, evaluations and returns of a body, inside branches and try
    blocks too (in no particular order)."""
    pending = list(stmts)
    while pending:
        s = pending.pop()
        if isinstance(s, ir.Branch):
            for b in s.blocks:
                pending.extend(b)
        elif isinstance(s, ir.Try):
            pending.extend((*s.body, *s.orelse, *s.final, *(x for h in s.handlers for x in h)))
        else:
            yield s


def expressions(stmts: tuple[ir.Stmt, ...], names: bool = False) -> Iterator[ir.Expr]:
    stack: list[object] = []
    for s in simple_statements(stmts):
        stack.append(s.value)
        if isinstance(s, ir.Assign):
            stack.append(s.target)
    while stack:
        e = stack.pop()
        if names and isinstance(e, ir.Name | ir.Str):
            yield e
        elif isinstance(e, ir.Attr | ir.Index):
            yield e
            stack.append(e.obj)
            if isinstance(e, ir.Index):
                stack.append(e.key)
        elif isinstance(e, ir.Call):
            stack.append(e.func)
            stack.extend(e.args)
            stack.extend(v for _, v in e.kwargs)
        elif isinstance(e, ir.Obj):
            stack.extend(v for _, v in e.entries)
        elif isinstance(e, ir.Seq | ir.Join | ir.Op | ir.Test):
            stack.extend(e.items if isinstance(e, ir.Seq) else e.parts)
        elif isinstance(e, ir.Spread | ir.Each | ir.Typed):
            stack.append(e.value)
        elif isinstance(e, ir.Comp):
            stack.append(e.elt)
            for target, iterable in e.clauses:
                stack.extend((target, iterable))
        elif isinstance(e, ir.DObj):
            stack.extend(t for _, t in e.entries)
        elif isinstance(e, ir.DSeq):
            stack.extend(e.items)


def state_slots_written(stmts: tuple[ir.Stmt, ...], flask_g: bool) -> set[str]:
    """The per-request state slots a body writes (`request.state.member = ...`,
    `app.extensions["sms"] = ...`; `flask_g`: the module's `g` is Flask's)."""
    out: set[str] = set()
    for s in simple_statements(stmts):
        if not isinstance(s, ir.Assign):
            continue
        t = s.target
        if isinstance(t, ir.Attr):
            name, obj = t.name, t.obj
        elif isinstance(t, ir.Index) and isinstance(t.key, ir.Str):
            name, obj = t.key.value, t.obj
        else:
            continue
        if request_state_key(obj, name, flask_g and isinstance(obj, ir.Name) and obj.id == "g"):
            out.add(name)
    return out


def names_read(stmts: tuple[ir.Stmt, ...]) -> set[str]:
    """Every plain name a body reads (a superset of its free variables)."""
    out: set[str] = set()
    for e in expressions(stmts, names=True):
        if isinstance(e, ir.Name):
            out.add(e.id)
    return out


def object_key(e: ir.Expr, depth: int = 0) -> str | None:
    """A stable name for the object an attribute is read from: `c`, `self.user`."""
    if isinstance(e, ir.Name):
        return e.id
    if isinstance(e, ir.Attr) and depth < 4:
        inner = object_key(e.obj, depth + 1)
        return f"{inner}.{e.name}" if inner is not None else None
    return None


def person_objects(stmts: tuple[ir.Stmt, ...], taxonomy: object) -> frozenset[str]:
    """Objects from which a unit reads a field that only a person has (email, phone,
    first name...): their ambiguous fields (`id`, `address`, `name`) are a person's too,
    whatever the variable is called (`for c in customers: c.email, c.id`)."""
    found: set[str] = set()
    for holder, name in _fields_read(stmts):
        key = object_key(holder)
        if key is None or STRONG_MARK + key in found:
            continue
        c = taxonomy.classify(name, last_name(holder) or None)  # type: ignore[attr-defined]
        if c is not None and not c.contextual and c.category in PERSON_EVIDENCE \
                and not of_someone_else(name, last_name(holder) or key, taxonomy):  # (a
            # pet's birthday is no person's: the holder's name is the context)
            found.add(key)
            if c.category in STRONG_EVIDENCE:  # a first name: a person whatever the
                found.add(STRONG_MARK + key)   # variable is called (`tenant`, `client`)
    return frozenset(found)


def _fields_read(stmts: tuple[ir.Stmt, ...]) -> Iterator[tuple[ir.Expr, str]]:
    """(object, field) for `obj.field`, `obj["field"]` and `{field} = obj`."""
    for e in expressions(stmts):
        if isinstance(e, ir.Attr):
            yield e.obj, e.name
        elif isinstance(e.key, ir.Str):
            yield e.obj, e.key.value
    for s in simple_statements(stmts):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.DObj):
            for key, _ in s.target.entries:
                yield s.value, key


def called_names(stmts: tuple[ir.Stmt, ...]) -> set[str]:
    out: set[str] = set()
    for e in expressions(stmts, names=True):
        if isinstance(e, ir.Attr):
            out.add(e.name)
            if not (isinstance(e.obj, ir.Name) and e.obj.id in ("self", "this")):
                out.add("." + e.name)  # req.bugsnag: an attribute of a foreign object
        elif isinstance(e, ir.Name):
            out.add(e.id)
        elif isinstance(e, ir.Str) and "://" in e.value:  # a URL: "://host" (entry_points)
            out.add("://" + e.value.split("://", 1)[1].split("/", 1)[0].lower())
    return out


def param_defaults(fn: ir.Function) -> tuple[ir.Stmt, ...]:
    """A function's parameter defaults as statements (`constructor({ stripeClient =
    stripe } = {})`): the names they read are names the function uses."""
    out: list[ir.Stmt] = [ir.Eval(p.default) for p in fn.params if p.default is not None]
    out += [ir.Eval(d) for p in fn.params if isinstance(p.pattern, ir.DObj)
            for _, d in p.pattern.defaults]
    return tuple(out)


def bottom_up(functions: dict[str, tuple[ir.Function, object]],
              used: dict[str, set[str]]) -> list[str]:
    """Function ids with likely callees first, from a call graph approximated by
    names (a call of `track` may reach any function named track). Analysing in this
    order, most summaries are final the first time a caller reads them. Closures come
    after their enclosing function, as if they called it: they read its locals, and
    one it calls runs inside its run anyway (engine.py: demand)."""
    if len(functions) < 2:
        return sorted(functions)
    by_name: dict[str, list[str]] = {}
    for fid, (fn, _) in functions.items():
        by_name.setdefault(fn.name, []).append(fid)
    calls: dict[str, set[str]] = {}
    for fid in functions:
        parent = functions[fid][0].parent
        out = calls[fid] = {parent} if parent in functions else set()
        for name in used[fid]:
            out.update(callee for callee in by_name.get(name, ())
                       if callee != fid and functions[callee][0].parent != fid)
    order = _callers_first(calls)
    if order is not None:
        return order[::-1]
    import networkx as nx  # recursion: strongly connected components, ordered alike

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(functions))
    graph.add_edges_from((fid, callee) for fid in sorted(calls) for callee in sorted(calls[fid]))
    condensed = nx.condensation(graph)
    return [fid for component in reversed(list(nx.lexicographical_topological_sort(
            condensed, key=lambda c: min(condensed.nodes[c]["members"]))))
            for fid in sorted(condensed.nodes[component]["members"])]


def _callers_first(calls: dict[str, set[str]]) -> list[str] | None:
    """networkx's lexicographical topological sort of an acyclic call graph (Kahn's,
    the smallest id first), or None when it has a cycle. The graphs of a pre-commit
    run hold a few functions, and importing networkx costs a sixth of such a run."""
    waiting = dict.fromkeys(calls, 0)
    for callees in calls.values():
        for callee in callees:
            waiting[callee] += 1
    ready = [fid for fid, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        fid = heapq.heappop(ready)
        order.append(fid)
        for callee in calls[fid]:
            waiting[callee] -= 1
            if waiting[callee] == 0:
                heapq.heappush(ready, callee)
    return order if len(order) == len(calls) else None


def entry_points(functions: dict[str, tuple[ir.Function, ir.Module]], catalog: object,
                 leads_out: Callable[[ir.Module, ir.Import], bool],
                 used: dict[str, set[str]], vendor_host: Callable[[str], bool]) -> list[str]:
    """The functions analysed whatever calls them: those that name an import that
    `leads_out` (a vendor SDK, a hot name of a project module), a vendor global, a
    module global built from one, or a vendor's API URL (written there, or a module
    constant). The rest run when an analysed unit asks for their summary, or once they
    name something found hot (growth.py)."""
    touching: dict[str, set[str]] = {}  # module path -> names that lead outside it
    for _, module in functions.values():
        if module.path in touching:
            continue
        lang = catalog.lang(module.language)  # type: ignore[attr-defined]
        names = {imp.local for imp in module.imports
                 if imp.local and leads_out(module, imp)} | set(lang.globals) | set(
                     lang.settings)
        names |= {"window", "globalThis", "navigator", "requests", "httpx", "fetch", "axios"}
        for st in module.body:  # mp = Mixpanel(TOKEN), URL = "https://api.segment.io/..."
            if isinstance(st, ir.Assign) and isinstance(st.target, ir.Name) and (
                    names_read((st,)) & names
                    or names_vendor_url(called_names((st,)), vendor_host)):
                names.add(st.target.id)
            elif isinstance(st, ir.Assign) and isinstance(st.target, ir.Attr) \
                    and isinstance(st.target.obj, ir.ClassRef) \
                    and names_vendor_url(called_names((st,)), vendor_host):
                names.add(st.target.name)  # class Telegram: SM = "https://api.telegram..."
        touching[module.path] = names
    return sorted(fid for fid, (fn, module) in functions.items()
                  if used[fid] & touching[module.path]
                  or names_vendor_url(used[fid], vendor_host))


CONTAINER_CALLS = {"list", "dict", "set", "deque", "defaultdict", "OrderedDict", "Map", "Set",
                   "Array"}


def module_containers(module: ir.Module) -> set[str]:
    """Names the module body binds to an empty or literal container (`const buffer =
    []`, `_pending = deque()`): functions that fill one feed those that read it."""
    out: set[str] = set()
    for st in module.body:
        if isinstance(st, ir.Assign) and isinstance(st.target, ir.Name):
            v = st.value
            if isinstance(v, ir.Typed):
                v = v.value
            if isinstance(v, ir.Seq | ir.Obj) or (
                    isinstance(v, ir.Call) and isinstance(v.func, ir.Name)
                    and v.func.id in CONTAINER_CALLS):
                out.add(st.target.id)
    return out


def names_vendor_url(names: set[str], vendor_host: Callable[[str], bool]) -> bool:
    """Whether called_names saw a URL ("://host") on a vendor's host."""
    return any(n.startswith("://") and vendor_host(n[3:]) for n in names)

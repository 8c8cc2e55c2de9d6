"""Language-neutral facts that front ends produce and the analysis consumes.

The analysis never sees a parse tree: every language lowers to these few shapes, so a
new language is a new front end and nothing else. Positions are ``(line, col, end_line,
end_col)`` with 1-based lines and 1-based columns. All classes are plain slotted
dataclasses so that they pickle cheaply between worker processes and into the cache.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from flowscan.pickling import by_fields, lazy

Pos = tuple[int, int, int, int]
NOPOS: Pos = (0, 0, 0, 0)
MODULE_SCOPE = "<module>"  # Attr(Name(MODULE_SCOPE), x): x declared `global` in a function
# Call(Name(MASKED_PART), (x,)): a part of x that identifies no one (its last few
# characters, an email's domain), as a front end recognised it
MASKED_PART = "<masked part>"


# ---------------------------------------------------------------- expressions


@dataclass(slots=True)
class Name:
    id: str
    pos: Pos = NOPOS


@dataclass(slots=True)
class Attr:
    """``obj.name``; also JS ``obj?.name``."""

    obj: Expr
    name: str
    pos: Pos = NOPOS


@dataclass(slots=True)
class Index:
    """``obj[key]``; a constant string key is a ``Str``."""

    obj: Expr
    key: Expr
    pos: Pos = NOPOS


@dataclass(slots=True)
class Spread:
    """``*args`` / ``...args`` in a call or list, ``**kw`` / ``...obj`` in a dict."""

    value: Expr


@dataclass(slots=True)
class Call:
    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()
    pos: Pos = NOPOS
    types: tuple[str, ...] = ()  # class-like names of TS type arguments: useState<Address>


@dataclass(slots=True)
class Obj:
    """Dict / object literal. A key is a str (constant), an Expr (computed) or None
    (a spread entry: the value is spread in)."""

    entries: tuple[tuple[str | Expr | None, Expr], ...] = ()


@dataclass(slots=True)
class Seq:
    items: tuple[Expr, ...] = ()


@dataclass(slots=True)
class Str:
    value: str


@dataclass(slots=True)
class Lit:
    """Numbers, booleans, None/null/undefined: never personal. Booleans and null keep
    their value (SDK options such as send_default_pii=True are read from it)."""

    value: bool | None = None


TRUE = Lit(True)
FALSE = Lit(False)


@dataclass(slots=True)
class Join:
    """String building: f-strings, templates, ``+``, ``%`` and ``.format``."""

    parts: tuple[Expr, ...] = ()


@dataclass(slots=True)
class Typed:
    """``value as T``: the value, declared to be an instance of what ``type`` names."""

    value: Expr
    type: Expr


@dataclass(slots=True)
class Each:
    """An element of iterating ``value`` (`for x in xs`, `for (const x of xs)`)."""

    value: Expr


@dataclass(slots=True)
class Comp:
    """A comprehension: ``elt`` with each clause's target bound, in the comprehension's
    own scope, to an element of its iterable (``[k for k, v in d.items()]``)."""

    clauses: tuple[tuple[Target, Expr], ...]
    elt: Expr


@dataclass(slots=True)
class Op:
    """Any other operator: the result carries whatever its operands carry."""

    parts: tuple[Expr, ...] = ()


@dataclass(slots=True)
class Test:
    """A comparison, `not`, `!`, `void`, `typeof`: its operands are evaluated (a call
    in them may be a sink) but the result is a boolean or undefined, never personal."""

    parts: tuple[Expr, ...] = ()


@dataclass(slots=True)
class FuncRef:
    """A lambda, arrow function or function expression defined inline."""

    fid: str


@dataclass(slots=True)
class ClassRef:
    """A class defined in this file, where its name is bound."""

    cid: str


LIT = Lit()
Expr = (Name | Attr | Index | Spread | Call | Obj | Seq | Str | Lit | Join | Op | Test | FuncRef
        | ClassRef | Each | Typed | Comp)


# ---------------------------------------------------------------- targets


@dataclass(slots=True)
class DObj:
    """Destructuring of an object: ``{email, name: n, ...rest} = user``."""

    entries: tuple[tuple[str, Target], ...] = ()
    rest: Target | None = None
    defaults: tuple[tuple[str, Expr], ...] = ()  # `{ client = analytics }`: when absent


@dataclass(slots=True)
class DSeq:
    """Destructuring of a sequence: ``a, b = pair`` / ``[a, b] = pair``."""

    items: tuple[Target, ...] = ()


Target = Name | Attr | Index | DObj | DSeq


# ---------------------------------------------------------------- statements


@dataclass(slots=True)
class Assign:
    """``target = value``. ``weak`` when the assignment may not happen (inside a
    branch, loop or handler): the old value survives beside the new one."""

    target: Target
    value: Expr
    weak: bool = False


@dataclass(slots=True)
class Eval:
    value: Expr


@dataclass(slots=True)
class Return:
    value: Expr


@dataclass(slots=True)
class Branch:
    """One of ``blocks`` runs (if/elif/else, match, switch, a loop body); with
    ``may_skip`` possibly none. The analysis joins what each way leaves behind, so a
    value overwritten on every way is clean again and one sanitised on one way only
    is not."""

    blocks: tuple[tuple[Stmt, ...], ...]
    may_skip: bool = True


@dataclass(slots=True)
class Try:
    """``body`` may stop anywhere: handlers start from what held before or after it."""

    body: tuple[Stmt, ...]
    handlers: tuple[tuple[Stmt, ...], ...] = ()
    orelse: tuple[Stmt, ...] = ()
    final: tuple[Stmt, ...] = ()


Stmt = Assign | Eval | Return | Branch | Try


# ---------------------------------------------------------------- definitions


@dataclass(slots=True)
class Param:
    name: str
    kind: str = "pos"  # pos | kwonly | varargs | kwargs | rest(JS ...args) | pattern
    default: Expr | None = None
    pattern: Target | None = None  # JS destructured parameter
    annotation: str | None = None  # the declared type's name (a model or DTO class)
    boolean: bool = False  # declared `bool`/`boolean`: a yes or no, whatever its name says


@dataclass(slots=True)
class Function:
    fid: str
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    pos: Pos
    cls: str | None = None  # class id for methods
    bound: bool = False  # first param receives the instance (Python self, JS this)
    parent: str | None = None  # enclosing function id, for closures
    getter: bool = False  # @property / `get x()`: reading the attribute calls it
    receives_class: bool = False  # @classmethod: the first param is the class itself
    returns: str | None = None  # the declared return type's name (`-> CpapSummary`)
    # a callback of `pharmacies.map((ph) => ...)`: what its first parameter is an element
    # of (`ph.postcode` is a pharmacy's, as `for ph in pharmacies` says in a loop)
    element_of: str | None = None
    # a callback registered with words of its own (`router.post('/:id/headshot',
    # upload.single('headshot'), (req, res) => ...)`): they name what it handles, as a
    # named function's name would
    route: str | None = None

    def declared(self, param: str) -> str | None:
        """The type a parameter is declared with (`rows: Branch[]`: Branch)."""
        return next((p.annotation for p in self.params if p.name == param), None)


@dataclass(slots=True)
class Class:
    cid: str
    name: str
    bases: tuple[Expr, ...]
    methods: dict[str, str]  # method name -> fid
    fields: tuple[str, ...]  # names declared in the class body (models)
    pos: Pos
    types: dict[str, str] = field(default_factory=dict)  # field -> declared class name (or id)


@dataclass(slots=True)
class Import:
    """``local`` is bound to ``name`` of module ``module`` (``name`` None: the module
    itself; ``'*'``: everything, for star imports and re-exports)."""

    local: str | None
    module: str
    name: str | None
    pos: Pos = NOPOS


@dataclass(slots=True)
class Export:
    """A JS export: ``name`` is visible to importers as the value of ``value``
    (evaluated in module scope), or re-exported from another module."""

    name: str
    value: Expr | None = None
    module: str | None = None
    imported: str | None = None


@dataclass(slots=True)
class Module:
    path: str  # relative to the scan root, forward slashes
    language: str  # catalog language key: python | javascript
    imports: tuple[Import, ...]
    body: tuple[Stmt, ...]
    functions: dict[str, Function]
    classes: dict[str, Class]
    exports: tuple[Export, ...] = ()
    comments: dict[int, str] = field(default_factory=dict)  # line -> comment text


for _cls in list(globals().values()):  # every node pickles as a call (pickling.py)
    if isinstance(_cls, type) and dataclasses.is_dataclass(_cls) and _cls.__module__ == __name__:
        by_fields(_cls)
# most of the IR: a re-scan reads few bodies, and few parameters, imports and exports,
# and registers the functions of few stored modules (analysis/registry.py)
lazy(Function, "body", "params")
lazy(Module, "body", "imports", "exports", "functions")

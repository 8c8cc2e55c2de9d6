"""Which part of a repository the analysis reads, decided by what it has found so far.

The analysis starts from the files that touch a vendor themselves. A function, class
attribute or module global is *hot* when it leads to a vendor: its summary sends a
parameter to a sink, or it holds or returns an SDK client (or a function, class or
instance that does). Only code that names something hot can reach a vendor through it,
so after each fixpoint the analysis adds the functions that name a newly hot member and
the files that import a module with newly hot names and mention one of them, loads
those files (and the files they import, analysed on demand), and runs again, until
nothing new is hot. On a large repository this reads the few hundred files between the
vendor calls and the code that feeds them, not everything that imports a shared utility
module that also happens to create an SDK client."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Protocol

from flowscan import ir
from flowscan.analysis.common import ARGUMENT, OUTER
from flowscan.analysis.http import vendor_for_url
from flowscan.analysis.values import BASE_MARK, Val, client_like

if TYPE_CHECKING:
    from flowscan.analysis.engine import Program

MAX_FIELD_DEPTH = 3
# a client or session object, not a helper such as urllib.parse.urlparse or HTTPError
HTTP_CLIENT = re.compile(r"[\w.]+\.(?:Session|Client|AsyncClient|ClientSession|PoolManager"
                         r"|create|extend|defaults)\(\)|[\w-]+")


class Loader(Protocol):
    """The project's files, as the analysis asks for them (scan.py implements it)."""

    def importers(self, path: str) -> Collection[str]:
        """Project files whose imports resolve to `path`."""
        ...

    def mentions(self, path: str, names: Collection[str]) -> bool:
        """Whether the text of `path` contains one of `names` as a word."""
        ...

    def requests(self, path: str) -> bool:
        """Whether the text of `path` names an HTTP client (http.REQUEST_WORDS)."""
        ...

    def load(self, paths: Collection[str]) -> dict[str, ir.Module]:
        """The lowered modules of those of `paths` that can be lowered."""
        ...


class Hotness:
    """One round's view of what leads to a vendor; memoised, as summaries do not
    change while it is asked."""

    def __init__(self, prog: Program, http_roots: frozenset[str]) -> None:
        self.prog = prog
        self.http_roots = http_roots
        self._fns: dict[str, bool] = {}
        self._classes: dict[str, bool] = {}

    def value(self, v: Val | None, depth: int = 0, http: bool = True) -> bool:
        """Whether `v` leads to a vendor: an SDK object, an HTTP client or session
        (which may be pointed at a vendor's host), or project code that does."""
        if v is None:
            return False
        for vendor, path in v.refs:
            if (vendor and client_like(path)) or path.startswith(BASE_MARK) or (
                    http and HTTP_CLIENT.fullmatch(path) is not None
                    and path.split(".", 1)[0] in self.http_roots):
                return True
        if any(self.function(fid) for fid, _ in v.funcs):
            return True
        if any(self.cls(cid) for cid in v.classes | v.insts):
            return True
        if v.fields and depth < MAX_FIELD_DEPTH:
            return any(self.value(f, depth + 1) for f in v.fields.values())
        return False

    def vendor_url(self, v: Val) -> bool:
        """A module constant holding a vendor's URL (DEFAULT_AMPLITUDE_API_URL): the
        files that import it may build where a wrapper sends its data from it (a
        configuration model's field default)."""
        return v.text is not None and "://" in v.text \
            and vendor_for_url(self.prog, v.text) is not None

    def function(self, fid: str) -> bool:
        found = self._fns.get(fid)
        if found is None:
            self._fns[fid] = False  # recursion: not hot by itself
            s = self.prog.summaries.get(fid)  # (its env matters to its closures only)
            # (a function that puts its parameters into a module-level container, such
            # as an event buffer a flush() sends, is hot too: its callers fill it)
            # (what it puts into its callers' own objects, ARGUMENT and OUTER writes,
            # reaches a vendor only where they send them: no reason to read the callers;
            # nor does a request to a URL the callers pass: a caller that passes a vendor's
            # URL names it, and is read for that, entry_points and module_names)
            found = s is not None and (bool(s.sinks) or any(
                path not in (ARGUMENT, OUTER) for path, _ in s.writes)
                or self.value(s.ret))
            self._fns[fid] = found
        return found

    def cls(self, cid: str) -> bool:
        found = self._classes.get(cid)
        if found is None:
            self._classes[cid] = False
            entry = self.prog.classes.get(cid)
            found = (entry is not None and any(self.function(f)
                                               for f in entry[0].methods.values())) \
                or any(self.value(v) for v in self.prog.class_attrs.get(cid, {}).values()) \
                or self.value(self.prog.class_bases.get(cid))
            self._classes[cid] = found
        return found

    def members(self, scope: set[str] | None = None,
                known: Collection[str] = frozenset()) -> set[str]:
        """Names through which code reaches something hot: functions and methods,
        class attributes, classes (of the files in `scope`, if given), but for the
        `known` ones: a name already hot needs no summary read to say so again (a
        pre-commit run decoded 677 summaries here, most of them under such names)."""
        prog = self.prog

        def within(key: str) -> bool:  # (a store of no file's, request state: always)
            return scope is None or "::" not in key or key.partition("::")[0] in scope

        out = {name for fid in prog.summaries if within(fid) and fid in prog.functions
               and (name := prog.functions[fid][0].name) not in known and self.function(fid)}
        for cid, attrs in prog.class_attrs.items():
            if within(cid):
                out |= {name for name, v in attrs.items() if name not in known
                        and self.value(v)}
        out |= {entry[0].name for cid, entry in prog.classes.items()
                if entry[0].name not in known and within(cid) and self.cls(cid)}
        return out

    def module_names(self, path: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """The names under which `path` hands something hot to its importers, those it
        re-exports with `export * from` / `from .x import *` included."""
        prog = self.prog
        module = prog.modules[path]
        seen = seen | {path}
        names = {name for store in (prog.globals, prog.global_writes)
                 for name, v in store.get(path, {}).items()
                 if self.value(v) or self.vendor_url(v)}
        unit = f"module:{path}"
        with prog.probing():
            if module.language == "python":
                for imp in module.imports:  # re-exports: `from .client import mp`
                    if imp.local and imp.local not in names and self.value(
                            prog.import_value(module, imp, unit), http=False):
                        names.add(imp.local)
            for target in star_sources(prog, module):
                if target not in seen:
                    names |= {n for n in self.module_names(target, seen)
                              if n != "default" and not n.startswith("_")}
            for exp in module.exports:
                if exp.name == "*":
                    continue
                v = prog.module_export(path, exp.name, unit)
                if self.value(v):
                    names.add(exp.name)
                    if exp.name == "default" and v.fields:  # module.exports = {...other}
                        names |= {k for k, f in v.fields.items()
                                  if k.isidentifier() and self.value(f)}
        return frozenset(names)


def star_sources(prog: Program, module: ir.Module) -> list[str]:
    """Loaded project modules whose names `module` re-exports wholesale."""
    if module.language == "python":
        found = [prog.resolver.python(module.path, imp.module)
                 for imp in module.imports if imp.name == "*"]
    else:
        found = [prog.resolver.javascript(module.path, exp.module)
                 for exp in module.exports if exp.name == "*" and exp.module is not None]
    return [t for t in found if t is not None and t in prog.modules]


def dependencies(prog: Program, module: ir.Module) -> set[str]:
    """Project files `module` imports, submodules named by `from pkg import mod` too."""
    out: set[str] = set()
    for imp in module.imports:
        if module.language == "python":
            target = prog.resolver.python(module.path, imp.module)
            if imp.name not in (None, "*"):
                sub = prog.python_submodule(module.path, imp, target)
                if sub is not None:
                    out.add(sub)
        else:
            target = prog.resolver.javascript(module.path, imp.module)
        if target is not None:
            out.add(target)
    for exp in module.exports:
        if exp.module is not None:
            target = prog.resolver.javascript(module.path, exp.module)
            if target is not None:
                out.add(target)
    if module.language != "python":
        out.update(prog.resolver.auto_imports(module.path))
    return out


def candidates(loader: Loader, path: str) -> Iterable[str]:
    """Files that may import from `path`: Python's `from pkg import mod` resolves to
    the package's `__init__`, so importers of the package count for its modules."""
    yield from loader.importers(path)
    package = package_of(path)
    if package is not None:
        yield from loader.importers(package)


def package_of(path: str) -> str | None:
    """The `__init__.py` of a Python module's package (None for other files)."""
    if path.endswith(".py") and not path.endswith("__init__.py"):
        return path.rsplit("/", 1)[0] + "/__init__.py" if "/" in path else "__init__.py"
    return None

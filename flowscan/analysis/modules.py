"""What a module gives the code that imports it (mixed into `Program`): its globals as
its body left them (or as functions set them), its exports and re-exports, its
submodules, and the SDK paths that vendor imports stand for. Reading any of these makes
the reader depend on it, so a change re-runs the reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowscan import ir
from flowscan.analysis.frame import Frame
from flowscan.analysis.resolve import Resolver
from flowscan.analysis.values import EMPTY, Val, join
from flowscan.catalog import Catalog


def is_default_instance(name: str, spec: str) -> bool:
    """`import { posthog } from 'posthog-js'`: SDKs that export their default instance
    under their own name too (posthog, mixpanel, amplitude)."""
    base = spec.rsplit("/", 1)[-1].split("-", 1)[0].lower()
    return name == base and name.islower()


class ModuleValues:
    if TYPE_CHECKING:
        modules: dict[str, ir.Module]
        resolver: Resolver
        catalog: Catalog
        globals: dict[str, dict[str, Val]]
        global_writes: dict[str, dict[str, Val]]
        orm_types: dict[str, str]
        hot_by_module: dict[str, frozenset[str]]
        _vendor_roots: dict[tuple[str, str], str | None]

        def depend(self, key: str, unit: str) -> None: ...
        def await_load(self, path: str, unit: str) -> None: ...
        def demand(self, unit: str, path: str) -> None: ...
        def join_into(self, store: dict[str, Val], name: str, value: Val, key: str
                      ) -> None: ...

    def module_global(self, path: str, name: str, unit: str) -> Val | None:
        env = self.globals.get(path)
        if env is None:  # run the module now if it can (before depending: its first
            self.demand(f"module:{path}", path)  # globals are no change to `unit`)
            env = self.globals.get(path)
        self.depend(f"global:{path}:{name}", unit)
        written = self.global_writes.get(path, {}).get(name)
        if env is None:
            return written
        found = env.get(name)
        return found if written is None else join(found or EMPTY, written)

    def set_global(self, path: str, name: str, value: Val) -> None:
        """A function assigns a module global (`global client`): its readers see it
        beside what the module body binds."""
        self.join_into(self.global_writes.setdefault(path, {}), name, value,
                       f"global:{path}:{name}")

    def module_export(self, path: str, name: str, unit: str, seen: frozenset[str] = frozenset()
                      ) -> Val:
        if path in seen or path not in self.modules:
            return EMPTY
        self.depend(f"ir:{path}", unit)  # its imports and exports: an edit re-runs unit
        module = self.modules[path]
        if module.language == "python":
            v = self.module_global(path, name, unit)
            if v is not None:
                return v
            for imp in module.imports:  # re-exported imports: `from .client import mp`
                if imp.local == name:
                    return self.import_value(module, imp, unit, seen | {path})
            sub = self.resolver.python_submodule(path, name)
            if sub is not None and sub in self.modules:
                return Val(mods=frozenset({sub}))
            for imp in module.imports:
                if imp.name == "*":
                    v = self.import_value(module, ir.Import(name, imp.module, name), unit,
                                          seen | {path})
                    if not v.is_empty():
                        return v
            return EMPTY
        out = EMPTY
        for exp in module.exports:
            if exp.name == name:
                if exp.module is not None:
                    out = join(out, self.import_value(
                        module, ir.Import(name, exp.module, exp.imported), unit, seen | {path}))
                elif exp.value is not None:
                    if path not in self.globals:  # as module_global: run it first
                        self.demand(f"module:{path}", path)
                    self.depend(f"global:{path}:{exp.value.id}" if isinstance(
                        exp.value, ir.Name) else f"module:{path}", unit)  # `export const
                    # x`: a change of another of the module's names is none of unit's
                    frame = Frame(self, module, None, unit)
                    frame.env = dict(self.globals.get(path, {}))
                    out = join(out, frame.expr(exp.value))
            elif exp.name == "*" and exp.module is not None and name != "default":
                out = join(out, self.import_value(module, ir.Import(name, exp.module, name),
                                                  unit, seen | {path}))
        if out.is_empty() and name != "default":  # module.exports = { a, ...other }
            whole = self.module_export(path, "default", unit, seen)
            if whole.fields and name in whole.fields:
                out = whole.fields[name]
        return out

    def python_submodule(self, importer: str, imp: ir.Import, package: str | None
                         ) -> str | None:
        """`from pkg import mod` where mod is a module: of pkg/__init__.py, or of a
        namespace package (a directory without one)."""
        if imp.name in (None, "*"):
            return None
        if package is not None:
            return self.resolver.python_submodule(package, imp.name)
        spec = imp.module + imp.name if imp.module.endswith(".") else f"{imp.module}.{imp.name}"
        return self.resolver.python(importer, spec)

    def import_value(self, module: ir.Module, imp: ir.Import, unit: str,
                     seen: frozenset[str] = frozenset()) -> Val:
        if imp.module == "@prisma/client" and imp.name in self.orm_types:
            return Val(classes=frozenset({self.orm_types[imp.name]}))
        lang = self.catalog.lang(module.language)
        hit = lang.import_root(imp.module)
        if hit is not None and not (module.language == "python"
                                    and self.resolver.python_shadow(module.path, imp.module)):
            vendor, root = hit
            path = root if imp.name in (None, "default", "*") or (
                module.language == "javascript" and is_default_instance(imp.name, imp.module)
            ) else f"{root}.{imp.name}"
            return Val(refs=frozenset({(vendor, path)}))
        if module.language == "python":
            target = self.resolver.python(module.path, imp.module)
        else:
            target = self.resolver.javascript(module.path, imp.module)
        if target is not None and target not in self.modules:
            self.await_load(target, unit)  # read again once growth loads it
        if module.language == "python" and (target in (None, module.path)
                                            or target not in self.modules):
            # a namespace package, `from . import amplitude_client` in a package's
            # __init__ (the package is the importer itself), or `from pkg.lib import
            # curl` whose package is not loaded (engine.load_requesters loads the module
            # alone): the name is its submodule
            sub = self.python_submodule(module.path, imp, target)
            if sub is not None and sub in self.modules:
                return Val(mods=frozenset({sub}))
            if sub is not None:
                self.await_load(sub, unit)
        if target is None or target not in self.modules:
            base = imp.module.lstrip("./@")
            path = base if imp.name in (None, "default", "*") else f"{base}.{imp.name}"
            return Val(refs=frozenset({("", path)}))
        if imp.name is None:
            if module.language == "python":
                return Val(mods=frozenset({target}))
            # require('./x') is x's module.exports; `import * as x` its namespace
            return join(Val(mods=frozenset({target})),
                        self.module_export(target, "default", unit, seen))
        return self.module_export(target, imp.name, unit, seen)

    def auto_import(self, module: ir.Module, name: str, unit: str) -> Val | None:
        """An unbound name that a framework imports for the module (Nuxt's composables
        and server utils, resolve.py: auto_imports): the export of that name."""
        if module.language == "python":
            return None
        for target in self.resolver.auto_imports(module.path):
            if target not in self.modules:
                self.await_load(target, unit)  # read again once growth loads it
            elif any(exp.name == name for exp in self.modules[target].exports):
                return self.module_export(target, name, unit)
        return None

    def vendor_root(self, language: str, vendor: str) -> str | None:
        """The SDK path a bare client of `vendor` stands for in `language`: its global
        (`Bugsnag`), else its first import root."""
        key = (language, vendor)
        if key not in self._vendor_roots:
            lang = self.catalog.lang(language)
            roots = [r for v, r in lang.globals.values() if v == vendor] or sorted(
                r for v, r in lang.imports.values() if v == vendor)
            self._vendor_roots[key] = roots[0] if roots else None
        return self._vendor_roots[key]

    def leads_out(self, module: ir.Module, imp: ir.Import) -> bool:
        """Whether an import can bring a vendor in: a vendor SDK, or a name of a project
        module that is hot (a whole module, when it has hot names)."""
        if self.catalog.lang(module.language).import_root(imp.module) is not None:
            return True
        if module.language == "python":
            target = self.resolver.python(module.path, imp.module)
            sub = self.python_submodule(module.path, imp, target)
            if sub is not None and sub in self.modules:
                return bool(self.hot_by_module.get(sub))
        else:
            target = self.resolver.javascript(module.path, imp.module)
        names = self.hot_by_module.get(target or "")
        if not names:
            return False
        return imp.name in (None, "*") or imp.name in names

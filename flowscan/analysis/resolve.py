"""Which project file an import names: Python packages (absolute, relative, src
layouts) and JS/TS specifiers (relative, index files, tsconfig path aliases)."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JS_EXTS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
NUXT_CONFIGS = frozenset({"nuxt.config.ts", "nuxt.config.js", "nuxt.config.mjs"})


def python_module_name(path: str) -> str:
    stem = path[: -len(".pyi")] if path.endswith(".pyi") else path[: -len(".py")]
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


_INDEXES = frozenset({"py_suffix", "aliases", "packages", "subpaths"})


@dataclass
class Resolver:
    """`py_suffix`, `aliases`, `packages` and `subpaths` are built when first read: the
    cache answers most questions (collect.MemoResolver), and a pre-commit run asked
    none that needed them, yet building them read 180 configurations (7 ms)."""

    paths: set[str]
    # tsconfig / jsconfig / package.json / bundler configuration path -> its text
    configs: dict[str, str] = field(default_factory=dict, repr=False)
    # (language, importer, specifier) -> file: the analysis asks again on every run (a
    # JS importer by its directory, which is all the answer depends on: javascript)
    memo: dict[tuple[str, str, str], str | None] = field(default_factory=dict, repr=False)
    _dirs: dict[str, list[str]] | None = field(default=None, repr=False)
    _parent: dict[str, str] = field(default_factory=dict, repr=False)  # file -> directory
    _nuxt: list[str] | None = field(default=None, repr=False)
    _auto: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _alias_order: dict[str, list[tuple[str, str, list[str]]]] = field(default_factory=dict,
                                                                       repr=False)

    @classmethod
    def build(cls, paths: list[str], tsconfigs: dict[str, str]) -> Resolver:
        return cls(set(paths), dict(tsconfigs))

    def __getattr__(self, name: str) -> Any:
        if name not in _INDEXES or "paths" not in self.__dict__:
            raise AttributeError(name)
        self._index()
        return self.__dict__[name]

    def _index(self) -> None:
        # module suffix -> the Python files it may name
        self.py_suffix: dict[str, list[str]] = {}
        # (config's directory, base directory, pattern, targets) from tsconfig.json
        # `paths` and bundler configs, in file order (see aliases_for)
        self.aliases: list[tuple[str, str, str, list[str]]] = []
        # a monorepo's own packages, by name: (directory, `exports`, entry points); more
        # than one under a name when the scan root holds several checkouts (_package_file)
        self.packages: dict[str, list[tuple[str, object, list[str]]]] = {}
        # (package directory, pattern, targets) from package.json `imports` (`#lib/*`)
        self.subpaths: list[tuple[str, str, list[str]]] = []
        for p in sorted(self.paths):
            if p.endswith((".py", ".pyi")):
                parts = python_module_name(p).split(".")
                for i in range(len(parts)):
                    self.py_suffix.setdefault(".".join(parts[i:]), []).append(p)
        for cfg_path, text in sorted(self.configs.items()):
            if cfg_path.rsplit("/", 1)[-1] == "package.json":
                self.subpaths.extend(_package_imports(cfg_path, text))
                found = _package(cfg_path, text)
                if found is not None:
                    self.packages.setdefault(found[0], []).append(found[1])
                continue
            self.aliases.extend(_tsconfig_aliases(cfg_path, text) if cfg_path.endswith(".json")
                                else _bundler_aliases(cfg_path, text))

    # ------------------------------------------------------------ python

    def python(self, importer: str, module: str) -> str | None:
        key = ("py", importer, module)
        if key not in self.memo:
            self.memo[key] = self._python(importer, module)
        return self.memo[key]

    def _python(self, importer: str, module: str) -> str | None:
        if module.startswith("."):
            level = len(module) - len(module.lstrip("."))
            rest = module[level:]
            base = python_module_name(importer).split(".")
            if not importer.endswith("__init__.py"):
                base = base[:-1]
            if level > 1:
                base = base[: len(base) - (level - 1)]
            full = ".".join([*base, rest] if rest else base)
            return self._py_exact(full)
        hits = self.py_suffix.get(module)
        if not hits:
            return None
        if len(hits) == 1:
            return hits[0]
        # the candidate sharing the longest directory prefix with the importer; then one
        # whose module name is exactly the import (`integrations/__init__.py`, not
        # `config/integrations.py`, for `from integrations import send_sms`)
        return max(hits, key=lambda h: (len(posixpath.commonprefix([h, importer])),
                                        python_module_name(h) == module, -len(h)))

    def python_shadow(self, importer: str, module: str) -> str | None:
        """The project file an absolute `import module` reaches before an installed
        package of that name: `module`'s first segment as a file or package in the
        directory on `sys.path` for the importer (its own directory for a script, the
        one holding its outermost package otherwise). A wrapper `analytics.py` beside
        `views.py` is what `import analytics` there means, not Segment's SDK."""
        if module.startswith(".") or not importer.endswith(".py"):
            return None
        top = posixpath.dirname(importer)
        while top and f"{top}/__init__.py" in self.paths:
            top = posixpath.dirname(top)
        first = module.split(".", 1)[0]
        base = f"{top}/{first}" if top else first
        for cand in (f"{base}.py", f"{base}/__init__.py"):
            if cand in self.paths and cand != importer:
                return cand
        return None

    def _py_exact(self, dotted: str) -> str | None:
        stem = dotted.replace(".", "/")
        for cand in (f"{stem}.py", f"{stem}/__init__.py", f"{stem}.pyi"):
            if cand in self.paths:
                return cand
        hits = self.py_suffix.get(dotted)
        return hits[0] if hits and len(hits) == 1 else None

    def python_submodule(self, package_path: str, name: str) -> str | None:
        if not package_path.endswith("__init__.py"):
            return None
        return self._py_exact(python_module_name(package_path) + "." + name)

    # ------------------------------------------------------------ auto-imports

    def auto_imports(self, importer: str) -> tuple[str, ...]:
        """Files whose exports `importer` may use without importing them: in a Nuxt
        project, `composables/` and `utils/` for the app, `server/utils/` for server
        code, `shared/utils/` for both (the framework generates the imports)."""
        found = self._auto.get(importer)
        if found is None:
            found = self._auto[importer] = tuple(self._auto_imports(importer))
        return found

    def _auto_imports(self, importer: str) -> list[str]:
        if not self.nuxt_roots() or not importer.endswith((*JS_EXTS, ".vue")):
            return []
        root = self._nuxt_root(importer)
        if root is None:
            return []
        inner = importer[len(root):]
        server = inner.startswith("server/")
        dirs = ["server/utils", "shared/utils"] if server else [
            "composables", "utils", "app/composables", "app/utils", "shared/utils"]
        out = []
        for d in dirs:
            base = root + d + "/"
            for p in self._by_dir().get(base.rstrip("/"), ()):
                if p == importer:
                    continue
                rest = p[len(base):]  # top-level files, and a subdirectory's index
                if "/" not in rest or rest.count("/") == 1 and rest.split("/")[1].startswith(
                        "index."):
                    out.append(p)
        return sorted(out)

    def nuxt_roots(self) -> list[str]:
        """Directories with a `nuxt.config`, as prefixes ('' or 'app/'), deepest first."""
        if self._nuxt is None:
            self._nuxt = sorted({p[: p.rfind("/") + 1] for p in self.paths
                                 if p.rsplit("/", 1)[-1] in NUXT_CONFIGS}, key=len, reverse=True)
        return self._nuxt

    def _nuxt_root(self, importer: str) -> str | None:
        """The nearest enclosing directory with a `nuxt.config`."""
        return next((root for root in self.nuxt_roots() if importer.startswith(root)), None)

    def _by_dir(self) -> dict[str, list[str]]:
        """JS/TS files by the auto-import directory they sit in (or one level below)."""
        if self._dirs is None:
            self._dirs = {}
            for p in sorted(self.paths):
                if p.endswith(JS_EXTS):
                    parts = p.split("/")
                    for n in (len(parts) - 1, len(parts) - 2):
                        if n > 0 and parts[n - 1] in ("composables", "utils"):
                            self._dirs.setdefault("/".join(parts[:n]), []).append(p)
        return self._dirs

    # ------------------------------------------------------------ javascript

    def javascript(self, importer: str, spec: str) -> str | None:
        # (what a specifier names depends on the importer's directory alone: its
        # neighbours ask the same; asked 100,000 times in a cold scan of formbricks, so
        # the directory is looked up, not split again)
        folder = self._parent.get(importer)
        if folder is None:
            folder = self._parent[importer] = posixpath.dirname(importer)
        key = ("js", folder, spec)
        try:
            return self.memo[key]
        except KeyError:
            found = self.memo[key] = self._javascript(importer, spec)
            return found

    def _javascript(self, importer: str, spec: str) -> str | None:
        if spec.startswith("."):
            return self._js_file(posixpath.normpath(posixpath.join(posixpath.dirname(importer),
                                                                   spec)))
        if spec.startswith("#"):  # Node's subpath imports: the importer's own package's
            return self._subpath_import(importer, spec)
        for base, pattern, targets in self.aliases_for(importer):
            hit = self._mapped(base, pattern, targets, spec, lambda sub: [sub])
            if hit is not None:
                return hit
        if self.packages:  # `@rallly/posthog/server`: a workspace package of the monorepo
            hit = self._package_file(importer, spec)
            if hit is not None:
                return hit
        if spec.startswith(("@/", "~/")):  # the bundler's alias for the source root
            return self._source_root_alias(importer, spec[2:])
        if spec.startswith(("~~/", "@@/")):  # Nuxt's alias for the project root
            return self._source_root_alias(importer, spec[3:])
        if spec.startswith("$lib/"):  # SvelteKit's alias for src/lib
            return self._source_root_alias(importer, "lib/" + spec[5:])
        return None

    def aliases_for(self, importer: str) -> list[tuple[str, str, list[str]]]:
        """The path aliases in the order an importer tries them: those of the configs
        whose directory holds it, nearest first (a monorepo's packages each map `@/*`
        to their own `src/`: packages/surveys must not get packages/survey-ui's, which
        sorts before it), then the others in file order (a config may take its paths
        from another through `extends`, which is not followed)."""
        where = posixpath.dirname(importer)
        found = self._alias_order.get(where)
        if found is None:
            own = sorted((a for a in self.aliases if _inside(a[0], importer)),
                         key=lambda a: -len(a[0]))
            rest = [a for a in self.aliases if not _inside(a[0], importer)]
            found = self._alias_order[where] = [(base, pattern, targets)
                                                for _, base, pattern, targets in own + rest]
        return found

    def _subpath_import(self, importer: str, spec: str) -> str | None:
        """`#lib/analytics.js` by the `imports` of the nearest package.json above the
        importer (a specifier that package does not map is none of another's)."""
        owners = [base for base, _, _ in self.subpaths if _inside(base, importer)]
        if not owners:
            return None
        nearest = max(owners, key=len)
        for base, pattern, targets in self.subpaths:
            hit = self._mapped(base, pattern, targets, spec, _source_candidates) \
                if base == nearest else None
            if hit is not None:
                return hit
        return None

    def _mapped(self, base: str, pattern: str, targets: list[str], spec: str,
                candidates: Callable[[str], list[str]]) -> str | None:
        """The first file a path mapping (`"@/lib/*": ["src/lib/*"]`, relative to
        `base`) gives `spec`, trying each target's `candidates`."""
        star = _star(pattern, spec)
        for target in targets if star is not None else ():
            sub = target.replace("*", star) if "*" in pattern else target
            for candidate in candidates(sub):
                hit = self._js_file(posixpath.normpath(posixpath.join(base, candidate)))
                if hit is not None:
                    return hit
        return None

    def _package_file(self, importer: str, spec: str) -> str | None:
        """The source file a workspace package's specifier names: its `exports` entry
        (conditions in the order a bundler picks them, a `dist/` target read back in
        `src/`), else `main`/`module`, else the path itself under the package or its
        `src/`."""
        parts = spec.split("/")
        n = 2 if spec.startswith("@") else 1
        found = self.packages.get("/".join(parts[:n]))
        if found is None:
            return None
        base, exports, entries = found[0] if len(found) == 1 else max(
            found, key=lambda pkg: _shared_depth(pkg[0], importer))  # the nearest: the
        # importer's own checkout's (first in path order among equals)
        sub = "/".join(parts[n:])
        targets: list[str] = []
        if isinstance(exports, str | list) or (isinstance(exports, dict) and exports and not any(
                str(k).startswith(".") for k in exports)):
            exports = {".": exports}  # conditions (or one target) for the package itself
        if isinstance(exports, dict):
            key = f"./{sub}" if sub else "."
            target = exports.get(key)
            if target is None:
                for pattern, value in exports.items():
                    star = _star(str(pattern), key) if "*" in str(pattern) else None
                    if star is not None:
                        target = _substituted(value, star)
                        break
            targets.extend(_condition_targets(target))
        if not sub:
            targets.extend(entries)
        targets.extend([sub or "index", f"src/{sub or 'index'}"])
        for target in targets:
            for cand in _source_candidates(target):
                hit = self._js_file(posixpath.normpath(posixpath.join(base, cand)))
                if hit is not None:
                    return hit
        return None

    def _source_root_alias(self, importer: str, rest: str) -> str | None:
        """`@/lib/x` without a tsconfig path for it: Vite, Vue CLI and Nuxt configs
        (JavaScript, not read here) map `@` to the project's `src/`, or to its root.
        The nearest enclosing directory that has the file wins."""
        parts = importer.split("/")[:-1]
        for n in range(len(parts), -1, -1):
            base = "/".join(parts[:n])
            for root in (f"{base}/src" if base else "src", base):
                hit = self._js_file(posixpath.join(root, rest) if root else rest)
                if hit is not None:
                    return hit
        return None

    def _js_file(self, stem: str) -> str | None:
        stem = stem.lstrip("./") if stem.startswith("./") else stem
        if stem in self.paths:
            return stem
        bare = re.sub(r"\.(m|c)?jsx?$", "", stem)  # TS ESM writes './x.js' for x.ts
        for cand in (bare, stem):
            for ext in JS_EXTS:
                if cand + ext in self.paths:
                    return cand + ext
            for ext in JS_EXTS:
                if f"{cand}/index{ext}" in self.paths:
                    return f"{cand}/index{ext}"
        return None


def _inside(directory: str, path: str) -> bool:
    """Whether `path` lies under `directory` ("" being the scan root)."""
    return not directory or path.startswith(directory + "/")


def _shared_depth(directory: str, importer: str) -> int:
    """How many leading path segments two paths share."""
    n = 0
    for a, b in zip(directory.split("/"), importer.split("/"), strict=False):
        if a != b:
            break
        n += 1
    return n


def _strip_json_comments(text: str) -> str:
    text = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', lambda m: m.group(1) or "", text,
                  flags=re.S)
    return re.sub(r",(\s*[}\]])", r"\1", text)


ALIAS_BLOCK = re.compile(r"\balias\s*:\s*\{(.*?)\}", re.S)
ALIAS_ENTRY = re.compile(r"""(?:['"]([^'"]+)['"]|([$@~\w][\w$@~-]*))\s*:\s*([^,\n]+)""")
QUOTED = re.compile(r"""['"`]([^'"`]+)['"`]""")


def _bundler_aliases(cfg_path: str, text: str) -> list[tuple[str, str, str, list[str]]]:
    """`kit.alias` of svelte.config.js and `resolve.alias` of vite.config.ts, read as
    text (never run): `$integrations: 'src/lib/server/integrations'`, `'@':
    path.resolve(__dirname, './src')` (the last string literal is the target)."""
    base = posixpath.dirname(cfg_path)
    out = []
    for block in ALIAS_BLOCK.findall(text):
        for quoted, bare, value in ALIAS_ENTRY.findall(block):
            key = quoted or bare
            targets = QUOTED.findall(value)
            if not key or not targets or key in ("find", "replacement"):
                continue
            target = posixpath.normpath(targets[-1]).lstrip("/")
            out.append((base, base, key, [target]))
            out.append((base, base, key.rstrip("/") + "/*", [target + "/*"]))
    return out


def _package(cfg_path: str, text: str) -> tuple[str, tuple[str, object, list[str]]] | None:
    """A package.json's name, directory, `exports` and entry points."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    base = posixpath.dirname(cfg_path)
    entries = [str(data[k]) for k in ("source", "module", "main", "types", "typings")
               if isinstance(data.get(k), str)]
    return data["name"], (base, data.get("exports"), entries)


def _star(pattern: str, spec: str) -> str | None:
    """What the `*` of a path pattern (`@/lib/*`, `#lib/*`, `./*`) stands for in `spec`
    ("" for a pattern without one); None when `spec` does not fit it."""
    head, star, tail = pattern.partition("*")
    if star and "*" in tail:  # (not a pattern TypeScript or Node accepts: as a regex)
        m = re.fullmatch(re.escape(pattern).replace(r"\*", "(.*)"), spec)
        return None if m is None else m.group(1)
    if not star:
        return "" if spec == pattern else None
    fits = len(spec) >= len(head) + len(tail) and spec.startswith(head) and spec.endswith(tail)
    part = spec[len(head):len(spec) - len(tail)] if fits else "\n"
    return None if "\n" in part else part  # (as the regex's `.*`: no line break)


def _package_imports(cfg_path: str, text: str) -> list[tuple[str, str, list[str]]]:
    """A package.json's `imports` (`"#lib/*": "./src/*"`, or by conditions)."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    imports = data.get("imports") if isinstance(data, dict) else None
    if not isinstance(imports, dict):
        return []
    base = posixpath.dirname(cfg_path)
    return [(base, pattern, _condition_targets(target)) for pattern, target in imports.items()
            if isinstance(pattern, str) and pattern.startswith("#")]


CONDITIONS = ("source", "import", "module", "default", "require", "node", "browser", "types")


def _condition_targets(target: object) -> list[str]:
    """An `exports` target's paths, the conditions a bundler prefers first (type
    declarations last: they are skipped, their source is not)."""
    if isinstance(target, str):
        return [target]
    if isinstance(target, list):
        return [t for item in target for t in _condition_targets(item)]
    if isinstance(target, dict):
        keys = [k for k in CONDITIONS if k in target] + [k for k in target if k not in CONDITIONS]
        return [t for k in keys for t in _condition_targets(target[k])]
    return []


def _substituted(target: object, star: str) -> object:
    if isinstance(target, str):
        return target.replace("*", star)
    if isinstance(target, list):
        return [_substituted(t, star) for t in target]
    if isinstance(target, dict):
        return {k: _substituted(v, star) for k, v in target.items()}
    return target


def _source_candidates(target: str) -> list[str]:
    """`./dist/server.mjs` is built from `src/server.ts`: both are tried."""
    out = [target]
    bare = re.sub(r"\.d\.[cm]?ts$|\.[cm]?jsx?$", "", target)
    m = re.match(r"^(?:\./)?(dist|build|lib|out|esm|cjs)/(?:(?:esm|cjs|src)/)?(.*)$", bare)
    if m is not None:
        out.append(f"src/{m.group(2)}")
    if bare != target:
        out.append(bare)
    return out


def _tsconfig_aliases(cfg_path: str, text: str) -> list[tuple[str, str, str, list[str]]]:
    try:
        data = json.loads(_strip_json_comments(text))
    except ValueError:
        return []
    opts = data.get("compilerOptions") or {} if isinstance(data, dict) else {}
    base = posixpath.normpath(posixpath.join(posixpath.dirname(cfg_path),
                                             str(opts.get("baseUrl", "."))))
    base = "" if base == "." else base
    scope = posixpath.dirname(cfg_path)
    out = []
    for pattern, targets in (opts.get("paths") or {}).items():
        if isinstance(targets, list):
            out.append((scope, base, str(pattern), [str(t) for t in targets]))
    return out

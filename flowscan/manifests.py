"""Which vendor SDKs a project declares (dependency manifests and lock files) and which
it imports (the scan's import facts), so the data map can show SDKs installed but
unused and data sent to vendors no manifest declares.

Manifests are read as text (tomllib, json, line parsing): nothing is ever executed,
installed or resolved, and a file that cannot be read or parsed is passed over."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# directories never searched for manifests (dependencies, build output, VCS, caches)
SKIP_DIRS = {"node_modules", "dist", "build", ".git", ".hg", ".svn", "__pycache__", ".venv",
             "venv", "env", ".tox", ".nox", ".mypy_cache", ".pytest_cache", "site-packages",
             ".next", ".nuxt", "coverage", ".flowscan-cache", ".eggs", "bower_components"}
TEST_DIRS = {"tests", "test", "__tests__", "__mocks__", "spec", "specs", "testing", "e2e",
             "cypress", "fixtures"}
REQUIREMENTS = re.compile(r"^requirements.*\.(txt|in)$|^.*-requirements\.txt$")
NODE_LOCKS = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml")
PY_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
MAX_BYTES = 20_000_000


@dataclass(frozen=True, order=True, slots=True)
class Declared:
    """One dependency a manifest names: `package` normalised (PEP 503 for Python)."""

    language: str  # python | javascript (the catalog's language keys)
    package: str
    path: str  # the manifest, relative to the root, forward slashes


def normalise(language: str, package: str) -> str:
    if language == "python":
        return re.sub(r"[-_.]+", "-", package).lower()
    return package.strip()


# ---------------------------------------------------------------- discovery


def manifest_kind(name: str) -> str | None:
    """The parser for a file name, or None when it is no manifest."""
    if REQUIREMENTS.match(name):
        return "requirements"
    if name in ("pyproject.toml", "Pipfile", "setup.cfg", "poetry.lock", "Pipfile.lock",
                "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
                "pnpm-lock.yaml"):
        return name
    return None


def find_manifests(root: Path, *, include_tests: bool = False) -> list[str]:
    """Manifest paths under `root`, relative and sorted; dependency and build folders
    are pruned (a package's own package.json in node_modules declares nothing of ours)."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info")
            and (include_tests or d not in TEST_DIRS)
        )
        for name in sorted(filenames):
            if manifest_kind(name):
                out.append(f"{rel_dir}/{name}" if rel_dir else name)
    return sorted(out)


def read_manifests(root: Path, *, include_tests: bool = False) -> list[Declared]:
    out: set[Declared] = set()
    for rel in find_manifests(root, include_tests=include_tests):
        path = root / rel
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            text = path.read_text("utf-8", "replace")
        except OSError:
            continue
        out |= set(parse_manifest(rel, text))
    return sorted(out)


# ---------------------------------------------------------------- parsers


def parse_manifest(rel: str, text: str) -> list[Declared]:
    """The dependencies one manifest declares; [] for anything unparsable."""
    kind = manifest_kind(rel.rsplit("/", 1)[-1])
    parser = PARSERS.get(kind or "")
    if parser is None:
        return []
    language = "javascript" if kind in ("package.json", *NODE_LOCKS) else "python"
    try:
        names = list(parser(text))
    except Exception:  # a malformed manifest is passed over, never a crash
        return []
    return sorted({Declared(language, normalise(language, n), rel) for n in names if n})


def _requirements(text: str) -> Iterable[str]:
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
        if egg:  # a VCS or URL requirement names its package this way
            yield egg.group(1)
            continue
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", "file:", ".")):
            continue
        if "://" in line and " @ " not in line:
            continue
        m = PY_NAME.match(line)
        if m:
            yield m.group(1)


def _pep508(specs: Iterable[Any]) -> Iterable[str]:
    for spec in specs:
        if isinstance(spec, str):
            m = PY_NAME.match(spec)
            if m:
                yield m.group(1)


def _toml(text: str) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli (a dependency there) is the same API
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            return {}
    return tomllib.loads(text)


def _pyproject(text: str) -> Iterable[str]:
    data = _toml(text)
    project = data.get("project") or {}
    yield from _pep508(project.get("dependencies") or ())
    for extra in (project.get("optional-dependencies") or {}).values():
        yield from _pep508(extra or ())
    for group in (data.get("dependency-groups") or {}).values():
        yield from _pep508(group or ())
    poetry = (data.get("tool") or {}).get("poetry") or {}
    for table in ("dependencies", "dev-dependencies"):
        yield from (k for k in (poetry.get(table) or {}) if k.lower() != "python")
    for group in (poetry.get("group") or {}).values():
        yield from (k for k in ((group or {}).get("dependencies") or {}) if k.lower() != "python")


def _pipfile(text: str) -> Iterable[str]:
    data = _toml(text)
    for table in ("packages", "dev-packages"):
        yield from (data.get(table) or {})


def _pipfile_lock(text: str) -> Iterable[str]:
    data = json.loads(text)
    for table in ("default", "develop"):
        yield from (data.get(table) or {})


def _poetry_lock(text: str) -> Iterable[str]:
    for pkg in _toml(text).get("package") or ():
        if isinstance(pkg, dict) and isinstance(pkg.get("name"), str):
            yield pkg["name"]


def _setup_cfg(text: str) -> Iterable[str]:
    """install_requires and extras_require of [options]: configparser-style, read by
    hand so interpolation and odd sections cannot fail the read."""
    section = key = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section, key = stripped[1:-1].strip(), ""
            continue
        value = stripped
        if not raw[:1].isspace():
            m = re.match(r"([^=:]+)[=:](.*)", line)
            if not m:
                continue
            key, value = m.group(1).strip(), m.group(2).strip()
        wanted = (section == "options" and key in ("install_requires", "setup_requires")) or (
            section == "options.extras_require")
        if wanted and value:
            yield from _pep508(v.strip() for v in value.split(";")[0].split(","))


def _package_json(text: str) -> Iterable[str]:
    data = json.loads(text)
    for table in ("dependencies", "devDependencies", "peerDependencies",
                  "optionalDependencies"):
        deps = data.get(table)
        if isinstance(deps, Mapping):
            yield from deps


def _package_lock(text: str) -> Iterable[str]:
    data = json.loads(text)
    for key in data.get("packages") or {}:
        if "node_modules/" in key:
            yield key.rsplit("node_modules/", 1)[1]
    yield from _lock_v1(data.get("dependencies") or {})


def _lock_v1(deps: Mapping[str, Any]) -> Iterable[str]:
    for name, info in deps.items():
        yield name
        if isinstance(info, Mapping):
            yield from _lock_v1(info.get("dependencies") or {})


YARN_ENTRY = re.compile(r'^"?((?:@[^@/"\s]+/)?[^@"\s,]+)@')


def _yarn_lock(text: str) -> Iterable[str]:
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            for part in line.rstrip(":").split(","):
                m = YARN_ENTRY.match(part.strip())
                if m:
                    yield m.group(1)


PNPM_KEY = re.compile(r"^\s{2,6}'?/?((?:@[^@/'\s]+/)?[^@/'\s:()]+)[@/:]")
PNPM_DEP = re.compile(r"^\s{4,8}'?((?:@[^@/'\s]+/)?[^@/'\s:]+)'?:")


def _pnpm_lock(text: str) -> Iterable[str]:
    """Keys of `packages:`/`snapshots:` (`/name@1.0.0`, `name@1.0.0`) and the names under
    importers' `dependencies:`; line-based so no YAML loader sees untrusted input."""
    section = ""
    for line in text.splitlines():
        if line and not line[0].isspace():
            section = line.rstrip(":").strip()
            continue
        if section in ("packages", "snapshots"):
            m = PNPM_KEY.match(line)
            if m and line.rstrip().endswith(":"):
                yield m.group(1)
        elif section in ("importers", "dependencies", "devDependencies",
                         "optionalDependencies"):
            m = PNPM_DEP.match(line) if section == "importers" else PNPM_KEY.match(line)
            if m and m.group(1) not in ("dependencies", "devDependencies",
                                        "optionalDependencies", "specifier", "version"):
                yield m.group(1)


PARSERS = {
    "requirements": _requirements,
    "pyproject.toml": _pyproject,
    "Pipfile": _pipfile,
    "Pipfile.lock": _pipfile_lock,
    "poetry.lock": _poetry_lock,
    "setup.cfg": _setup_cfg,
    "package.json": _package_json,
    "package-lock.json": _package_lock,
    "npm-shrinkwrap.json": _package_lock,
    "yarn.lock": _yarn_lock,
    "pnpm-lock.yaml": _pnpm_lock,
}


# ---------------------------------------------------------------- matching


def declared_vendors(declared: Iterable[Declared], vendors: Mapping[str, Mapping[str, Any]]
                     ) -> dict[str, list[tuple[str, str]]]:
    """vendor id -> sorted (manifest path, package) pairs, matching each dependency
    against the vendor's `packages` for the manifest's language only."""
    index: dict[tuple[str, str], set[str]] = {}
    for vid, v in vendors.items():
        for lang, spec in (v.get("languages") or {}).items():
            for pkg in spec.get("packages") or ():
                index.setdefault((lang, normalise(lang, str(pkg))), set()).add(vid)
    out: dict[str, set[tuple[str, str]]] = {}
    for d in declared:
        for vid in index.get((d.language, d.package), ()):
            out.setdefault(vid, set()).add((d.path, d.package))
    return {vid: sorted(pairs) for vid, pairs in sorted(out.items())}


def imported_vendors(imports: Mapping[str, Iterable[str]], catalog: Any) -> dict[str, list[str]]:
    """vendor id -> sorted files that import one of its SDK modules, from the per-file
    import specifiers of a scan (no resolution: a specifier names a vendor or not)."""
    out: dict[str, set[str]] = {}
    for rel, specs in imports.items():
        lang = "python" if rel.endswith((".py", ".pyi")) else "javascript"
        idx = catalog.languages.get(lang)
        if idx is None:
            continue
        for spec in specs:
            hit = None
            with contextlib.suppress(Exception):
                hit = idx.import_root(spec)
            if hit is not None:
                out.setdefault(hit[0], set()).add(rel)
    return {vid: sorted(files) for vid, files in sorted(out.items())}

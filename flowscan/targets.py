"""Which files a scan reads, and why every other file is left out.

In a git work tree the candidates are the tracked files plus the untracked ones git
does not ignore; elsewhere a walk that honours ``.gitignore`` files. ``.flowscanignore``
applies in both. Every file passed over is recorded with its reason.

What is accounted for: every candidate with a source extension the front ends read, or
a single-file component extension (.vue, .svelte), ends in the result as scanned,
partial or skipped with a reason. Other files (images, docs, lock files) are not
candidates and are not listed; nor are files git (or a .gitignore) ignores."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flowscan import gitlist
from flowscan.frontends import EXTENSIONS
from flowscan.frontends.prisma import is_schema
from flowscan.pickling import by_fields
from flowscan.sfc import SFC_EXTENSIONS

BUNDLER_CONFIG = re.compile(r"(svelte|vite)\.config\.(js|mjs|cjs|ts|mts)")

DEFAULT_MAX_BYTES = 2_000_000
SKIP_DIRS = {"node_modules", "dist", "build", "vendor", "vendors", "third_party",
             "bower_components", ".git", ".hg", ".svn", "__pycache__", ".venv", "venv",
             ".tox", ".nox", ".mypy_cache", ".pytest_cache", "site-packages", ".next",
             ".nuxt", "out", "coverage", ".flowscan-cache", "env", ".eggs"}
TEST_DIRS = {"tests", "test", "__tests__", "__mocks__", "spec", "specs", "testing", "e2e",
             "cypress", "fixtures"}
# a web framework's route tree: a `fixtures` folder there is a page or an endpoint (a
# league's `app/api/cron/fixtures/route.ts`), not test data
ROUTE_TREES = frozenset({"app", "pages", "routes", "api"})
TEST_FILE = re.compile(r"(^test_.*\.py$)|(_test\.py$)|(^conftest\.py$)|"
                       r"(\.(test|spec|stories|e2e)\.[cm]?[jt]sx?$)")
MINIFIED = re.compile(r"\.min\.[cm]?js$|[.-]bundle\.[cm]?js$|\.chunk\.[cm]?js$")
GENERATED = re.compile(r"(_pb2(_grpc)?\.pyi?$)|(\.pb\.[cm]?[jt]s$)|(_pb\.[cm]?[jt]s$)|"
                       r"(\.generated\.[cm]?[jt]sx?$)|(\.gen\.[cm]?[jt]sx?$)")
SOURCES = frozenset(EXTENSIONS) | frozenset(SFC_EXTENSIONS)  # what the front ends read
# any of the three: most names match none, and one search of them all tells so. Written
# out with the common `$` taken outside, as the three joined made the search three
# times slower (24 ms for a million lines' 10,000 names)
NAMED_APART = re.compile(
    r"^(?:test_.*\.py|conftest\.py)$|(?:_test\.py|\.(?:test|spec|stories|e2e)\.[cm]?[jt]sx?"
    r"|\.min\.[cm]?js|[.-]bundle\.[cm]?js|\.chunk\.[cm]?js|_pb2(?:_grpc)?\.pyi?"
    r"|\.pb\.[cm]?[jt]s|_pb\.[cm]?[jt]s|\.(?:generated|gen)\.[cm]?[jt]sx?)$")


@by_fields  # (a frozen slotted dataclass unpickles field by field in Python: the
@dataclass(frozen=True, slots=True)  # 2,600 skips kept in `Verdicts` took 25 ms)
class Skip:
    path: str
    reason: str


@dataclass
class Targets:
    root: Path
    files: list[str] = field(default_factory=list)  # relative, forward slashes, sorted
    skipped: list[Skip] = field(default_factory=list)
    tsconfigs: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)  # Prisma schemas (their models)
    stats: dict[str, os.stat_result] = field(default_factory=dict)  # of `files`, for the cache
    verdicts: Verdicts | None = None  # on the tracked files, for the next run to take


def prefetch(path: Path) -> None:
    """Start git listing the files under `path`'s scan root now, for `discover` to
    collect: git takes 50 ms on a 2,400-file repository, which a pre-commit run spends
    meanwhile on its imports, configuration and catalog instead of waiting."""
    gitlist.prefetch(str(_directory(path.resolve())))


def _directory(path: Path) -> Path:
    """A scan root: the path, or the directory of a file."""
    return path if path.is_dir() else path.parent


def _walk(root: Path) -> list[str]:
    import pathspec

    files: list[str] = []
    specs: list[tuple[str, pathspec.PathSpec]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        if ".gitignore" in filenames:
            try:
                text = (Path(dirpath) / ".gitignore").read_text("utf-8", "replace")
                specs.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(text.splitlines())))
            except OSError:
                pass
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and not _ignored(
            specs, f"{rel_dir}/{d}/" if rel_dir else f"{d}/"))
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not _ignored(specs, rel):
                files.append(rel)
    return files


def _ignored(specs: list[tuple[str, object]], rel: str) -> bool:
    for base, spec in specs:
        if base and not rel.startswith(base + "/"):
            continue
        sub = rel[len(base) + 1:] if base else rel
        if spec.match_file(sub):  # type: ignore[attr-defined]
            return True
    return False


def scan_root(paths: list[Path]) -> Path:
    """The root `discover` scans under for these paths (resolved)."""
    root = _directory(paths[0])
    if any(not p.is_relative_to(root) for p in paths[1:]):
        root = _directory(Path(os.path.commonpath([str(p) for p in paths])))
    return root


def discover(paths: list[Path], *, include_tests: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
             exclude: list[str] | None = None, remembered: object = None) -> Targets:
    """Targets under the first path's root; other paths narrow the selection. Paths
    that do not share it (`scan api/ web/`) are each a selection under their common
    ancestor. `remembered`: the `Verdicts` an earlier run kept (the result's
    `verdicts`), taken instead of sorting the tracked files again when they and the
    options are the same."""
    resolved = [p.resolve() for p in paths]
    first = resolved[0]
    root = scan_root(resolved)
    ignore_lines = list(exclude or ())
    ignore_file = root / ".flowscanignore"
    if ignore_file.is_file():
        ignore_lines += ignore_file.read_text("utf-8", "replace").splitlines()
    ignore = None
    if ignore_lines:
        import pathspec  # only then: importing it costs a pre-commit run 15 ms

        ignore = pathspec.GitIgnoreSpec.from_lines(ignore_lines)
    wanted = None
    if first.is_file() or len(paths) > 1:
        wanted = set()
        for rp in resolved:
            try:
                wanted.add(rp.relative_to(root).as_posix())
            except ValueError:
                continue
    gitlist.prefetch(str(root))  # (unless started already, as it usually is)
    listing = gitlist.take(str(root))
    sorter = _Sorter(root, include_tests, max_bytes, ignore, wanted)
    if listing is not None:
        options = (str(root), include_tests, ignore_lines)
        for index, part in enumerate(listing.parts((root / ".git").exists())):
            if part is None:  # git failed: the walk, from the start
                sorter = _Sorter(root, include_tests, max_bytes, ignore, wanted)
                break
            if index == 0 and wanted is None:  # the tracked files (a scan of a few
                # paths keeps no verdicts)
                sorter.tracked(part, options, remembered)
            else:
                sorter.take(part)
        else:
            return sorter.done()
    sorter.take(_walk(root))
    return sorter.done()


@by_fields
@dataclass(frozen=True, slots=True)
class Verdicts:
    """What discovery decided of the tracked files by their names alone. A pre-commit
    run on a million lines sorted 14,000 names again each time (0.1 s); the list git
    keeps changes only when a file is added or removed. What a name cannot tell is
    checked again on every run: the stat of each source file, and the directories
    named vendor/ whose verdict depends on an `__init__.py`."""

    digest: str  # of the tracked files' names and the options that sort them
    to_stat: tuple[str, ...]  # sources that no name rule skips
    skips: tuple[Skip, ...]  # sources a name rule skips
    configs: tuple[str, ...]  # path aliases to read (`config_file`)
    schemas: tuple[str, ...]
    vendor_dirs: tuple[tuple[str, tuple[str, bool]], ...]  # their verdicts then


class _Sorter:
    """Sorts candidate files into targets and skipped ones, a batch at a time: their
    names first (`take`), then the stat of the sources no name rule skips (`done`)."""

    def __init__(self, root: Path, include_tests: bool, max_bytes: int, ignore: object,
                 wanted: set[str] | None) -> None:
        self.root = root
        self.include_tests = include_tests
        self.max_bytes = max_bytes
        self.ignore = ignore
        self.wanted = wanted
        self.targets = Targets(root)
        self.seen: set[str] = set()
        self.dirs: dict[str, tuple[str, bool]] = {}  # a directory's verdict, for its files
        self.prefix = os.path.join(str(root), "")
        self.to_stat: list[str] = []
        self.skips: list[Skip] = []
        self.configs: list[str] = []
        self.schemas: list[str] = []

    def tracked(self, part: list[str], options: tuple[object, ...],
                remembered: object) -> None:
        """The tracked files: as `remembered` sorted them, when it is of the same names
        and options and its vendor/ directories still have their verdicts."""
        names = hashlib.blake2b(pickle.dumps(options, protocol=5), digest_size=16)
        names.update("\0".join(part).encode("utf-8", "surrogateescape"))  # (4x faster
        digest = names.hexdigest()  # than pickling the 14,000 names of a million lines)
        if isinstance(remembered, Verdicts) and remembered.digest == digest and all(
                _dir_verdict(self.root, rel_dir) == verdict
                for rel_dir, verdict in remembered.vendor_dirs):
            self.to_stat += remembered.to_stat
            self.skips += remembered.skips
            self.configs += remembered.configs
            self.schemas += remembered.schemas
            self.targets.verdicts = remembered
            return
        self.take(part)
        self.targets.verdicts = Verdicts(
            digest, tuple(self.to_stat), tuple(self.skips), tuple(self.configs),
            tuple(self.schemas), tuple((rel_dir, verdict) for rel_dir, verdict in
                                       self.dirs.items() if _names_vendor(rel_dir)))

    def take(self, candidates: Iterable[str]) -> None:
        wanted, seen, to_stat, skips = self.wanted, self.seen, self.to_stat, self.skips
        for rel in candidates:  # a million lines are 15,000 candidates: kept tight
            if rel in seen:
                continue
            seen.add(rel)
            if wanted is not None and not any(rel == w or rel.startswith(w + "/")
                                              for w in wanted):
                continue
            name = rel[rel.rfind("/") + 1:]
            dot = name.rfind(".")
            ext = name[dot:].lower() if dot >= 0 else ""
            if ext not in SOURCES:
                self.config_file(rel, name)
                continue
            if ".config." in name:  # svelte.config.js: aliases, and source as well
                self.config_file(rel, name)
            reason = self.reason(rel, name)
            if reason:
                skips.append(Skip(rel, reason))
            else:
                to_stat.append(rel)

    def config_file(self, rel: str, name: str) -> None:
        """Path aliases (analysis/resolve.py) and Prisma schemas, read in `done`: not
        the dependencies' own package files (node_modules/) nor the copy Prisma
        generates into node_modules/.prisma."""
        if alias_config(name) and (name != "package.json"
                                   or not self.verdict(rel, name)[0]):
            self.configs.append(rel)
        elif is_schema(name) and not self.verdict(rel, name)[0]:
            self.schemas.append(rel)

    def verdict(self, rel: str, name: str) -> tuple[str, bool]:
        """The verdict on the directory of `rel` (whose file name is `name`), once per
        directory."""
        rel_dir = rel[: len(rel) - len(name) - 1] if len(rel) > len(name) else ""
        found = self.dirs.get(rel_dir)
        if found is None:
            found = self.dirs[rel_dir] = _dir_verdict(self.root, rel_dir)
        return found

    def reason(self, rel: str, name: str) -> str:
        """Why a source file is skipped by its name or directory; "" when it is not."""
        if self.ignore is not None and self.ignore.match_file(rel):  # type: ignore[attr-defined]
            return "ignored by .flowscanignore or --exclude"
        skipped_dir, test_dir = self.verdict(rel, name)
        if skipped_dir:
            return skipped_dir
        if name.endswith((".d.ts", ".d.mts", ".d.cts")):
            return "type declarations (.d.ts)"
        apart = NAMED_APART.search(name) is not None
        if apart and MINIFIED.search(name):
            return "minified or bundled"
        if apart and GENERATED.search(name):
            return "generated code (by its name)"
        if not self.include_tests and (test_dir or (apart and TEST_FILE.search(name))):
            return "test code (use --include-tests)"
        return ""

    def stat_reason(self, rel: str) -> str:
        """Why a source file no name rule skips is skipped after all; "" when it is
        scanned (its stat kept, for the cache)."""
        path = self.prefix + rel
        try:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = Path(path).resolve(strict=True)
                except RuntimeError:  # a loop, on Pythons that do not raise OSError
                    return "unreadable: symlink loop"
                try:
                    target.relative_to(self.root)
                except ValueError:
                    return "symlink outside the scan root"
                info = os.stat(path)
        except OSError as exc:
            return f"unreadable: {exc.strerror or exc}"
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the reader for ever
            return "not a regular file"
        size = info.st_size
        if size > self.max_bytes:
            return f"too large ({size} bytes > {self.max_bytes})"
        self.targets.stats[rel] = info
        return ""

    def done(self) -> Targets:
        """The targets, in path order whatever order the batches came in."""
        t, root = self.targets, self.root
        lstat, regular, most, prefix, stats = (
            os.lstat, stat.S_ISREG, self.max_bytes, self.prefix, t.stats)
        for rel in self.to_stat:  # (a million lines: 7,000 files, each stat kept tight)
            try:
                info = lstat(prefix + rel)
            except OSError:
                info = None
            if info is not None and regular(info.st_mode) and info.st_size <= most:
                stats[rel] = info
                t.files.append(rel)
                continue
            reason = self.stat_reason(rel)  # (a symlink, or skipped: says why)
            if reason:
                self.skips.append(Skip(rel, reason))
            else:
                t.files.append(rel)
        t.skipped = self.skips
        for rel in self.configs:
            with contextlib.suppress(OSError):
                t.tsconfigs[rel] = (root / rel).read_text("utf-8", "replace")
        for rel in self.schemas:
            with contextlib.suppress(OSError):
                t.schemas[rel] = (root / rel).read_text("utf-8", "replace")
        t.files.sort()
        t.skipped.sort(key=lambda s: s.path)
        t.tsconfigs = dict(sorted(t.tsconfigs.items()))
        t.schemas = dict(sorted(t.schemas.items()))
        return t


def _names_vendor(rel_dir: str) -> bool:
    """A directory whose verdict may depend on an `__init__.py` (`_project_package`)."""
    return any(part in ("vendor", "vendors") for part in rel_dir.split("/"))


SOURCE_ROOTS = frozenset({"src", "app", "server", "backend", "api", "services", "lib"})


def _project_package(root: Path, parts: list[str]) -> bool:
    """`app/vendors/` with an `__init__.py`, or `src/vendors/` (a module per vendor SDK
    the app wraps), is the project's own integration code, not vendored dependencies
    (those live in a top-level `vendor/`, `public/vendor/`, `static/vendor/`)."""
    return parts[-1] in ("vendor", "vendors") and (
        _has_init(str(root), "/".join(parts)) or bool(SOURCE_ROOTS & set(parts[:-1])))


def _has_init(root: str, rel_dir: str) -> bool:
    """(Asked again by each discovery: a kept `Verdicts` is checked against it.)"""
    return os.path.isfile(os.path.join(root, rel_dir, "__init__.py"))


def alias_config(name: str) -> bool:
    """A file whose path aliases the resolver reads: tsconfig*.json, svelte/vite config,
    and package.json (a monorepo's workspace packages, by name)."""
    if name == "package.json":
        return True
    if name.startswith("tsconfig"):
        return name == "tsconfig.json" or (name.startswith("tsconfig.") and name.endswith(".json"))
    return ".config." in name and BUNDLER_CONFIG.fullmatch(name) is not None


def _dir_verdict(root: Path, rel_dir: str) -> tuple[str, bool]:
    """Why every file of a directory is skipped (dependencies, build output), and
    whether it is test code."""
    parts = rel_dir.split("/") if rel_dir else []
    skip_dir = next((p for i, p in enumerate(parts) if (p in SKIP_DIRS or p.endswith(
        ".egg-info")) and not _project_package(root, parts[: i + 1])), None)
    reason = f"in {skip_dir}/ (dependencies or build output)" if skip_dir else ""
    return reason, any(p in TEST_DIRS and not (p == "fixtures" and ROUTE_TREES.intersection(
        parts[:i])) for i, p in enumerate(parts))

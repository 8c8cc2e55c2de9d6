"""Per-file work, run in worker processes: read, decode, parse, read the cheap facts
(imports, comments, error spans) and lower to IR when the file can matter."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from pathlib import Path

from flowscan import ir
from flowscan.catalog import Catalog, load_catalog
from flowscan.frontends import frontend_for
from flowscan.model import FileOutcome, Span

COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


@dataclass(slots=True)
class FileFacts:
    """What a worker sends back for one file."""

    outcome: FileOutcome
    imports: tuple[str, ...] = ()
    module: ir.Module | None = None
    direct: bool = False  # touches a vendor itself: always analysed
    source: bytes = b""  # kept only for files that may need lowering later


# ---------------------------------------------------------------- decoding


def decode(data: bytes, python: bool) -> tuple[bytes | None, str]:
    """UTF-8 bytes for tree-sitter, or None and why not."""
    if b"\0" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, "binary (NUL bytes)"
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc).encode("utf-8"), ""
            except UnicodeDecodeError:
                return None, f"undecodable ({enc})"
    try:
        data.decode("utf-8")
        return data, ""
    except UnicodeDecodeError:
        pass
    if python:
        for line in data.split(b"\n", 2)[:2]:
            m = COOKIE.match(line)
            if m:
                try:
                    return data.decode(m.group(1).decode("ascii")).encode("utf-8"), ""
                except (LookupError, UnicodeDecodeError):
                    return None, "undecodable (bad coding cookie)"
    return None, "undecodable (not UTF-8)"


def looks_minified(data: bytes) -> bool:
    if len(data) < 20_000:
        return False
    lines = data.count(b"\n") + 1
    return len(data) / lines > 500


# ---------------------------------------------------------------- workers

_CATALOG: Catalog | None = None



def init_worker(rules_dir: Path | None) -> None:
    global _CATALOG
    _CATALOG = load_catalog(rules_dir)


def _vendor_hints(catalog: Catalog) -> tuple[dict[str, set[str]], re.Pattern[bytes] | None]:
    roots: dict[str, set[str]] = {}
    words: set[str] = set()
    for lang, idx in catalog.languages.items():
        roots[lang] = set(idx.imports)
        words |= set(idx.globals)
    words |= set(catalog.hosts())
    if not words:
        return roots, None
    alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return roots, re.compile(rb"(?<![\w$])(?:" + alt.encode() + rb")(?![\w$])")


_HINTS: tuple[dict[str, set[str]], re.Pattern[bytes] | None] | None = None


def read_file(root: str, rel: str, lower_all: bool) -> FileFacts:
    """Runs in a worker: read, decode, parse, and lower when the file matters."""
    global _HINTS
    catalog = _CATALOG
    assert catalog is not None
    if _HINTS is None:
        _HINTS = _vendor_hints(catalog)
    fe = frontend_for(rel)
    assert fe is not None
    try:
        data = (Path(root) / rel).read_bytes()
    except OSError as exc:
        return FileFacts(FileOutcome(rel, "skipped", fe.name,
                                     f"unreadable: {exc.strerror or exc}"))
    source, why = decode(data, fe.language == "python")
    if source is None:
        return FileFacts(FileOutcome(rel, "skipped", fe.name, why))
    if fe.language == "javascript" and looks_minified(source):
        return FileFacts(FileOutcome(rel, "skipped", fe.name, "minified (very long lines)"))
    lines = source.count(b"\n") + 1
    try:
        parsed = fe.parse(source, rel)
        imports = fe.imports(parsed)
    except Exception as exc:  # a grammar bug must not end the scan
        return FileFacts(FileOutcome(rel, "skipped", fe.name, f"parser failure: {exc}"))
    errors = tuple(Span(rel, *p) for p in parsed.errors)
    status = "partial" if errors else "scanned"
    reason = f"{len(errors)} syntax error region(s), recovered" if errors else ""
    outcome = FileOutcome(rel, status, fe.name, reason, errors, lines)
    roots, words = _HINTS
    lang_roots = roots.get(fe.language, set())
    direct = any(_has_root(spec, lang_roots) for spec in imports) or (
        words is not None and words.search(source) is not None)
    if direct or lower_all:
        try:
            module = fe.lower(parsed)
        except RecursionError:
            return FileFacts(replace(outcome, status="partial",
                                     reason="too deeply nested: analysed in part"), imports)
        return FileFacts(outcome, imports, module, direct)
    has_local = any(s.startswith(".") for s in imports) or fe.language == "python"
    return FileFacts(outcome, imports, None, False, source if has_local else b"")


def _has_root(spec: str, roots: set[str]) -> bool:
    if spec in roots:
        return True
    for sep in (".", "/"):
        parts = spec.split(sep)
        for n in range(len(parts) - 1, 0, -1):
            if sep.join(parts[:n]) in roots:
                return True
    return False


def lower_again(root: str, rel: str, source: bytes) -> ir.Module | None:
    fe = frontend_for(rel)
    if fe is None:
        return None
    try:
        return fe.lower(fe.parse(source, rel))
    except RecursionError:
        return None


def use_catalog(catalog: Catalog) -> None:
    global _CATALOG, _HINTS
    _CATALOG = catalog
    _HINTS = None

"""A content-addressed cache of per-file facts, lowered modules and analysis results,
so that a re-scan pays only for what changed.

Layout (``.flowscan-cache/`` under the scan root, or the user cache dir when the root is
not writable)::

    <dir>/<flowscan code fingerprint>-<catalog digest>/index.pkl   path -> stat, key, facts
                                                       /delta.pkl  entries changed since
                                                                   (while they are few)
                                                       /blobs/ab/<key>  lowered modules
                                                       /results/<key>   analysis results

Why it can be trusted: every key covers what the value depends on (file content and
path; flowscan's own code, not just its version; the rules), so nothing is ever read
across versions or rules. Every file is written to a temporary name and renamed, so a
concurrent run sees the old or the new file, never half of one. Every blob carries an
MAC (keyed BLAKE2b) under a per-user secret kept outside the repository, so a cache directory
committed or planted in a repository is never unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import mmap
import os
import pickle
import struct
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flowscan.pickling import PackedStore

DIR_NAME = ".flowscan-cache"
MAX_BYTES = 512 * 1024 * 1024  # blobs above this are pruned, oldest first
RESULTS_KEPT = 8
RACY_NS = 2_000_000_000  # a file modified this close to the index write is re-hashed
STALE_SECONDS = 24 * 3600  # other versions' directories are removed after a day
GC_EVERY = 256  # new blobs between two size checks
DELTA_MIN = 64  # changed entries saved beside the index, not in it, up to this (or 2%)


def user_cache_dir() -> Path:
    """FLOWSCAN_CACHE_DIR, else $XDG_CACHE_HOME/flowscan (shared with the catalog)."""
    from flowscan.catalog import cache_home

    return cache_home()


@cache
def _secret() -> bytes | None:
    """A per-user random key, created once: blobs signed with it cannot come from a
    repository. None when it cannot be stored (then nothing is cached)."""
    home = user_cache_dir()
    path = home / "secret.key"
    try:
        return path.read_bytes()
    except OSError:
        pass
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) == 32 else None


@cache
def code_fingerprint() -> str:
    """A hash of flowscan's own code and queries: a development change invalidates the
    cache even when __version__ stays the same."""
    from flowscan import __version__

    h = hashlib.blake2b(__version__.encode(), digest_size=8)
    pkg = Path(__file__).resolve().parent
    for p in sorted(pkg.rglob("*")):
        if p.suffix in (".py", ".scm") and "__pycache__" not in p.parts:
            with contextlib.suppress(OSError):
                h.update(p.relative_to(pkg).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------- signed blobs


def _mac(secret: bytes, payload: bytes | memoryview) -> bytes:
    """HMAC-SHA256 in OpenSSL's one-shot call: with the SHA extensions that x86 server
    CPUs (since 2017-2019) and 64-bit ARM ones have, it is 2.2x faster than keyed
    BLAKE2b (70 MB, the stored state of a million lines: 50 against 115 ms). It runs
    on the read-ahead thread, beside the pre-commit run's discovery and git."""
    return hmac.digest(secret, payload, "sha256")


def _verify(data: bytes | mmap.mmap) -> memoryview | None:
    secret = _secret()
    if secret is None or len(data) < 32:
        return None
    payload = memoryview(data)[32:]
    good = _mac(secret, payload)
    return payload if hmac.compare_digest(data[:32], good) else None


MAP_FROM = 1 << 20  # a file this large is mapped, not read into memory


def _read(path: str) -> memoryview | None:
    """A signed file's payload, verified. A large one (the index, the stored state) is
    mapped: the values `_unpack` hands out are views of the page cache, not copies.
    (flowscan replaces a cache file, never writes into one; a process that could
    would run as the user, who can read the key and sign anything anyway.)"""
    with open(path, "rb") as f:
        if os.name == "posix" and os.fstat(f.fileno()).st_size >= MAP_FROM:
            with contextlib.suppress(OSError, ValueError):  # (a file system that cannot)
                return _verify(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        return _verify(f.read())


# the payload: the stream's length and the number of buffers, each buffer's length, the
# pickle stream, then the buffers it keeps apart (pickling.out_of_band; protocol 5)
_HEADER = struct.Struct("<QI")


def _pack(obj: Any) -> list[bytes | memoryview]:
    buffers: list[pickle.PickleBuffer] = []
    stream = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL,
                          buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    return [_HEADER.pack(len(stream), len(views)),
            struct.pack(f"<{len(views)}Q", *(v.nbytes for v in views)), stream, *views]


def _unpack(payload: memoryview) -> Any:
    size, count = _HEADER.unpack_from(payload)
    at = _HEADER.size + 8 * count
    ends = list(itertools.accumulate(struct.unpack_from(f"<{count}Q", payload, _HEADER.size),
                           initial=at + size))
    if ends[-1] != len(payload):
        raise ValueError("flowscan cache: a payload of the wrong length")
    return pickle.loads(payload[at:at + size], buffers=[
        payload[start:end] for start, end in itertools.pairwise(ends)])


def write_atomic(path: Path, *chunks: bytes | memoryview) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temporary(path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


def _temporary(directory: Path) -> tuple[int, str]:
    """A new file beside the final one, as `tempfile.mkstemp` makes it (importing
    tempfile, with shutil, random and the compressors, cost a pre-commit run 12 ms)."""
    while True:
        tmp = os.path.join(directory, f".tmp-{os.urandom(6).hex()}")
        try:
            return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue


def dump(path: Path, obj: Any) -> bool:
    """Store `obj`; False (nothing cached) when it cannot be pickled: a cache miss is
    never a reason to fail a scan."""
    secret = _secret()
    if secret is None:
        return False
    try:
        payload = b"".join(_pack(obj))
    except (RecursionError, pickle.PicklingError, TypeError, AttributeError):
        return False
    return write_atomic(path, _mac(secret, payload), payload)


def load(path: str | Path) -> Any:
    """The object, or None when missing, unsigned, truncated or unreadable."""
    try:
        ahead = _AHEAD.pop(str(path), None)
        if ahead is not None:
            ahead.join()
            payload = ahead.payload
        else:
            payload = _read(str(path))
        return None if payload is None else _unpack(payload)
    except Exception:  # a damaged entry is a miss, never a crash
        return None


class _ReadAhead(threading.Thread):
    """One file read and its MAC checked on a thread: both release the GIL, so a
    pre-commit run does them beside its discovery instead of after it (the index and
    the stored state are 16 MB on formbricks: 35-45 ms)."""

    def __init__(self, path: str) -> None:
        super().__init__(name="flowscan-read-ahead", daemon=True)
        self.path = path
        self.payload: memoryview | None = None

    def run(self) -> None:
        with contextlib.suppress(Exception):  # (or a miss)
            self.payload = _read(self.path)


_AHEAD: dict[str, _ReadAhead] = {}  # path -> its read, taken by the first `load` of it


def read_ahead(paths: list[Path]) -> None:
    for path in map(str, paths):
        if path not in _AHEAD and os.path.exists(path):
            ahead = _AHEAD[path] = _ReadAhead(path)
            ahead.start()


def drop_reads_ahead() -> None:
    """Reads no `load` took (the run's key named another state): their bytes go."""
    for ahead in _AHEAD.values():
        ahead.join()
    _AHEAD.clear()


def _blob_path(store: str | Path, key: str) -> str:
    """A string, not a Path: a resumed run reads a thousand blobs, and building
    Paths for them cost more than reading them."""
    return os.path.join(store, "blobs", key[:2], key)


def put_blob(store: str, key: str, obj: Any) -> bool:
    """Called from worker processes: store a lowered module under its content key."""
    return dump(Path(_blob_path(store, key)), obj)


# ---------------------------------------------------------------- the cache


# an index entry: (size, mtime_ns, facts), facts being workers.FileFacts without its
# module. A plain tuple: the index of a million lines holds 7,000, and a class loaded
# 7 ms slower in every run
Entry = tuple[int, int, Any]


@dataclass
class FactCache:
    store: Path
    index: dict[str, Entry] = field(default_factory=dict)
    stamp_ns: int = 0  # when the index was written
    new_blobs: int = 0
    dirty: bool = False
    # import resolution memo, file -> {specifier: target}, valid for one file list;
    # each file's answers unpickled when first asked for: a pre-commit run asks about
    # a few files, and the 42,000 answers of a million lines took 26 ms to load whole
    resolved: PackedStore = field(default_factory=PackedStore)
    resolved_for: str = ""
    # what changed since index.pkl was written (None: dropped): saved on its own when
    # small, so that a run that re-read a few files does not rewrite the whole index
    changed: dict[str, Entry | None] = field(default_factory=dict)
    # the answers added since index.pkl was written, saved beside it as `changed` is
    resolved_new: dict[tuple[str, str], str | None] = field(default_factory=dict)
    base_resolved_for: str = ""  # resolved_for as index.pkl has it

    @classmethod
    def open(cls, root: Path, digest: str, cache_dir: Path | None = None) -> FactCache | None:
        """The cache for this root and rules, or None when no directory is usable."""
        if _secret() is None:
            return None
        base = cache_dir or default_dir(root)
        store = _store(base, digest)
        try:
            store.mkdir(parents=True, exist_ok=True)
            _mark(base)
        except OSError:
            return None
        meta = load(store / "index.pkl")
        out = cls(store)
        if isinstance(meta, dict) and isinstance(meta.get("index"), dict):
            out.index = meta["index"]
            out.stamp_ns = int(meta.get("stamp_ns", 0))
            out.new_blobs = int(meta.get("new_blobs", 0))
            resolved = meta.get("resolved")
            if isinstance(resolved, PackedStore):
                out.resolved = resolved
            out.resolved_for = out.base_resolved_for = str(meta.get("resolved_for", ""))
            out.apply_delta(load(store / "delta.pkl"))
        _remove_stale_siblings(base, store)
        return out

    @staticmethod
    def read_ahead(root: Path, digest: str, cache_dir: Path | None = None) -> None:
        """Start reading what `open` and a resumed analysis load first: the index, its
        delta and the newest stored state (the one a pre-commit run resumes from, unless
        a scan with other options stored one since; then that read is wasted)."""
        if _secret() is None:
            return
        store = _store(cache_dir or default_dir(root), digest)
        wanted = [store / LISTING, store / "index.pkl", store / "delta.pkl"]
        with contextlib.suppress(OSError), os.scandir(store / "results") as entries:
            states = [(e.stat().st_mtime_ns, e.path) for e in entries
                      if e.name.endswith(".state")]
            if states:
                wanted.append(Path(max(states)[1]))
        read_ahead(wanted)

    @staticmethod
    def listing(root: Path, digest: str, cache_dir: Path | None = None) -> Any:
        """What discovery kept of the tracked files last time (targets.Verdicts), read
        before the cache is opened: discovery decides the root it opens."""
        if _secret() is None:
            return None
        return load(_store(cache_dir or default_dir(root), digest) / LISTING)

    def put_listing(self, verdicts: Any) -> None:
        dump(self.store / LISTING, verdicts)

    def apply_delta(self, delta: Any) -> None:
        """The changes saved since index.pkl, if they were made on top of it. Their
        entries are never trusted by stat (the index's write time stays the stamp), so
        those few files are hashed again each run, but not parsed."""
        if not (isinstance(delta, dict) and delta.get("base_stamp") == self.stamp_ns
                and isinstance(delta.get("changed"), dict)):
            return
        for rel, e in delta["changed"].items():
            if e is None:
                self.index.pop(rel, None)
            else:
                self.index[rel] = e
        self.changed = dict(delta["changed"])
        for (rel, spec), target in (delta.get("resolved") or {}).items():
            self.answer(rel, spec, target)
        self.new_blobs = int(delta.get("new_blobs", self.new_blobs))

    def known_key(self, rel: str) -> str:
        """The content key the index last saw for `rel` ("" if none): a file `hits`
        does not trust is hashed again, and parsed only if its key changed."""
        e = self.index.get(rel)
        return "" if e is None else e[2].key

    def hits(self, rels: Iterable[str], stats: Mapping[str, os.stat_result | None]
             ) -> dict[str, Any]:
        """The facts of the files `rels` whose stat matches and is safely older than
        the index, in one loop (a million lines: 7,000 files, 5 ms less than a call
        each)."""
        index, before = self.index, self.stamp_ns - RACY_NS
        out: dict[str, Any] = {}
        for rel in rels:
            st = stats.get(rel)
            e = index.get(rel)
            if e is not None and st is not None and e[0] == st.st_size \
                    and e[1] == st.st_mtime_ns and e[1] < before:
                out[rel] = e[2]
        return out

    def record(self, rel: str, st: os.stat_result | None, facts: Any) -> None:
        if st is None or not facts.key:
            self.index.pop(rel, None)
            self.changed[rel] = None
        else:
            self.index[rel] = self.changed[rel] = (st.st_size, st.st_mtime_ns, facts)
            if facts.lowered:
                self.new_blobs += 1
        self.dirty = True

    def answers(self, rel: str) -> dict[str, str | None]:
        """The import questions of file `rel` answered so far: specifier -> target."""
        return self.resolved.get(rel) or {}

    def answer(self, rel: str, spec: str, target: str | None) -> None:
        """A new answer: a file's answers are replaced whole, never changed in place
        (a PackedStore pickles a value read and not replaced as the bytes it came as)."""
        self.resolved[rel] = {**self.answers(rel), spec: target}
        self.resolved_new[(rel, spec)] = target

    def forget_answers(self, resolved_for: str) -> None:
        """The file list changed: every answer may have."""
        self.resolved, self.resolved_for = PackedStore(), resolved_for
        self.resolved_new = {}
        self.dirty = True

    def forget(self, keep: set[str]) -> None:
        """Drop entries for files no longer scanned."""
        gone = [rel for rel in self.index if rel not in keep]
        for rel in gone:
            del self.index[rel]
            self.changed[rel] = None
        self.dirty = self.dirty or bool(gone)

    def module(self, key: str) -> Any:
        return load(_blob_path(self.store, key))

    def put_module(self, key: str, module: Any) -> bool:
        return dump(Path(_blob_path(self.store, key)), module)

    def result(self, key: str) -> Any:
        return load(self.store / "results" / key)

    def put_result(self, key: str, value: Any) -> None:
        results = self.store / "results"
        if dump(results / key, value):
            _keep_newest(results, RESULTS_KEPT)

    def save(self) -> None:
        if not self.dirty:
            return
        if self.new_blobs >= GC_EVERY:
            self.collect_garbage()
        small = len(self.changed) + len(self.resolved_new) <= max(DELTA_MIN,
                                                                  len(self.index) // 50)
        if self.stamp_ns and small and self.base_resolved_for == self.resolved_for:
            dump(self.store / "delta.pkl", {
                "base_stamp": self.stamp_ns, "changed": self.changed,
                "new_blobs": self.new_blobs, "resolved": self.resolved_new})
        else:
            dump(self.store / "index.pkl", {"index": self.index, "stamp_ns": time.time_ns(),
                                            "new_blobs": self.new_blobs,
                                            "resolved": self.resolved,
                                            "resolved_for": self.resolved_for})
            with contextlib.suppress(OSError):
                (self.store / "delta.pkl").unlink()
        self.dirty = False

    def collect_garbage(self, max_bytes: int = MAX_BYTES) -> None:
        """Blobs no entry names (old versions of edited files) go first, then the oldest
        ones until the store is under `max_bytes`. Young blobs are left alone: a
        concurrent run may have just written them."""
        live = {facts.key for _, _, facts in self.index.values()}
        young = time.time() - 3600
        blobs: list[tuple[float, int, Path]] = []
        for p in (self.store / "blobs").glob("*/*"):
            with contextlib.suppress(OSError):
                st = p.stat()
                if p.name not in live and st.st_mtime < young:
                    p.unlink()
                    continue
                blobs.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in blobs)
        for _, size, p in sorted(blobs):
            if total <= max_bytes:
                break
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
        self.new_blobs = 0


LISTING = "listing.pkl"


def _store(base: Path, digest: str) -> Path:
    return base / f"{code_fingerprint()}-{digest}"


def default_dir(root: Path) -> Path:
    """`.flowscan-cache/` in the scan root when it is writable, else a directory per
    root in the user cache dir."""
    local = root / DIR_NAME
    if local.is_dir() and os.access(local, os.W_OK) or not local.exists() \
            and os.access(root, os.W_OK):
        return local
    tag = hashlib.blake2b(str(root).encode("utf-8", "surrogateescape"),
                          digest_size=8).hexdigest()
    return user_cache_dir() / "roots" / tag


def _mark(base: Path) -> None:
    """Keep the directory out of git and out of backups, as pytest does."""
    ignore = base / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, b"# created by flowscan\n*\n")
    tag = base / "CACHEDIR.TAG"
    if not tag.exists():
        write_atomic(tag, b"Signature: 8a477f597d28d172789f06886806bc55\n"
                          b"# This is a cache directory created by flowscan.\n")


def _remove_stale_siblings(base: Path, current: Path) -> None:
    cutoff = time.time() - STALE_SECONDS
    with contextlib.suppress(OSError):
        for d in base.iterdir():
            if d.is_dir() and d != current and "-" in d.name:
                with contextlib.suppress(OSError):
                    if d.stat().st_mtime < cutoff and (d / "index.pkl").stat().st_mtime < cutoff:
                        import shutil

                        shutil.rmtree(d, ignore_errors=True)


def _keep_newest(directory: Path, n: int) -> None:
    with contextlib.suppress(OSError):
        files = sorted(directory.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for p in files[n:]:
            with contextlib.suppress(OSError):
                p.unlink()

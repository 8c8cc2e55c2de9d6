"""Bounded work per file. A repository may hold anything: a 2 MB file of random
punctuation takes tree-sitter's Python grammar over a minute, thousands of unclosed
brackets make its queries quadratic, and lowering recurses once per nesting level. Each
of those ends as a reported outcome for that file, never as a hang or a crash.

Three guards, cheapest first: a nesting pre-check on the bytes (before tree-sitter sees
them), a deadline that cancels tree-sitter's parse from its progress callback, and a
SIGALRM timer that interrupts the Python parts (queries in C finish first; the nesting
pre-check is what keeps those short). The limits travel to worker processes through
the environment, so they reach them whatever the start method."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

DEFAULT_TIMEOUT = 20.0  # seconds of work per file
MAX_NESTING = 100  # levels; deeper trees make queries quadratic and recursion run out
# (pickling a module 190 levels deep already exceeds the default recursion limit)
_ENV = "FLOWSCAN_LIMITS"

# Skip reasons that mean "we meant to read this file and could not" (as opposed to a
# file left out on purpose: tests, dependencies, ignores). `--strict` fails on these.
INCOMPLETE = ("unreadable", "undecodable", "binary", "too large", "timeout",
              "too deeply nested", "parser failure", "not a regular file")


class FileTimeout(BaseException):
    """The per-file time limit ran out. A BaseException, so that no `except Exception`
    in a front end or the lowering swallows it."""


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT  # 0: no limit
    max_nesting: int = MAX_NESTING  # 0: no limit


def configure(limits: Limits) -> None:
    """Set the limits for this process and the worker processes it starts."""
    os.environ[_ENV] = f"{limits.timeout!r},{limits.max_nesting}"


def current() -> Limits:
    raw = os.environ.get(_ENV, "")
    try:
        timeout, nesting = raw.split(",")
        return Limits(max(float(timeout), 0.0), max(int(nesting), 0))
    except ValueError:
        return Limits()


def is_incomplete(status: str, reason: str) -> bool:
    """Partially parsed, or skipped because it could not be read: what `--strict`
    refuses. Deliberate exclusions (tests, dependencies, ignores) are not."""
    if status == "partial":
        return True
    return status == "skipped" and reason.startswith(INCOMPLETE)


# ---------------------------------------------------------------- nesting

_DELTA = [0] * 256
for _c in b"([{":
    _DELTA[_c] = 1
for _c in b")]}":
    _DELTA[_c] = -1
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"()[]{}")


_INDENT = re.compile(rb"^([ \t]+)(?=[^ \t\r\n#])", re.MULTILINE)


def indent_depth(source: bytes) -> int:
    """Python statement nesting, bounded from above by the number of distinct
    indentation widths (continuation lines only add to it). Distinct indentation
    strings bound that in turn, in C; widths are measured only when those are many."""
    indents = set(_INDENT.findall(source))
    if len(indents) <= current().max_nesting // 2:  # far below the limit either way
        return len(indents)
    return len({len(i.expandtabs(8)) for i in indents})


def nesting(source: bytes, python: bool, most: int = 0) -> int:
    """The deeper of bracket and (Python) statement nesting; with `most`, a Python file
    whose lines are all indented `most` spaces or less, without tabs, cannot nest
    statements deeper than that, and its indentation is not measured."""
    depth = bracket_depth(source)
    if not python or (most and b"\t" not in source
                      and b"\n" + b" " * (most + 1) not in source):
        return depth
    return max(depth, indent_depth(source))


def bracket_depth(source: bytes) -> int:
    """Deepest bracket nesting, counting unclosed ones (strings and comments included:
    it is a bound, not a parse). Runs in C: translate, then accumulate."""
    brackets = source.translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_DELTA.__getitem__, brackets))))


# ---------------------------------------------------------------- time


_DEADLINE = threading.local()  # time.monotonic() value by which the file must be done


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise FileTimeout in this thread after `seconds` of wall time (0: never). Only
    the main thread receives signals; elsewhere (an embedding application's thread)
    only the tree-sitter deadline applies."""
    previous_deadline = getattr(_DEADLINE, "at", float("inf"))
    _DEADLINE.at = time.monotonic() + seconds if seconds > 0 else float("inf")
    usable = (seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    previous: Any = None
    if usable:
        def expire(signum: int, frame: Any) -> None:
            raise FileTimeout

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        _DEADLINE.at = previous_deadline


def parse_within(fe: Any, source: bytes, path: str) -> Any:
    """`fe.parse`, cancelled at the deadline of the enclosing `time_limit`: tree-sitter
    honours a progress callback only when it reads through a callable, and keeps a
    cancelled parse to resume unless reset. Front ends that are not tree-sitter based
    are called as they are."""
    deadline = getattr(_DEADLINE, "at", float("inf"))
    language = getattr(fe, "ts_language", None)
    if language is None or not hasattr(type(fe), "query") or deadline == float("inf"):
        return fe.parse(source, path)
    from tree_sitter import Parser

    from flowscan.frontends.base import Parsed, error_spans

    entry = _PARSERS.get(id(language))
    if entry is None:
        entry = _PARSERS[id(language)] = (Parser(language), language)
    parser = entry[0]
    chunk = 1 << 16

    def read(offset: int, _point: Any) -> bytes:
        return source[offset:offset + chunk]

    def late(*_: Any) -> bool:
        return time.monotonic() > deadline

    try:
        tree = parser.parse(read, progress_callback=late)
    except ValueError:  # cancelled by `late`
        parser.reset()
        raise FileTimeout from None
    except BaseException:  # SIGALRM's FileTimeout, raised inside `late`
        parser.reset()
        raise
    return Parsed(tree, source, path, error_spans(tree, lambda: fe.query))


_PARSERS: dict[int, tuple[Any, Any]] = {}  # id(language) -> (parser, language kept alive)

"""Pickling that is cheap to load: the cache holds about a million small IR nodes and
values per large repository, and a re-scan after an edit unpickles them all."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


def by_fields(cls: T) -> T:
    """Pickle a slotted dataclass as a call of the class with its fields in order.

    The default for `slots=True` stores a state tuple that a Python-level
    `__setstate__` sets field by field; a call of the class is about twice as fast to
    load (0.31 -> 0.17 s for formbricks' 1,016 lowered modules) and a third smaller.
    """
    names = tuple(f.name for f in dataclasses.fields(cls))
    get: Callable[[Any], Any] = attrgetter(*names) if names else (lambda _: ())
    if len(names) == 1:
        one = get
        get = lambda obj: (one(obj),)  # noqa: E731 - attrgetter of one name: no tuple

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, get(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls

"""Pickling that is cheap to load: the cache holds about a million small IR nodes and
values per large repository, and a re-scan after an edit unpickles them all."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Iterable
from operator import attrgetter
from pickle import PickleBuffer
from typing import Any, ClassVar, TypeVar

T = TypeVar("T", bound=type)


# what a value still pickled is: bytes, or a view into a file the cache loaded. The cache
# keeps such values out of the pickle's stream (protocol 5) and hands back views of the
# file instead of copies: the stored state of a million lines holds 58 MB of them, which
# copying cost a pre-commit run 20 ms and as many page faults
ENCODED: tuple[type, ...] = (bytes, memoryview)


def encoded(value: Any) -> bool:
    return value.__class__ in ENCODED


def out_of_band(data: bytes | memoryview, protocol: int) -> Any:
    """An encoded value as a pickle of `protocol` keeps it: a buffer the pickler may
    keep apart (cache.dump), or bytes in the stream (worker processes, copies)."""
    return PickleBuffer(data) if protocol >= 5 else bytes(data)


def by_fields(cls: T) -> T:
    """Pickle a slotted dataclass as a call of the class with its fields in order.

    The default for `slots=True` stores a state tuple that a Python-level
    `__setstate__` sets field by field; a call of the class is about twice as fast to
    load (0.31 -> 0.17 s for formbricks' 1,016 lowered modules) and a third smaller.
    A frozen class loads through `_from_fields` instead: its `__init__` sets each field
    with `object.__setattr__`, three times the cost of the slots' own setters (a
    pre-commit run unpickles 18,000 frozen spans, sources, outcomes and sinks).
    """
    names = tuple(f.name for f in dataclasses.fields(cls))
    get: Callable[[Any], Any] = attrgetter(*names) if names else (lambda _: ())
    if len(names) == 1:
        one = get
        get = lambda obj: (one(obj),)  # noqa: E731 - attrgetter of one name: no tuple
    make: Callable[..., Any] = cls
    if cls.__dataclass_params__.frozen and names and "__slots__" in cls.__dict__:  # type: ignore[attr-defined]
        make = _from_fields(cls, names)
        cls._from_fields = staticmethod(make)  # type: ignore[attr-defined]

    def __reduce__(self: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return make, get(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls


def _from_fields(cls: type, names: tuple[str, ...]) -> Callable[..., Any]:
    """An instance of the frozen slotted `cls` with `names` set, skipping `__init__`
    (what it would check or derive, the pickled instance had). Pickled by name, as
    `<class>._from_fields`."""
    params = ", ".join(f"v{i}" for i in range(len(names)))
    sets = "".join(f"    s{i}(obj, v{i})\n" for i in range(len(names)))
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    scope.update({f"s{i}": cls.__dict__[name].__set__ for i, name in enumerate(names)})
    exec(f"def _from_fields({params}):\n    obj = new(cls)\n{sets}    return obj\n", scope)
    fn: Callable[..., Any] = scope["_from_fields"]
    fn.__module__, fn.__qualname__ = cls.__module__, f"{cls.__qualname__}._from_fields"
    return fn


def lazy(cls: T, *names: str) -> T:
    """Pickle the fields `names` of a `by_fields` class as nested pickles, each
    unpickled on first read (an empty one stays as it is: nothing to save).

    A re-scan after an edit loads every lowered module the stored analysis refers to
    but runs few of their functions: a function's or module's body, most of the IR,
    stays bytes until something reads it (formbricks' 1,018 modules load in 0.06 s
    instead of 0.24 s). So do the parts of a stored skeleton (incremental.py) that a
    resumed run reads of a few modules only: a function's parameters, a module's
    imports and exports (one edit on a tree of a million lines reads those of 1 and
    of 290 of its 3,318 modules; decoding them all was 0.1 s). The first name is the
    one `without` keeps elsewhere.
    """
    slots = {name: cls.__dict__[name] for name in names}  # the slots' member descriptors
    fields = tuple(f.name for f in dataclasses.fields(cls))
    raw = tuple(slots[n].__get__ if n in slots else attrgetter(n) for n in fields)
    nested = tuple(fields.index(name) for name in names)

    for name in names:
        get, put = slots[name].__get__, slots[name].__set__

        def read(obj: Any, get: Any = get, put: Any = put) -> Any:
            value = get(obj)
            if value.__class__ in ENCODED:
                value = pickle.loads(value)
                put(obj, value)
            elif value.__class__ is Elsewhere:
                value = value.load()
                put(obj, value)
            return value

        read.stored = get  # type: ignore[attr-defined]  # the slot as it is, for tests
        setattr(cls, name, property(read, put))

    def __reduce_ex__(self: Any, protocol: int) -> tuple[type, tuple[Any, ...]]:
        values = [g(self) for g in raw]
        for at in nested:
            value = values[at]
            if not value or value.__class__ is Elsewhere:
                continue
            if not encoded(value):
                value = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            values[at] = out_of_band(value, protocol)
        return cls, tuple(values)

    kept = nested[0]

    def without(self: Any, where: Elsewhere) -> Any:
        """A copy whose first lazy field is kept `where` (no lazy field is read)."""
        return cls(*(where if i == kept else g(self) for i, g in enumerate(raw)))

    cls.__reduce_ex__ = __reduce_ex__  # type: ignore[method-assign,assignment]
    cls.without = without  # type: ignore[attr-defined]
    return cls


def may_mention(obj: Any, name: str, words: Iterable[str]) -> bool:
    """Whether the lazy field `name` of `obj` may hold one of `words`: False only while
    the field is still a pickle in which none of them occurs. A pickle keeps each text
    as its UTF-8 bytes (the first occurrence verbatim, later ones by reference), so a
    caller can pass over bodies that cannot mention a name without unpickling them
    (a growth round asked every unread function of formbricks whether it writes
    per-request state: 0.3 s, nearly all of it unpickling)."""
    stored = getattr(type(obj), name).fget.stored(obj)
    if stored.__class__ is memoryview:
        stored = bytes(stored)
    elif stored.__class__ is not bytes:
        return True  # decoded, or kept elsewhere: the caller looks
    return any(word.encode("utf-8", "surrogatepass") in stored  # (as pickle encodes
               for word in words)  # a text, lone surrogates too)


class Elsewhere:
    """A lazy field's value kept in another pickle (a lowered module's own blob in the
    cache), read from there on first use.

    The stored program state carries the skeletons of the modules it read, their
    bodies left in their blobs: a re-scan after an edit loads one file instead of a
    thousand (formbricks' 1,116: 2.8 of their 11.6 MB) and opens the blobs of the few
    modules whose functions run. `source` (set by the cache's owner) answers
    (blob key, function id or None for the module body) with the field's value.
    """

    __slots__ = ("key", "part")
    source: ClassVar[Callable[[str, str | None], Any] | None] = None

    def __init__(self, key: str, part: str | None) -> None:
        self.key = key
        self.part = part

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:
        return Elsewhere, (self.key, self.part)

    def load(self) -> Any:
        source = Elsewhere.source
        found = None if source is None else source(self.key, self.part)
        if found is None:
            raise LookupError(f"flowscan cache: the body of {self.part or 'module'} "
                              f"({self.key}) is gone")
        return found


_MISSING: Any = object()


class _DecodedOnRead(dict):  # type: ignore[type-arg]
    """A dict whose values may still be encoded (`_ENCODED`, types no decoded value
    has), each decoded when first read and kept decoded."""

    __slots__ = ()
    _ENCODED: tuple[type, ...] = ENCODED

    def _decode(self, value: Any) -> Any:
        raise NotImplementedError

    def _keep(self, key: Any, encoded: Any) -> None:
        """`key`'s value is about to be decoded from `encoded`."""

    def _forget(self, key: Any) -> None:
        """`key`'s value is replaced or gone."""

    def _read(self, key: Any, value: Any) -> Any:
        if value.__class__ in self._ENCODED:
            self._keep(key, value)
            value = self._decode(value)
            dict.__setitem__(self, key, value)
        return value

    def __getitem__(self, key: Any) -> Any:
        return self._read(key, dict.__getitem__(self, key))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._forget(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._forget(key)
        dict.__delitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        value = dict.get(self, key, _MISSING)
        return default if value is _MISSING else self._read(key, value)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return self._read(key, dict.setdefault(self, key, default))

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        self._forget(key)
        value = dict.pop(self, key) if default is _MISSING else dict.pop(self, key, default)
        return self._decode(value) if value.__class__ in self._ENCODED else value

    def popitem(self) -> tuple[Any, Any]:
        key, value = dict.popitem(self)
        self._forget(key)
        return key, self._decode(value) if value.__class__ in self._ENCODED else value

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> Any:  # type: ignore[override]
        self.update(other)
        return self

    def values(self) -> Any:
        return dict.values(self._all())

    def items(self) -> Any:
        return dict.items(self._all())

    def copy(self) -> dict[Any, Any]:
        return dict(self._all())

    def _all(self) -> Any:
        for key, value in dict.items(self):
            self._read(key, value)
        return self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _DecodedOnRead):
            other = other._all()
        return isinstance(other, dict) and dict.__eq__(self._all(), other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


class PackedStore(_DecodedOnRead):
    """A program store whose values pickle one by one and load as bytes, each
    unpickled when first read.

    A re-scan after an edit reads the summaries of the few functions it runs and of
    what they call (815 of formbricks' 5,102 for a 5-file pre-commit run), but
    unpickling them all was a tenth of that run. A value is never bytes itself, so a
    bytes value is one not read yet; one never read pickles again as it came, and so
    does one read but not replaced since (the stores' values are never changed in
    place: a summary or a module's globals is replaced whole, a `Val` never changes),
    so a run that stores the state again pickles only what it changed (on formbricks,
    after edits to several files: 0.37 s of pickling the 6,169 values it had read).
    """

    __slots__ = ("_raw",)  # the bytes of the values read and not replaced since

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._raw: dict[Any, bytes] = {}

    def _decode(self, value: Any) -> Any:
        return pickle.loads(value)

    def _keep(self, key: Any, encoded: Any) -> None:
        self._raw[key] = encoded

    def _forget(self, key: Any) -> None:
        self._raw.pop(key, None)

    def clear(self) -> None:
        self._raw.clear()
        dict.clear(self)

    def __reduce_ex__(self, protocol: int) -> tuple[type, tuple[dict[Any, Any]]]:  # type: ignore[override]
        raw = self._raw
        return PackedStore, ({key: out_of_band(
            value if encoded(value) else raw.get(key)
            or pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), protocol)
            for key, value in dict.items(self)},)


class PackedSets(_DecodedOnRead):
    """A program store of sets of names (the readers of each store key, the names each
    function uses) whose sets pickle as one NUL-joined text each and load as that text,
    split into a set when first read.

    A pre-commit run on formbricks reads a few hundred of their 35,000 sets; building
    all of them, with their 120,000 members, was a third of loading the stored state.
    No name holds a NUL (they are made of paths and identifiers).
    """

    __slots__ = ()
    _ENCODED = (str,)

    def _decode(self, value: Any) -> Any:
        return set(value.split("\0")) if value else set()

    def __reduce__(self) -> tuple[type, tuple[dict[Any, str]]]:
        return PackedSets, ({key: value if value.__class__ is str else "\0".join(value)
                             for key, value in dict.items(self)},)

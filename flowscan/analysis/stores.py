"""The program's stores as the stored state keeps them: which file each key belongs to,
and the largest stores split by that file, so that a resumed run loads the keys of the
files an edit reaches, not every key of the tree (incremental.py)."""

from __future__ import annotations

import pickle
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from flowscan.pickling import PackedSets, encoded, out_of_band


def key_path(key: str) -> str:
    """The file a store key or unit belongs to: `module:p`, `load:p`, `ir:p`, `global:p:name`,
    `class:p::C:name`, `param:p::f:0`, `env:p::f:name`, and function ids `p::f`."""
    head, _, rest = key.partition(":")
    if head in ("module", "load", "ir"):
        return rest
    if head == "global":
        return rest.rsplit(":", 1)[0]
    if head in ("class", "param", "env"):
        return rest.split("::", 1)[0]
    return key.split("::", 1)[0]


def of_files(keys: Iterable[str], paths: set[str]) -> list[str]:
    """The keys and units that belong to one of `paths`, in their order.

    A `Sharded` store answers from the paths' shards. Of the others' keys (formbricks
    x3 has 18,000 units run), joined into one text (no key holds a NUL), each path is
    looked for with `str.find`, and only the keys it occurs in are split out (a regex
    alternation of the paths, searched key by key, took several times as long)."""
    if not paths:
        return []
    if isinstance(keys, Sharded):
        return keys.keys_of(paths)
    text = "\0".join(keys)
    found: dict[int, str | None] = {}  # where a key starts -> it, if it belongs
    for path in filter(None, paths):  # (an empty one would be found everywhere)
        at = text.find(path)
        while at >= 0:
            start = text.rfind("\0", 0, at) + 1
            end = text.find("\0", at + len(path))
            end = len(text) if end < 0 else end
            if start not in found:
                key = text[start:end]
                found[start] = key if key_path(key) in paths else None
            at = text.find(path, end)
    return [key for _, key in sorted(found.items()) if key is not None]


class Sharded:
    """A store kept as one dict per file of its keys (`key_path`), each pickled on its
    own and loaded when a key of that file is first asked for.

    Loading the state costs by the number of its keys, not their size: formbricks x3's
    93,000 keys of readers took 50 ms to load whatever their texts held. A resumed run
    asks for the keys of the edited files and of the stores its units read, write or
    change: one edit there loads 4 of the 5,910 shards of readers. A cold run keeps
    plain dicts, split when the state is stored (`of`). Iterating the whole store loads
    every shard. `since(n)` gives the keys added after the first n without loading
    any, while none was taken out and n is at least the number loaded."""

    __slots__ = ("_shards", "_loaded", "_added", "_size", "_removed")
    SHARD: type[dict[str, Any]] = dict

    def __init__(self, shards: dict[str, Any], size: int) -> None:
        self._shards = shards  # path -> its keys' dict, or that dict pickled
        self._loaded = self._size = size
        self._added: dict[str, None] = {}  # keys added since loading, in order
        self._removed = False

    @classmethod
    def of(cls, store: dict[str, Any]) -> Sharded:
        if isinstance(store, Sharded):
            return store
        shards: dict[str, Any] = {}
        for key, value in store.items():
            shard = shards.get(path := key_path(key))
            if shard is None:
                shard = shards[path] = cls.SHARD()
            dict.__setitem__(shard, key, value)
        return cls(shards, len(store))

    def _of(self, path: str, create: bool = False) -> dict[str, Any] | None:
        shard = self._shards.get(path)
        if encoded(shard):
            shard = self._shards[path] = pickle.loads(shard)
        elif shard is None and create:
            shard = self._shards[path] = self.SHARD()
        return shard

    def get(self, key: str, default: Any = None) -> Any:
        shard = self._of(key_path(key))
        return default if shard is None else shard.get(key, default)

    def __getitem__(self, key: str) -> Any:
        shard = self._of(key_path(key))
        if shard is None:
            raise KeyError(key)
        return shard[key]

    def __contains__(self, key: object) -> bool:
        shard = self._of(key_path(key)) if isinstance(key, str) else None
        return shard is not None and dict.__contains__(shard, key)

    def _adding(self, shard: dict[str, Any], key: str) -> None:
        if not dict.__contains__(shard, key):
            self._added[key] = None
            self._size += 1

    def setdefault(self, key: str, default: Any = None) -> Any:
        shard = self._of(key_path(key), create=True)
        assert shard is not None
        self._adding(shard, key)
        return shard.setdefault(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        shard = self._of(key_path(key), create=True)
        assert shard is not None
        self._adding(shard, key)
        shard[key] = value

    def pop(self, key: str, *default: Any) -> Any:
        shard = self._of(key_path(key))
        if shard is None or not dict.__contains__(shard, key):
            if default:
                return default[0]
            raise KeyError(key)
        self._size -= 1
        if key in self._added:
            del self._added[key]
        else:  # a key loaded: `since` can no longer count past the loaded ones
            self._removed = True
        return shard.pop(key)

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def __len__(self) -> int:
        return self._size

    def since(self, n: int) -> list[str]:
        if n >= self._loaded and not self._removed:
            return list(self._added)[n - self._loaded:]
        return list(self)[n:]

    def keys_of(self, paths: set[str]) -> list[str]:
        """The keys that belong to one of `paths` (of_files)."""
        out: list[str] = []
        for path in sorted(filter(None, paths)):
            out.extend(dict.keys(self._of(path) or {}))
        return out

    def __iter__(self) -> Any:
        for path in list(self._shards):
            yield from (k for k in dict.keys(self._of(path) or {}) if k not in self._added)
        yield from list(self._added)

    def items(self) -> Any:
        return ((key, self[key]) for key in self)

    def __eq__(self, other: object) -> bool:
        mine = dict(self.items())
        return mine == (dict(other.items()) if isinstance(other, Sharded) else other)

    __hash__ = None  # type: ignore[assignment]

    def __reduce_ex__(self, protocol: int) -> tuple[type, tuple[dict[str, Any], int]]:
        return type(self), ({path: out_of_band(
            shard if encoded(shard) else pickle.dumps(shard, protocol=pickle.HIGHEST_PROTOCOL),
            protocol) for path, shard in self._shards.items() if shard}, len(self))


class ShardedSets(Sharded):
    """A store of sets of names (who read or wrote each store key, what each unit
    wrote) whose shards are `PackedSets`: each set also stays a text until read."""

    __slots__ = ()
    SHARD = PackedSets


class StoredImporters(dict):  # type: ignore[type-arg]
    """The importer index a stored state was computed with (path -> the files that
    import it), less the files changed since, each path's importers taken from it when
    first asked for: a pre-commit run on a million lines asks about a few hundred of
    its 3,000 paths, and loading and correcting all of them took 5 ms. `whole` is the
    index as a plain dict, in the stored order, for the next state."""

    __slots__ = ("stored", "changed")

    def __init__(self, stored: Any, changed: set[str]) -> None:
        super().__init__()
        self.stored = stored  # PackedSets, or a dict of sets (this run's own)
        self.changed = changed

    def _take(self, path: str) -> set[str] | None:
        found = dict.get(self, path)
        if found is None:
            found = self.stored.get(path)
            if found is None:
                return None
            found = found - self.changed  # (a new set: the stored one stays)
            dict.__setitem__(self, path, found)
        return found

    def get(self, path: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._take(path)
        return default if found is None else found

    def setdefault(self, path: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._take(path)
        if found is None:
            dict.__setitem__(self, path, default)
            return default
        return found

    def whole(self) -> dict[str, set[str]]:
        out = {path: found for path in self.stored if (found := self._take(path)) is not None}
        out.update((path, found) for path, found in dict.items(self) if path not in out)
        return out


class StoredAnswers:
    """The taxonomy's answers (`Taxonomy.answers`) as the stored state keeps them: the
    questions as one sorted text, `context NUL field` joined by SOH, and the answers
    in that order. A pre-commit run on a million lines asks 36 of the 23,000 questions
    a cold run answered; building a dict of them all was the largest part of loading
    the state (8 ms), splitting the text when first asked is 1 ms. A question whose
    names hold a NUL or SOH is left out (asked again if it comes)."""

    __slots__ = ("_text", "_values", "_keys")

    def __init__(self, text: str, values: list[Any]) -> None:
        self._text = text
        self._values = values
        self._keys: list[str] | None = None

    @classmethod
    def of(cls, *answers: Any) -> StoredAnswers:
        """The answers of memos (dicts, or StoredAnswers) together."""
        merged: dict[str, Any] = {}
        for found in answers:
            if isinstance(found, StoredAnswers):
                merged.update(zip(found.keys(), found._values, strict=True))
            elif found:
                merged.update((key, value) for question, value in found.items()
                              if (key := _question(*question)) is not None)
        items = sorted(merged.items())
        return cls("\1".join(key for key, _ in items), [value for _, value in items])

    def keys(self) -> list[str]:
        if self._keys is None:
            self._keys = self._text.split("\1") if self._values else []
        return self._keys

    def get(self, question: tuple[str, str | None], default: Any = None) -> Any:
        key = _question(*question)
        keys = self.keys()
        at = bisect_left(keys, key) if key is not None else len(keys)
        return self._values[at] if at < len(keys) and keys[at] == key else default

    def __len__(self) -> int:
        return len(self._values)

    def __reduce__(self) -> tuple[type, tuple[str, list[Any]]]:
        return StoredAnswers, (self._text, self._values)


def _question(name: str, context: str | None) -> str | None:
    """A question as StoredAnswers keys it (`context NUL name`), or None when its names
    hold the separators."""
    context = context or ""
    if "\0" in context or "\1" in context or "\1" in name:
        return None
    return f"{context}\0{name}"

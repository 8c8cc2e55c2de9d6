"""The taxonomy's pattern machinery: names normalised so that one regex covers every
spelling, patterns and alternations compiled when first matched (a re-scan after an edit
asks a few of the 640), the characters a pattern can start and end with (to try about
fourteen of them on a name), regex errors that name their place in the file, and the
checksums a literal card number or IBAN must pass. Apart from taxonomy.py, which builds
and asks the `Taxonomy` and stays the public home of its names (`normalise` included)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

_ACRONYM = re.compile(r"([A-Z]{2,})([A-Z][a-z])")  # IPAddress -> IP_Address, not IPv4
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")  # firstName -> first_Name, userID -> user_ID
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")  # $email, x-forwarded-for, a.b, __id__
_CARD_CHARS = re.compile(r"[ -]")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}")


@lru_cache(maxsize=1 << 18)
def normalise(identifier: str) -> str:
    """Lowercase snake case, so that one regex covers every spelling of a name.

    ``firstName``, ``first-name``, ``FIRST_NAME`` and ``$first_name`` all give
    ``first_name``; ``IPAddress`` gives ``ip_address``; digits stay attached.
    """
    s = _ACRONYM.sub(r"\1_\2", identifier)
    s = _CAMEL.sub(r"\1_\2", s)
    return _NON_ALNUM.sub("_", s).strip("_").lower()


class _Pattern:
    """One field pattern; compiled when first matched on its own (the alternation of
    all of them answers most questions: a scan that classifies a few fields, as after
    an edit, compiles a few of the 550)."""

    __slots__ = ("category", "source", "_regex")

    def __init__(self, category: str, source: str) -> None:
        self.category = category
        self.source = source
        self._regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = re.compile(self.source)
        return self._regex


def _compile(source: str, where: str) -> re.Pattern[str]:
    """Compile one taxonomy regex, naming its place in the file when it is broken."""
    try:
        return re.compile(source)
    except re.error as exc:
        raise ValueError(f"taxonomy: {where}: invalid regex {source!r}: {exc}") from exc


class _Lazy:
    """An alternation compiled when first matched: a re-scan after an edit asks a few
    of them, and compiling them all costs more than the run (checked when the taxonomy
    is built from its document, see Taxonomy.__init__)."""

    __slots__ = ("sources", "places", "_rx")

    def __init__(self, sources: Sequence[str], places: Sequence[str]) -> None:
        self.sources = tuple(sources)
        self.places = tuple(places)
        self._rx: re.Pattern[str] | None = None

    def fullmatch(self, text: str) -> re.Match[str] | None:
        rx = self._rx
        if rx is None:
            rx = self._rx = _alternation(self.sources, self.places)
        return rx.fullmatch(text)


PLACES = "{places}"


def _with_places(data: Mapping[str, Any]) -> Callable[[str], str]:
    """A pattern with `{places}` standing for the alternation of the `places` words
    (one list of places and organisations for every category that excludes their
    contact details: clinic.email, chapel_phone, depot_address)."""
    words = sorted({normalise(w) for w in data.get("places") or ()}, key=lambda w: (-len(w), w))
    group = "(?:" + "|".join(map(re.escape, words)) + ")" if words else "(?!)"
    return lambda source: source.replace(PLACES, group) if PLACES in source else source


def _regex_list(data: Mapping[str, Any], key: str) -> _Lazy | None:
    """A top-level list of regexes as one alternation (an error names the index of the
    broken one); None when the list is absent or empty."""
    expand = _with_places(data)
    sources = [expand(s) for s in data.get(key) or ()]
    return _Lazy(sources, [f"{key}[{i}]" for i in range(len(sources))]) \
        if sources else None


def _alternation(sources: Sequence[str], places: Sequence[str]) -> re.Pattern[str]:
    """One regex for many, to reject the usual non-match in a single call. Compiling
    it checks them all; only when it fails is each compiled on its own, to name the
    broken one (`places`: where each stands in the file).

    Groups are non-capturing on purpose: a capturing group per branch defeats the
    engine's first-literal check on each branch and makes a miss ~15x slower.
    """
    try:
        return re.compile("|".join(f"(?:{s})" for s in sources) or "(?!)")
    except re.error as exc:
        for src, where in zip(sources, places, strict=True):
            _compile(src, where)
        raise ValueError(f"taxonomy: {places[0]}...: invalid regexes: {exc}") from exc


class Shape(NamedTuple):
    """What a pattern's parse says of the names it fullmatches: the characters they can
    start and end with (None: any)."""

    first: frozenset[str] | None
    last: frozenset[str] | None


ANY_SHAPE = Shape(None, None)


def _shape(source: str, where: str = "") -> Shape:
    """The pattern's `Shape`, so that a name is tried on the few patterns that can
    match it. Parsing checks the regex (`where`: its place in the file, for the
    error)."""
    try:
        import re._parser as sre
    except ImportError:  # another Python's internals: tried on every name
        return ANY_SHAPE
    try:
        parsed = sre.parse(source)
    except re.error as exc:
        raise ValueError(f"taxonomy: {where}: invalid regex {source!r}: {exc}") from exc
    return Shape(_edge_chars(parsed, last=False), _edge_chars(parsed, last=True))


def _edge_chars(parsed: Any, last: bool) -> frozenset[str] | None:
    """The characters a fullmatch of the parsed pattern starts (or ends) with, or None
    when that is not plain from the parse."""
    import re._constants as c
    if parsed.state.flags & re.IGNORECASE:
        return None

    def edge(items: list[Any]) -> tuple[set[str] | None, bool]:
        """(the characters the items' match can start or end with, whether it can be
        empty); None when unknown."""
        out: set[str] = set()
        for op, av in reversed(items) if last else items:
            if op is c.LITERAL:
                return out | {chr(av)}, False
            if op is c.IN:
                for o, a in av:
                    if o is c.LITERAL:
                        out.add(chr(a))
                    elif o is c.RANGE:
                        out |= {chr(x) for x in range(a[0], a[1] + 1)}
                    else:
                        return None, False
                return out, False
            if op in (c.ASSERT, c.ASSERT_NOT, c.AT):
                continue  # consumes nothing
            if op is c.SUBPATTERN:
                if av[1] & re.IGNORECASE:  # (?i:...)
                    return None, False
                branches, optional = [list(av[3])], False
            elif op is c.BRANCH:
                branches, optional = [list(b) for b in av[1]], False
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                branches, optional = [list(av[2])], av[0] == 0
            else:
                return None, False
            empty = optional
            for branch in branches:
                found, may_be_empty = edge(branch)
                if found is None:
                    return None, False
                out |= found
                empty = empty or may_be_empty
            if not empty:
                return out, False
        return out, True

    found, empty = edge(list(parsed))
    return None if found is None or empty else frozenset(found)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _luhn_ok(digits: str) -> bool:
    """Card numbers carry a Luhn check digit; random digit runs mostly do not."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(compact: str) -> bool:
    """IBANs carry an ISO 7064 mod-97 check; uppercase constants of that shape do not."""
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _checksum_ok(value: str) -> bool:
    """Reject literal matches whose shape carries a checksum that fails."""
    compact = _CARD_CHARS.sub("", value)
    if compact.isdigit() and 12 <= len(compact) <= 19:
        return _luhn_ok(compact)
    if _IBAN_SHAPE.fullmatch(compact):
        return _iban_ok(compact)
    return True


def _names_word(function: str, words: frozenset[str]) -> bool:
    """Whether a function's name holds one of `words` as whole words (`verify` in
    `verify_phone`, not in `verifying`; `driving_licence` in `upload_driving_licence`)."""
    name = f"_{normalise(function)}_"
    return any(f"_{w}_" in name for w in words)

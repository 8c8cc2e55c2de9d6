"""The personal-data taxonomy: which names, literal values and callees carry personal data.

`rules/taxonomy.yaml` is data; this module compiles it once into a `Taxonomy` whose
lookups are cached, because the analysis asks about the same few thousand names millions
of times. Validation against `rules/schema/taxonomy.schema.json` is the caller's job
(flowscan/catalog.py), so that every rules file reports errors the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flowscan.pickling import by_fields
from flowscan.taxonomy_patterns import (
    Shape,
    _as_list,
    _checksum_ok,
    _compile,
    _Lazy,
    _names_word,
    _Pattern,
    _regex_list,
    _shape,
    _with_places,
    normalise,
)

__all__ = [
    "DEFAULT_TAXONOMY_PATH",
    "Classification",
    "Taxonomy",
    "load_taxonomy",
    "normalise",
]

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "rules" / "taxonomy.yaml"

_PERSON, _PART, _NON_PERSON, _TRANSPARENT, _LONE_PERSON = 1, 2, 3, 4, 5
_TRAILING_DIGITS = re.compile(r"(?<=[a-z])\d+$")  # user1 -> user
_CACHE_SIZE = 1 << 20
_UNKNOWN: Any = object()  # (None is an answer: not personal)
_PLAIN_IMAGES = frozenset({"photo", "picture"})  # face_flows words that need a person beside


@by_fields
@dataclass(frozen=True, slots=True)
class Classification:
    """Why an identifier is personal data.

    ``pattern`` is the taxonomy regex that matched; ``contextual`` says it was an
    ambiguous name that counted only because of ``context``, the normalised words read
    before it (``user`` for ``user.name``, ``customer`` for ``customer_name``).
    """

    category: str
    pattern: str
    contextual: bool
    context: str | None


# per pattern kind (0: field patterns, 1: contextual ones), per pattern in file order:
# what the names it fullmatches look like
Shapes = dict[int, list[Shape]]


def _unpickled(data: Mapping[str, Any], shapes: Shapes) -> Taxonomy:
    taxonomy = Taxonomy.__new__(Taxonomy)
    taxonomy._data = data
    taxonomy._shapes = shapes
    return taxonomy


class Taxonomy:
    """The compiled taxonomy. Build it with `Taxonomy.from_dict` or `load_taxonomy`."""

    __slots__ = (
        "_data",
        "_ids",
        "_meta",
        "_fields",
        "_buckets",
        "_shapes",
        "_contextual",
        "_exclude",
        "_words",
        "_max_words",
        "_literals",
        "_sanitiser_re",
        "_sanitiser_dotted_re",
        "_secret_flows",
        "_secret_flow_vetoes",
        "_face_flows",
        "_face_compounds",
        "_document_flows",
        "_person_secrets",
        "_person_vetoes",
        "_business_fields",
        "_token_makers",
        "_library_callbacks",
        "_representations",
        "_value_holders",
        "_category_suffixes",
        "_clinical",
        "_non_clinical",
        "_ordinals",
        "_records",
        "_record_words",
        "_measures",
        "_qualifiers",
        "_classified",
        "_stored",
        "_head_cached",
        "_literal_cached",
        "_sanitiser_cached",
        "_secret_flow_cached",
    )

    normalise = staticmethod(normalise)

    def __init__(self, data: Mapping[str, Any], shapes: Shapes | None = None) -> None:
        """`shapes`: the patterns' shapes as an earlier build read them (the document
        was checked then): given, no pattern is parsed again."""
        self._data = data
        categories: Mapping[str, Mapping[str, Any]] = data["categories"]
        self._ids: tuple[str, ...] = tuple(categories)
        self._meta: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        self._fields: list[_Pattern] = []
        self._contextual: list[_Pattern] = []
        self._exclude: dict[str, _Lazy] = {}
        expand = _with_places(data)
        field_places: list[str] = []
        context_places: list[str] = []
        for cat, spec in categories.items():
            self._meta[cat] = (
                spec["title"],
                spec.get("description", ""),
                tuple(spec["fideslang"]),
            )
            for kind, out, places in (("fields", self._fields, field_places),
                                      ("contextual", self._contextual, context_places)):
                for i, src in enumerate(spec.get(kind) or ()):
                    out.append(_Pattern(cat, expand(src)))
                    places.append(f"categories.{cat}.{kind}[{i}]")
            excludes = spec.get("exclude") or ()
            if excludes:
                self._exclude[cat] = _Lazy(
                    [expand(x) for x in excludes],
                    [f"categories.{cat}.exclude[{i}]" for i in range(len(excludes))])
        self._buckets: dict[tuple[int, str, str],
                            list[tuple[Callable[[str], Any], _Pattern]]] = {}
        self._shapes = shapes if shapes is not None else {
            kind: [_shape(p.source, where) for p, where in zip(patterns, places, strict=True)]
            for kind, patterns, places in ((0, self._fields, field_places),
                                           (1, self._contextual, context_places))}

        self._words: dict[str, int] = {}
        for key, kind in (
            ("places", _NON_PERSON),  # (a list below may still say otherwise of a word)
            ("transparent_contexts", _TRANSPARENT),
            ("non_person_contexts", _NON_PERSON),
            ("person_part_contexts", _PART),
            ("person_contexts", _PERSON),
            ("lone_person_contexts", _LONE_PERSON),
        ):
            for word in data.get(key) or ():
                self._words[normalise(word)] = kind
        self._max_words = max((w.count("_") + 1 for w in self._words), default=1)

        self._representations = frozenset(
            normalise(w) for w in data.get("representation_suffixes") or ())
        self._value_holders = frozenset(
            normalise(w) for w in data.get("value_holders") or ())
        suffixes: dict[str, set[str]] = {}  # word -> the categories it keeps
        for cat, words in (data.get("category_suffixes") or {}).items():
            if cat not in categories:
                raise ValueError(f"category_suffixes.{cat}: no such category")
            for word in words:
                suffixes.setdefault(normalise(word), set()).add(cat)
        self._category_suffixes = {w: frozenset(cats) for w, cats in suffixes.items()}
        self._clinical = frozenset(normalise(w) for w in data.get("clinical_measures") or ())
        self._non_clinical = frozenset(
            normalise(w) for w in data.get("non_clinical_measures") or ())
        self._secret_flows = frozenset(normalise(w) for w in data.get("secret_flows") or ())
        self._secret_flow_vetoes = frozenset(
            normalise(w) for w in data.get("secret_flow_vetoes") or ())
        self._face_flows = frozenset(normalise(w) for w in data.get("face_flows") or ())
        self._face_compounds = frozenset(w for w in self._face_flows if "_" in w)
        self._document_flows = frozenset(
            normalise(w) for w in data.get("document_flows") or ())
        self._ordinals = frozenset(normalise(w) for w in data.get("ordinal_contexts") or ())
        self._records: dict[tuple[str, ...], str] = {}
        for cat, words in (data.get("record_contexts") or {}).items():
            if cat not in categories:
                raise ValueError(f"record_contexts.{cat}: no such category")
            for word in words:
                self._records[tuple(normalise(word).split("_"))] = cat
        self._record_words = frozenset(w for record in self._records for w in record)
        self._measures = frozenset(normalise(w) for w in data.get("record_measures") or ())
        self._qualifiers = frozenset(normalise(w) for w in data.get("record_qualifiers") or ())
        self._person_secrets = _regex_list(data, "person_secrets")
        self._person_vetoes = _regex_list(data, "person_field_vetoes")
        self._business_fields = _regex_list(data, "business_fields")
        self._token_makers = _regex_list(data, "token_makers")
        self._library_callbacks: list[tuple[str, re.Pattern[str], int, tuple[str, ...], str]] = []
        for i, cb in enumerate(data.get("library_callbacks") or ()):
            cats = tuple(cb["categories"])
            unknown = [c for c in cats if c not in categories]
            if unknown:
                raise ValueError(f"library_callbacks[{i}]: no such category {unknown[0]!r}")
            self._library_callbacks.append((cb["call"], _compile(
                cb["key"], f"library_callbacks[{i}].key"), int(cb["param"]), cats, cb["what"]))

        self._literals: list[tuple[str, re.Pattern[str]]] = []
        for cat, value in (data.get("literals") or {}).items():
            for i, src in enumerate(_as_list(value)):
                self._literals.append((cat, _compile(src, f"literals.{cat}[{i}]")))

        sanitisers = _as_list(data.get("sanitisers"))
        places = [f"sanitisers[{i}]" for i in range(len(sanitisers))]
        dotted = [s for s in sanitisers if r"\." in s]
        self._sanitiser_re = _Lazy(sanitisers, places)
        self._sanitiser_dotted_re = _Lazy(dotted, [p for p, s in zip(
            places, sanitisers, strict=True) if r"\." in s])
        if shapes is None:  # built from the document: every regex is checked now
            for lazy in (*self._exclude.values(), self._sanitiser_re,
                         self._sanitiser_dotted_re, self._person_secrets,
                         self._person_vetoes, self._business_fields, self._token_makers):
                if lazy is not None:
                    lazy.fullmatch("")

        # Per-instance caches: the analysis repeats the same questions.
        try:  # (an unpickled one may hold answers already: remember)
            object.__getattribute__(self, "_classified")
        except AttributeError:
            self._classified: dict[tuple[str, str | None], Classification | None] = {}
            self._stored: Any = None  # answers remembered, looked up when not in the memo
        self._head_cached: Callable[[str], tuple[_Pattern | None, _Pattern | None]]
        self._head_cached = lru_cache(maxsize=_CACHE_SIZE)(self._head_hits)
        self._literal_cached: Callable[[str], str | None]
        self._literal_cached = lru_cache(maxsize=1 << 16)(self._classify_literal)
        self._sanitiser_cached: Callable[[str], bool]
        self._sanitiser_cached = lru_cache(maxsize=1 << 16)(self._is_sanitiser)
        self._secret_flow_cached: Callable[[str], bool]
        self._secret_flow_cached = lru_cache(maxsize=1 << 16)(self._in_secret_flow)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Taxonomy:
        """Compile an already validated taxonomy document (the parsed YAML)."""
        return cls(data)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as its source document: worker processes recompile, caches stay local.
        Compiled on first use: a scan whose analysis result comes from the cache (a
        warm run, the pre-commit hook) never classifies a field."""
        return (_unpickled, (self._data, self._shapes))

    def __getattr__(self, name: str) -> Any:
        # reached only for a slot not yet filled, i.e. on an unpickled taxonomy
        if name == "_data" or name not in Taxonomy.__slots__:
            raise AttributeError(name)
        self.__init__(self._data, object.__getattribute__(self, "_shapes"))  # type: ignore[misc]
        return object.__getattribute__(self, name)

    # -- metadata ---------------------------------------------------------------

    @property
    def categories(self) -> tuple[str, ...]:
        """Category ids, in file order (the contract's order)."""
        return self._ids

    def title(self, category: str) -> str:
        return self._meta[category][0]

    def description(self, category: str) -> str:
        return self._meta[category][1]

    def fideslang(self, category: str) -> list[str]:
        """fideslang data category keys, for exports that speak fideslang."""
        return list(self._meta[category][2])

    # -- identifiers ------------------------------------------------------------

    def classify(self, field: str, context: str | None = None) -> Classification | None:
        """The category of a field read from an object named ``context``, or None.

        ``classify("name", "user")`` is ``name``; ``classify("name", "product")`` and
        ``classify("name")`` are None. ``context`` may be dotted (``request.user``).
        """
        key = (field, context or None)
        try:
            return self._classified[key]
        except KeyError:
            pass
        stored = self._stored  # (set with the memo: asking compiles nothing)
        found = _UNKNOWN if stored is None else stored.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._classify(field, context or None)
        if len(self._classified) >= _CACHE_SIZE:
            self._classified.clear()
        self._classified[key] = found
        return found

    def answers(self) -> dict[tuple[str, str | None], Classification | None]:
        """What `classify` has answered since `remember`: an analysis keeps them, with
        `remembered()`, in its state, so that a re-scan after an edit asks the
        patterns only about names it has not seen."""
        return self._classified

    def remembered(self) -> Any:
        """The answers `remember` took as they came (not a dict), or None."""
        try:
            return object.__getattribute__(self, "_stored")
        except AttributeError:
            return None

    def remember(self, answers: Any) -> None:
        """Take answers an earlier run of the same rules gave (see `answers`; the stored
        state's analysis.stores.StoredAnswers, anything with `get(question, default)`),
        asked when the memo does not know. It builds nothing: a taxonomy unpickled for
        a re-scan compiles its patterns only when a new name comes."""
        try:
            object.__getattribute__(self, "_classified")
        except AttributeError:
            object.__setattr__(self, "_classified", {})
        object.__setattr__(self, "_stored", answers)

    def _classify(self, field: str, context: str | None) -> Classification | None:
        name = normalise(field)
        if not name:
            return None
        found = self._classify_name(field, name, context)
        head, _, last = name.rpartition("_")
        if found is None and head and last in self._representations:
            found = self._classify_name(field, head, context)  # birthday_iso, dob_str
            veto = self._exclude.get(found.category) if found is not None else None
            if veto is not None and veto.fullmatch(name):  # the whole name excluded
                return None
        if found is None and head and last in self._category_suffixes:
            found = self._classify_name(field, head, context)  # hearing_loss_grade
            if found is not None and found.category not in self._category_suffixes[last]:
                found = None
        if found is None and context and name in self._value_holders:
            holder = normalise(context)  # channel.phone.value: a phone number
            found = self._classify_name(holder, holder, None) if holder else None
        return found

    def _classify_name(self, field: str, name: str, context: str | None
                       ) -> Classification | None:
        ctx_tokens = normalise(context).split("_") if context else []
        ctx_tokens = [t for t in ctx_tokens if t]
        if "with" in ctx_tokens[1:]:  # an OrderWithCustomer is an order (its customer
            ctx_tokens = ctx_tokens[:ctx_tokens.index("with", 1)]  # comes along)
        tokens = ctx_tokens + name.split("_")
        # Vetoes see the field alone and the field spelled with its object (company.phone
        # is checked as company_phone too).
        targets: tuple[str, ...] = (name, "_".join(tokens)) if ctx_tokens else (name,)
        if ctx_tokens and len(ctx_tokens[-1]) > 3 and ctx_tokens[-1].endswith("s"):
            one = ctx_tokens[-1]  # hubs.phone is checked as hub_phone too
            one = one[:-3] + "y" if one.endswith("ies") else one[:-1]
            targets += ("_".join([*ctx_tokens[:-1], one, *name.split("_")]),)
        vetoes: dict[str, bool] = {}

        def vetoed(cat: str) -> bool:
            if cat not in vetoes:
                rx = self._exclude.get(cat)
                vetoes[cat] = rx is not None and any(rx.fullmatch(t) for t in targets)
            return vetoes[cat]

        reserved = field.lstrip()[:1] == "$"  # Mixpanel-style reserved person property
        start = len(ctx_tokens) if ctx_tokens and ctx_tokens[-1] in self._ordinals else 0
        for k in range(start, len(tokens)):
            head = "_".join(tokens[k:])
            prefix = "_".join(tokens[:k]) or None
            field_hit, contextual_hit = self._head_cached(head)
            hit = self._pick(field_hit, self._fields, head, vetoed)
            if hit is not None:
                return Classification(hit.category, hit.source, False, prefix)
            hit = self._pick(contextual_hit, self._contextual, head, vetoed)
            if hit is None:
                continue
            person = self._decide(tokens[:k])
            if person is None and reserved and k == len(ctx_tokens):
                person = True
            if person:
                return Classification(hit.category, hit.source, True, prefix)
        return self._record_measure(tokens, len(ctx_tokens), vetoed)

    def _record_measure(self, tokens: list[str], n_ctx: int, vetoed: Callable[[str], bool]
                        ) -> Classification | None:
        """`test.grade` on a HearingTest, `treatment_cycle_outcome`: what a record of one
        kind measured is that kind of data, though `grade` alone is anyone's. A field
        that names something else first is not (a prescription's `pharmacy_name`)."""
        if not self._records or len(tokens) < 2 or tokens[-1] not in self._measures:
            return None
        before = tokens[:-1]
        if self._record_words.isdisjoint(before):  # the usual answer, at once
            return None
        own = tokens[n_ctx:-1]  # the field's words before the measure: right_thresholds
        for (record, cat) in self._records.items():
            n = len(record)
            if any(t not in record and t not in self._qualifiers and t not in self._measures
                   for t in own):  # (usage_hours, score_band: measures of measures)
                continue
            for i in range(len(before) - n + 1):
                if tuple(before[i:i + n]) == record and not vetoed(cat):
                    return Classification(cat, "_".join(record) + " record", True,
                                          "_".join(before) or None)
        return None

    def _head_hits(self, head: str) -> tuple[_Pattern | None, _Pattern | None]:
        """The first field and contextual patterns (file order) fullmatching ``head``.

        Cached apart from vetoes and contexts: the same suffixes (name, id, email) recur
        under many prefixes and objects.
        """
        hits: list[_Pattern | None] = []
        for kind in (0, 1):
            found = None
            for fullmatch, p in self._candidates(kind, head):
                if fullmatch(head):
                    found = p
                    break
            hits.append(found)
        return hits[0], hits[1]

    def _candidates(self, kind: int, head: str
                    ) -> list[tuple[Callable[[str], Any], _Pattern]]:
        """The patterns (field ones: kind 0, contextual: 1) whose shape fits `head`
        (its first and last character), in file order: about 14 of the 640, each tried
        on its own. An alternation of those starting with the same character (a tenth)
        cost 7 us a head and 5 ms to compile for each first character: classifying the
        23,000 questions of a cold scan of formbricks took 1.25-1.6 s with it, 0.86-1.1 s
        this way. A pattern is compiled only when a name fits it."""
        first, last = head[:1], head[-1:]
        found = self._buckets.get((kind, first, last))
        if found is None:
            every = self._fields if kind == 0 else self._contextual
            found = self._buckets[(kind, first, last)] = [
                (p.regex.fullmatch, p)
                for p, shape in zip(every, self._shapes[kind], strict=True)
                if (shape.first is None or first in shape.first)
                and (shape.last is None or last in shape.last)]
        return found

    @staticmethod
    def _pick(
        first: _Pattern | None,
        patterns: Sequence[_Pattern],
        head: str,
        vetoed: Callable[[str], bool],
    ) -> _Pattern | None:
        """``first`` unless its category is vetoed; then a later match in another one."""
        if first is None or not vetoed(first.category):
            return first
        # Rare: the first match is vetoed; look for a later one in another category.
        for p in patterns:
            if p.category != first.category and p.regex.fullmatch(head) and not vetoed(p.category):
                return p
        return None

    def _word_kind(self, word: str) -> int | None:
        """The kind of a context word, also in the plural (users) or numbered (user2)."""
        kind = self._words.get(word)
        if kind is not None or word.isdigit():
            return _TRANSPARENT if kind is None else kind
        word = _TRAILING_DIGITS.sub("", word)
        stems = [word]
        if word.endswith("s"):
            stems += [word[:-3] + "y" if word.endswith("ies") else "", word[:-2], word[:-1]]
        for stem in stems:
            if stem and (kind := self._words.get(stem)) is not None:
                return kind
        return None

    def _decide(self, tokens: Sequence[str]) -> bool | None:
        """Does this context name a person? Read right to left, the owner is the last noun.

        Transparent words (data, current) are skipped; a person word says yes; a
        non-person word or an unknown noun says no (``user_product``, and
        ``user_subscription`` whose id is the subscription's); parts of a person
        (address, billing) say yes unless a word left of them says no
        (``company_address``). None: nothing but transparent words.
        """
        part = False
        i = len(tokens)
        while i > 0:
            size, kind = 1, None
            for n in range(min(self._max_words, i), 0, -1):
                kind = self._word_kind("_".join(tokens[i - n : i]))
                if kind is not None:
                    size = n
                    break
            if kind == _PERSON:
                return True
            if kind == _LONE_PERSON:  # `client` alone, not `api_client`, `vacancy.client`
                return all(self._word_kind(t) in (_TRANSPARENT, _PART, _PERSON)
                           for t in tokens[:i - size])
            if kind is None or kind == _NON_PERSON:
                return False
            part = part or kind == _PART
            i -= size
        return True if part else None

    def is_person(self, context: str) -> bool:
        """Whether an object name says it is a person (user, customer, session_user)."""
        return self._decide([t for t in normalise(context).split("_") if t]) is True

    def is_person_part(self, context: str) -> bool:
        """Whether an object name is only a part of someone (billing_address, location):
        whose it is, its owner to the left says (org.billing_address)."""
        kinds = [self._word_kind(t) for t in normalise(context).split("_") if t]
        return _PART in kinds and all(k in (_PART, _TRANSPARENT) for k in kinds)

    def vetoed_on(self, field: str, context: str) -> bool:
        """Whether `field` read on `context` is not what a person's field of that name
        is (`person_field_vetoes`): a Worker class is a person, but `worker.region` is
        where the worker works, not where they live."""
        rx = self._person_vetoes
        tokens = [t for t in normalise(context).split("_") if t] + normalise(field).split("_")
        return rx is not None and rx.fullmatch("_".join(tokens)) is not None

    def is_business_field(self, field: str) -> bool:
        """Whether a class declaring `field` is a business (`business_fields`): a
        Contractor with a `company_name` is a firm, whatever `contractor` usually is."""
        rx = self._business_fields
        return rx is not None and rx.fullmatch(normalise(field)) is not None

    def library_callbacks(self, call: str
                          ) -> list[tuple[re.Pattern[str], int, tuple[str, ...], str]]:
        """The project functions a library call is given (under a key of its options
        that the pattern fullmatches) and calls back with a person's data at a
        parameter (`library_callbacks`): Better Auth's `secondaryStorage.set(key,
        value)` is handed a session."""
        return [(key, param, cats, what) for path, key, param, cats, what
                in self._library_callbacks if path == call]

    def is_token_maker(self, callee: str) -> bool:
        """Whether a library call named `callee` mints a new secret (`token_makers`):
        `default_token_generator.make_token(user)` is a reset token, not the user's
        email, and is named by where it goes (`reset_token=token`)."""
        rx = self._token_makers
        return rx is not None and rx.fullmatch(normalise(callee)) is not None

    def is_transparent(self, context: str) -> bool:
        """Whether an object name says nothing of whose it is (row, item, data)."""
        tokens = [t for t in normalise(context).split("_") if t]
        return bool(tokens) and all(self._word_kind(t) == _TRANSPARENT for t in tokens)

    def is_non_person(self, context: str) -> bool:
        """Whether an object name says it is not a person (product, order, company)."""
        tokens = [t for t in normalise(context).split("_") if t]
        return self._decide(tokens) is False and any(
            self._word_kind(t) == _NON_PERSON for t in tokens)

    # -- literals and sanitisers -------------------------------------------------

    def classify_literal(self, text: str) -> str | None:
        """The category of a string value written in code (``"a@b.com"``: email)."""
        return self._literal_cached(text)

    def _classify_literal(self, text: str) -> str | None:
        value = text.strip()
        if not value:
            return None
        for cat, rx in self._literals:
            m = rx.search(value)
            if m is not None and _checksum_ok(m.group(0)):
                return cat
        return None

    def is_person_secret(self, key: str) -> bool:
        """A credentials key that names a person's own secret (reset_token, door_pin),
        not the configuration a caller passes (api_key)."""
        rx = self._person_secrets
        return rx is not None and rx.fullmatch(normalise(key)) is not None

    def in_secret_flow(self, function: str) -> bool:
        """`send_magic_link`, `issue_door_pin`: a function whose name says it hands a
        person a secret (its bare `token` or `pin` is that secret)."""
        return self._secret_flow_cached(function)

    def in_face_flow(self, function: str) -> bool:
        """`upload_headshot`, `save_player_photo`: a function whose name says it handles a
        person's face image (`photo`/`picture` only beside a word for a person: not
        `upload_product_photo`)."""
        words = [w for w in normalise(function).split("_") if w]
        for i, w in enumerate(words):
            if w in self._face_flows and (w not in _PLAIN_IMAGES or any(
                    self._word_kind(o) == _PERSON or o == "profile"
                    for o in words[:i] + words[i + 1:])):
                return True
        return _names_word(function, self._face_compounds)  # upload_badge_photo

    def clinical_measure(self, name: str) -> Classification | None:
        """`hdss_score`, `tie_grade` on a patient's record: one of the `clinical_measures`
        of something that is no other category and not one of the `non_clinical_measures`
        (a `satisfaction_score` is the patient's opinion)."""
        words = normalise(name).split("_")
        if len(words) < 2 or words[-1] not in self._clinical \
                or not self._non_clinical.isdisjoint(words[:-1]) \
                or self.classify("_".join(words[:-1]), None) is not None:
            return None
        return Classification("health", "clinical measure", False, None)

    def names_face(self, name: str) -> bool:
        """`photo`, `portrait_file`: a file named for a face image, whoever's (the photo
        uploaded for an ID card is its holder's face, not the card)."""
        return any(w in self._face_flows for w in normalise(name).split("_"))

    def in_document_flow(self, function: str) -> bool:
        """`upload_driving_licence`, `save_passport_scan`: a function whose name says it
        handles an identity document (a plain file it is given is that document)."""
        return _names_word(function, self._document_flows)

    def _in_secret_flow(self, function: str) -> bool:
        return _names_word(function, self._secret_flows) and not _names_word(
            function, self._secret_flow_vetoes)

    def is_sanitiser(self, callee: str) -> bool:
        """Does calling ``callee`` (dotted, e.g. ``hashlib.sha256``) clean its argument?"""
        return self._sanitiser_cached(callee)

    def _is_sanitiser(self, callee: str) -> bool:
        segments = [s for s in (normalise(part) for part in callee.split(".")) if s]
        if not segments:
            return False
        if self._sanitiser_re.fullmatch(segments[-1]):
            return True
        return self._sanitiser_dotted_re.fullmatch(".".join(segments)) is not None

    def cache_clear(self) -> None:
        """Drop cached answers (tests, long-lived processes that reload rules)."""
        self._classified.clear()
        self._stored = None
        for cached in (
            self._head_cached,
            self._literal_cached,
            self._sanitiser_cached,
        ):
            cached.cache_clear()  # type: ignore[attr-defined]


def load_taxonomy(path: Path = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
    """Read and compile a taxonomy file without schema validation (see flowscan/catalog.py)."""
    import yaml  # here: unpickling a cached catalog imports this module, not YAML

    with Path(path).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a taxonomy file must be a mapping")
    return Taxonomy.from_dict(data)

"""Which objects are persons: classes whose fields only a person has, the project's own
person nouns, and the objects a function treats as persons (a mixin of the engine's
Program, which owns the classes, functions and caches these read)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flowscan import ir
from flowscan.analysis.walk import (
    CONTACT_DATA,
    PERSON_EVIDENCE,
    STRONG_EVIDENCE,
    of_someone_else,
    person_objects,
)

if TYPE_CHECKING:
    from flowscan.taxonomy import Taxonomy


def links(*holders: str) -> frozenset[str]:
    """The fields by which a record points at one of `holders` (`patient`,
    `patient_id`, `patient_pk`, `patient_uuid`)."""
    return frozenset(f"{h}{s}" for h in holders for s in ("", "_id", "_pk", "_uuid"))


PATIENT_LINKS = links("patient")
PERSON_LINKS = links("customer", "user", "member", "client", "guest", "tenant", "owner",
                     "applicant", "patient", "resident", "homeowner", "hirer")
ANIMAL_LINKS = links("pet", "animal", "dog", "cat", "horse", "pony")
PRICED = re.compile(r"(.+_)?(prices?|price_per_.+|stripe_price(_id)?)"
                    r"(_(pence|cents|gbp|usd|eur))?")  # a class's own price


class PersonEvidence:
    if TYPE_CHECKING:
        tax: Taxonomy
        classes: dict[str, tuple[ir.Class, ir.Module]]
        functions: dict[str, tuple[ir.Function, ir.Module]]
        children: dict[str, list[str]]
        _persons: dict[str, frozenset[str]]
        _person_classes: dict[str, bool]
        _field_words: dict[str, frozenset[str]]
        _place_records: dict[str, bool]
        _person_nouns: frozenset[str]
        _record_nouns: frozenset[str]
        _noun_cache: dict[tuple[str, tuple[str, ...]], bool]

        def depend(self, key: str, unit: str) -> None: ...
        def changed(self, key: str) -> None: ...

    def person_class(self, cid: str) -> bool:
        """A class (model, DTO, TS interface) that declares a field only a person has:
        its ambiguous fields (`id`, `name`) are that person's."""
        found = self._person_classes.get(cid)
        if found is None:
            entry = self.classes.get(cid)
            found = entry is not None and self.describes_person(
                entry[0].name, entry[0].fields) and not self.place_record(cid)
            self._person_classes[cid] = found
        return found

    def patients_record(self, cid: str) -> bool:
        """A record a class keeps of one patient (`patient = ForeignKey(Patient)`,
        `patientId String`): what it says of their health is theirs, as on the patient
        (an Appointment's `procedure`, a Referral's `condition`)."""
        return not self.field_words(cid).isdisjoint(PATIENT_LINKS)

    def field_words(self, cid: str) -> frozenset[str]:
        """A class's declared fields, normalised (`patientId`: patient_id), once per
        class and run: the record checks ask it of every field read on an instance, and
        refresh_person_nouns of every class whenever modules are added."""
        found = self._field_words.get(cid)
        if found is None:
            entry = self.classes.get(cid)
            if entry is None:  # (not cached: it may be loaded later)
                return frozenset()
            found = self._field_words[cid] = frozenset(
                self.tax.normalise(f) for f in entry[0].fields)
        return found

    def animals_record(self, cid: str) -> bool:
        """A record a class keeps of an animal and of no patient (a pet insurance
        `Claim` with a `pet`): what it says of health is the animal's."""
        fields = self.field_words(cid)
        return not fields.isdisjoint(ANIMAL_LINKS) and fields.isdisjoint(PATIENT_LINKS)

    def persons_record(self, cid: str) -> bool:
        """A record a class keeps for one person (a `Booking` with a `customer_id`):
        the site it names is that person's premises."""
        return not self.field_words(cid).isdisjoint(PERSON_LINKS)

    def priced_class(self, cid: str) -> bool:
        """A class that declares its own price and keeps no patient: a catalogue item
        (a lawn care `TreatmentPlan` with a `pricePerSqm`), whatever its name reads as."""
        fields = self.field_words(cid)
        return any(PRICED.fullmatch(f) for f in fields) \
            and not any(f.startswith("patient") for f in fields)  # (a dental lab's
        # CaseOrder with a price and a patient_name is a patient's case)

    def business_class(self, cid: str) -> bool:
        """A class that declares a business's name or number and nothing only a person
        has: a `Contractor` with a `company_name` is a firm, its address the firm's."""
        entry = self.classes.get(cid)
        return entry is not None and any(map(self.tax.is_business_field, entry[0].fields)) \
            and not self.person_class(cid)

    def place_record(self, cid: str) -> bool:
        """A class shaped as a place's record (`place_shaped`) and not named for a
        person: a `Lido`, a `Windsock` launch point, not a `Customer`."""
        found = self._place_records.get(cid)
        if found is None:
            entry = self.classes.get(cid)
            if entry is None:  # (not cached: it may be loaded later)
                return False
            found = self._place_records[cid] = not self.tax.is_person(
                entry[0].name) and place_shaped(entry[0], self.tax)
        return found

    def describes_person(self, name: str, fields: tuple[str, ...]) -> bool:
        """A Clinic with an email and a phone is a business, a Company's VAT number is a
        business's too, a Dog has a date of birth; a Tenant with a full name and a date
        of birth is a person whatever the taxonomy reads `tenant` as: a class whose name
        says it is no person needs two kinds of what only people have, or a full name
        or a date of birth of its own (not an `owner_name`) beside an email or a phone."""
        kinds = {c.category for f in fields
                 if (c := self.tax.classify(f, None)) is not None and not c.contextual
                 and c.category in PERSON_EVIDENCE and not (  # (desk_phone: a business's)
                     c.context and c.category in ("email", "phone")
                     and self.tax.is_non_person(c.context))
                 and not of_someone_else(f, name, self.tax)}
        if self.tax.is_non_person(name) or any(map(self.place_contact, fields)):
            return len(kinds & STRONG_EVIDENCE) >= 2 or (
                bool(kinds & CONTACT_DATA) and ("date_of_birth" in kinds or any(
                    (c := self.tax.classify(f, None)) is not None and c.category == "name"
                    and not c.contextual and not c.context for f in fields)))
        return bool(kinds)

    def place_contact(self, field: str) -> bool:
        """A place's or an organisation's line or inbox (`office_email`,
        `front_desk_phone`): a class declaring one is held to the standard of a class
        named for a place (a rental Property with a `phone` is no person)."""
        head, _, last = self.tax.normalise(field).rpartition("_")
        found = self.tax.classify(last, None) if head else None
        return found is not None and found.category in CONTACT_DATA \
            and self.tax.is_non_person(head)

    def is_person_noun(self, word: str, unit: str) -> bool:
        """Whether `word` (lower case) names one of the project's classes that describe
        a person beyond contact fields (a name, a date of birth): `tenant`, `camper`,
        `walker`, in the project's own words, whatever the taxonomy thinks the word
        usually means. The unit depends on that word alone: a class loaded later that
        makes another word a person runs only the units that asked about that word."""
        self.depend(f"person-noun:{word}", unit)
        return word in self._person_nouns

    def is_record_noun(self, word: str, unit: str) -> bool:
        """Whether `word` (lower case) names one of the project's classes kept for one
        person (`persons_record`: a `Booking` with a `customer`), so that an untyped
        `booking.site_postcode` is where that person is, as on a typed one."""
        self.depend(f"record-noun:{word}", unit)
        return word in self._record_nouns

    def refresh_person_nouns(self) -> None:
        """After modules are added: their classes may name new persons (or records of
        one), and the units that classified a field without them run again."""
        nouns = frozenset(entry[0].name.lower() for cid, entry in self.classes.items()
                          if self.names_person(entry[0].name, entry[0].fields)
                          and not self.place_record(cid))
        if nouns != self._person_nouns:
            changed = nouns ^ self._person_nouns
            self._person_nouns = nouns
            for word in sorted(changed):
                self.changed(f"person-noun:{word}")
        records = frozenset(entry[0].name.lower() for cid, entry in self.classes.items()
                            if self.persons_record(cid))
        if records != self._record_nouns:
            changed = records ^ self._record_nouns
            self._record_nouns = records
            for word in sorted(changed):
                self.changed(f"record-noun:{word}")

    def names_person(self, name: str, fields: tuple[str, ...]) -> bool:
        """Whether a class so named with these fields makes its name a person noun;
        remembered across runs (the state keeps it): a re-scan after an edit asks
        again only for the classes the edit changed."""
        found = self._noun_cache.get((name, fields))
        if found is None:
            found = self._noun_cache[(name, fields)] = any(
                (c := self.tax.classify(f, None)) is not None and not c.contextual
                and c.category in STRONG_EVIDENCE and not of_someone_else(f, name, self.tax)
                for f in fields) and self.describes_person(name, fields)
        return found

    def person_objects(self, unit: str, body: tuple[ir.Stmt, ...]) -> frozenset[str]:
        root = unit
        while root in self.functions and self.functions[root][0].parent in self.functions:
            root = self.functions[root][0].parent  # closures share their outer function's
        found = self._persons.get(root)           # evidence, and each other's
        if found is None:
            if root in self.functions:
                bodies = [self.functions[root][0].body]
                stack = list(self.children.get(root, ()))
                while stack:
                    child = stack.pop()
                    bodies.append(self.functions[child][0].body)
                    stack.extend(self.children.get(child, ()))
                found = frozenset().union(*(person_objects(b, self.tax) for b in bodies))
            else:
                found = person_objects(body, self.tax)
            self._persons[root] = found
        return found


PLACE_FIELDS = re.compile(r"id|pk|uuid|name|title|(.+_)?address(_line_?[12])?|postcode|post_code|"
                         r"town|city|county|(.+_)?phone(_number)?|lat|lng|lon|latitude|longitude|"
                         r"website|url|created_at|updated_at")


def place_shaped(cls: ir.Class, tax: Taxonomy) -> bool:
    """A bare `name` beside an address and a phone, and nothing else but an id, a
    position or a link to other records: the shape of a place's or an organisation's
    record (a `Lido`, a `Chapter`), not of one kept for a person (a `Booking` has a
    date, a `Customer` is named for a person whatever its shape)."""
    words = {tax.normalise(f) for f in cls.fields if f not in cls.types}
    return "name" in words and any(w.endswith("address") for w in words) \
        and all(PLACE_FIELDS.fullmatch(w) for w in words)

"""Tests for flowscan/taxonomy.py against the shipped rules/taxonomy.yaml.

The classification cases live in tests/data/taxonomy_cases.yaml so that a taxonomy change
shows up as a data diff; every case asserts the exact category (or null).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from flowscan.taxonomy import (
    DEFAULT_TAXONOMY_PATH,
    Classification,
    Taxonomy,
    _shape,
    load_taxonomy,
    normalise,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "rules" / "schema" / "taxonomy.schema.json"
CASES_PATH = Path(__file__).resolve().parent / "data" / "taxonomy_cases.yaml"

CONTRACT_CATEGORIES = [
    "email",
    "name",
    "phone",
    "address",
    "date_of_birth",
    "government_id",
    "financial",
    "credentials",
    "ip_address",
    "location",
    "device_id",
    "user_id",
    "health",
    "demographic",
    "biometric",
]


def _load_cases() -> list[dict[str, Any]]:
    with CASES_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["cases"]


CASES = _load_cases()


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(DEFAULT_TAXONOMY_PATH)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    with DEFAULT_TAXONOMY_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _case_id(case: dict[str, Any]) -> str:
    ctx = case.get("context")
    return f"{ctx}.{case['field']}" if ctx else str(case["field"])


# -- the rules file ------------------------------------------------------------


def test_rules_file_is_valid_against_its_schema(raw: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(raw)] == []


def test_schema_is_strict(raw: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    bad = dict(raw, unknown_key=1)
    assert not validator.is_valid(bad)
    missing = dict(raw, categories={k: v for k, v in raw["categories"].items() if k != "email"})
    assert not validator.is_valid(missing)
    extra_field = dict(raw["categories"]["email"], colour="red")
    assert not validator.is_valid(dict(raw, categories=dict(raw["categories"], email=extra_field)))


def test_categories_are_exactly_the_contract(taxonomy: Taxonomy) -> None:
    assert list(taxonomy.categories) == CONTRACT_CATEGORIES


def test_the_word_place_shaped_records_read_as_is_a_place(taxonomy: Taxonomy) -> None:
    from flowscan.analysis.fields import PLACE_OWNER

    assert taxonomy.is_non_person(PLACE_OWNER)
    assert taxonomy.classify("phone", PLACE_OWNER) is None


def test_metadata(taxonomy: Taxonomy) -> None:
    assert taxonomy.title("email") == "Email address"
    assert taxonomy.fideslang("email") == ["user.contact.email"]
    assert taxonomy.fideslang("ip_address") == ["user.device.ip_address"]
    assert "user.government_id" in taxonomy.fideslang("government_id")
    assert "user.demographic.gender" in taxonomy.fideslang("demographic")
    for cat in taxonomy.categories:
        assert taxonomy.title(cat)
        assert taxonomy.description(cat)
        assert all(key.startswith("user.") for key in taxonomy.fideslang(cat))
    with pytest.raises(KeyError):
        taxonomy.title("nope")


def test_at_least_150_patterns(raw: dict[str, Any]) -> None:
    count = sum(
        len(spec["fields"]) + len(spec.get("contextual", [])) for spec in raw["categories"].values()
    )
    assert count >= 150


# -- normalise -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("firstName", "first_name"),
        ("FirstName", "first_name"),
        ("first-name", "first_name"),
        ("FIRST_NAME", "first_name"),
        ("first_name", "first_name"),
        ("X-Forwarded-For", "x_forwarded_for"),
        ("HTTP_X_FORWARDED_FOR", "http_x_forwarded_for"),
        ("userID", "user_id"),
        ("userIDs", "user_ids"),
        ("IPAddress", "ip_address"),
        ("ipAddress", "ip_address"),
        ("IPv4Address", "ipv4_address"),
        ("addressLine1", "address_line1"),
        ("sha256Hash", "sha256_hash"),
        ("$email", "email"),
        ("$first_name", "first_name"),
        ("__id__", "id"),
        ("_id", "id"),
        ("request.user", "request_user"),
        ("user name", "user_name"),
        ("getHTTPResponse", "get_http_response"),
        ("", ""),
        ("$", ""),
    ],
)
def test_normalise(identifier: str, expected: str) -> None:
    assert normalise(identifier) == expected
    assert Taxonomy.normalise(identifier) == expected


# -- classify ------------------------------------------------------------------


def test_case_file_is_large_and_covers_every_category(taxonomy: Taxonomy) -> None:
    assert len(CASES) >= 200
    positive = {c["expect"] for c in CASES if c["expect"] is not None}
    assert positive == set(taxonomy.categories)
    assert sum(1 for c in CASES if c["expect"] is None) >= 50


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_classify_case(taxonomy: Taxonomy, case: dict[str, Any]) -> None:
    result = taxonomy.classify(case["field"], case.get("context"))
    got = result.category if result is not None else None
    assert got == case["expect"]


def test_classification_details(taxonomy: Taxonomy) -> None:
    assert taxonomy.classify("name", "user") == Classification("name", "name", True, "user")
    assert taxonomy.classify("customer_name") == Classification("name", "name", True, "customer")
    assert taxonomy.classify("email") == Classification("email", "e_?mails?", False, None)
    hit = taxonomy.classify("userEmail")
    assert hit is not None and hit.contextual is False and hit.context == "user"
    hit = taxonomy.classify("name", "request.user")
    assert hit is not None and hit.contextual and hit.context == "request_user"


def test_classification_is_frozen(taxonomy: Taxonomy) -> None:
    hit = taxonomy.classify("email")
    assert hit is not None
    with pytest.raises(AttributeError):
        hit.category = "phone"  # type: ignore[misc]


def test_empty_context_is_no_context(taxonomy: Taxonomy) -> None:
    assert taxonomy.classify("name", "") is None
    assert taxonomy.classify("name", None) is None


def test_classify_is_cached(taxonomy: Taxonomy) -> None:
    first = taxonomy.classify("customerEmail", "order")
    assert taxonomy.classify("customerEmail", "order") is first


# -- literals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane.doe@example.com", "email"),
        ("Contact jane+news@mail.example.co.uk today", "email"),
        ("logo@2x.png", None),
        ("lodash@4.17.21", None),
        ("+14155552671", "phone"),
        ("+44 20 7946 0958", "phone"),
        ("(555) 123-4567", "phone"),
        ("2024-01-15", None),
        ("123-45-6789", "government_id"),
        ("000-12-3456", None),
        ("4111 1111 1111 1111", "financial"),
        ("4111-1111-1111-1111", "financial"),
        ("4111111111111112", None),
        ("378282246310005", "financial"),
        ("DE89 3704 0044 0532 0130 00", "financial"),
        ("GB82WEST12345698765432", "financial"),
        ("GB00WEST12345698765432", None),
        ("sk-proj-abcdefghijklmnopqrstuvwxyz012345", "credentials"),
        ("AKIAIOSFODNN7EXAMPLE", "credentials"),
        ("ghp_" + "a" * 36, "credentials"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "credentials"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_nature-x", "credentials"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "credentials"),
        ("Bearer abcdefghijklmnop1234", "credentials"),
        ("203.0.113.42", "ip_address"),
        ("127.0.0.1", None),
        ("0.0.0.0", None),
        ("192.168.1.10", None),
        ("10.0.0.1", None),
        ("256.1.1.1", None),
        ("2001:db8::ff00:42:8329", "ip_address"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip_address"),
        ("12:30", None),
        ("Signed up", None),
        ("", None),
        ("user_email", None),
    ],
)
def test_classify_literal(taxonomy: Taxonomy, text: str, expected: str | None) -> None:
    assert taxonomy.classify_literal(text) == expected


# -- sanitisers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("callee", "expected"),
    [
        ("hashlib.sha256", True),
        ("hashlib.md5", True),
        ("hashlib.blake2b", True),
        ("hashlib.new", True),
        ("hashlib.sha256().hexdigest", True),
        ("hmac.new", True),
        ("hmac.compare_digest", True),
        ("crypto.createHash", True),
        ("crypto.createHmac", True),
        ("crypto.subtle.digest", True),
        ("utils.hash_pii", True),
        ("hash", True),
        ("bcrypt.hashpw", True),
        ("anonymize_ip", True),
        ("anonymise", True),
        ("pseudonymize", True),
        ("maskEmail", True),
        ("redact", True),
        ("pii.redact_text", True),
        ("scrubber.scrub", True),
        ("obfuscate", True),
        ("encrypt", True),
        ("fernet.encrypt", True),
        ("tokenize_pii", True),
        ("truncate_ip", True),
        ("truncate_id", True),
        ("truncate_text", False),
        ("strip_pii", True),
        ("uuid.uuid5", True),
        ("truncate", False),
        ("textwrap.shorten", False),
        ("tokenizer.tokenize", False),
        ("sanitize", False),
        ("base64.b64encode", False),
        ("hash_utils.send_email", False),
        ("mixpanel.track", False),
        ("send_digest_email", False),
        ("str.lower", False),
        ("", False),
    ],
)
def test_is_sanitiser(taxonomy: Taxonomy, callee: str, expected: bool) -> None:
    assert taxonomy.is_sanitiser(callee) is expected


@pytest.mark.parametrize(
    ("callee", "expected"),
    [
        ("make_token", True),
        ("generate_reset_token", True),
        ("createAccessToken", True),
        ("generate_otp", True),
        ("create_verification_code", True),
        ("generate_code", False),
        ("token_count", False),
        ("get_token", False),
        ("make_request", False),
    ],
)
def test_is_token_maker(taxonomy: Taxonomy, callee: str, expected: bool) -> None:
    assert taxonomy.is_token_maker(callee) is expected


# -- construction --------------------------------------------------------------


@pytest.mark.parametrize(("key", "expected"), [
    ("resetToken", True), ("magic_link_token", True), ("otp", True), ("door_pin", True),
    ("unlockCode", True), ("password", True), ("pin", True),
    ("api_key", False), ("secret", False), ("authorization", False), ("locker_code", False),
])
def test_person_secrets_are_not_configuration(taxonomy: Taxonomy, key: str, expected: bool
                                              ) -> None:
    assert taxonomy.is_person_secret(key) is expected


@pytest.mark.parametrize(("function", "expected"), [
    ("send_magic_link", True), ("sendPasswordReset", True), ("issue_door_pin", True),
    ("verifyPhone", True), ("send_status_ping", False), ("spinner", False),
    ("resetForm", True), ("track_login", True), ("pinned_posts", False),
])
def test_secret_flows_read_whole_words(taxonomy: Taxonomy, function: str, expected: bool
                                       ) -> None:
    assert taxonomy.in_secret_flow(function) is expected


@pytest.mark.parametrize(("function", "expected"), [
    ("upload_headshot", True), ("uploadProfilePhoto", True), ("upload_player_photo", True),
    ("store_selfie", True), ("upload_photo", False), ("upload_product_photo", False),
    ("save_picture", False), ("surface_map", False), ("upload_logo", False),
    ("upload_badge_photo", True), ("save_passport_photo", True),  # an ID photo's holder
    ("cats_cat_id_photo_photo", False),  # a route's words: a cat's photo, by its id
])
def test_face_flows_need_a_person_beside_a_photo(taxonomy: Taxonomy, function: str,
                                                 expected: bool) -> None:
    assert taxonomy.in_face_flow(function) is expected


@pytest.mark.parametrize(("function", "expected"), [
    ("upload_driving_licence", True), ("uploadPassportScan", True), ("save_id_card", True),
    ("renew_passport", True), ("upload_document", False), ("passports_count", False),
    ("upload_license_key", False), ("idcard_layout", False),
])
def test_document_flows_read_whole_words(taxonomy: Taxonomy, function: str, expected: bool
                                         ) -> None:
    assert taxonomy.in_document_flow(function) is expected


def test_from_dict_equals_load(raw: dict[str, Any], taxonomy: Taxonomy) -> None:
    built = Taxonomy.from_dict(raw)
    assert built.categories == taxonomy.categories
    assert built.classify("customer_name") == taxonomy.classify("customer_name")


def test_bad_regex_names_its_place(raw: dict[str, Any]) -> None:
    email = dict(raw["categories"]["email"], fields=["e_?mail", "(unclosed"])
    data = dict(raw, categories=dict(raw["categories"], email=email))
    with pytest.raises(ValueError, match=r"categories\.email\.fields\[1\]"):
        Taxonomy.from_dict(data)


def test_minimal_document() -> None:
    data = {
        "person_contexts": ["user"],
        "non_person_contexts": ["product"],
        "categories": {
            "email": {
                "title": "Email",
                "description": "Email address.",
                "fideslang": ["user.contact.email"],
                "fields": ["(.+_)?e?mail(_address|_addr)?"],
                "contextual": ["address"],
                "exclude": [".*_(enabled|template|verified|sent|count)"],
            }
        },
        "literals": {"email": "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"},
        "sanitisers": ["(.+_)?(hash|hashed|mask|redact)(_.+)?"],
    }
    tax = Taxonomy.from_dict(data)
    assert tax.categories == ("email",)
    assert tax.classify("userEmail") is not None
    assert tax.classify("email_enabled") is None
    assert tax.classify("email_template") is None
    assert tax.classify("address", "user") == Classification("email", "address", True, "user")
    assert tax.classify("address", "product") is None
    assert tax.classify("address") is None
    assert tax.classify_literal("a@b.io") == "email"
    assert tax.is_sanitiser("utils.hash_value")
    bad = {**data, "record_contexts": {"health": ["hearing_test"]}, "record_measures": ["grade"]}
    with pytest.raises(ValueError, match="record_contexts.health"):
        Taxonomy.from_dict(bad)
    tax = Taxonomy.from_dict({**bad, "record_contexts": {"email": ["mailing"]}})
    assert tax.classify("grade", "Mailing") == Classification("email", "mailing record", True,
                                                                 "mailing")
    callback = {"call": "auth.lib", "key": "store\\.set", "param": 1, "what": "a session"}
    with pytest.raises(ValueError, match=r"library_callbacks\[0\]: no such category 'health'"):
        Taxonomy.from_dict({**data, "library_callbacks": [{**callback, "categories": ["health"]}]})
    with pytest.raises(ValueError, match=r"library_callbacks\[0\]\.key: invalid regex"):
        Taxonomy.from_dict({**data, "library_callbacks": [
            {**callback, "key": "store(", "categories": ["email"]}]})
    tax = Taxonomy.from_dict({**data, "library_callbacks": [{**callback, "categories": ["email"]}]})
    [(key, param, cats, what)] = tax.library_callbacks("auth.lib")
    assert key.fullmatch("store.set") and (param, cats, what) == (1, ("email",), "a session")
    assert tax.library_callbacks("other.lib") == []


def test_pickles_for_worker_processes(taxonomy: Taxonomy) -> None:
    clone = pickle.loads(pickle.dumps(taxonomy))
    assert clone.categories == taxonomy.categories
    assert clone.classify("name", "user") == taxonomy.classify("name", "user")


def test_stored_answers_are_asked_before_the_patterns_and_merge_with_new_ones(
        taxonomy: Taxonomy) -> None:
    """A re-scan's taxonomy takes the stored state's answers as they load; asking for
    one compiles nothing, and the answers it keeps next are the old and the new."""
    from flowscan.analysis.stores import StoredAnswers

    questions = [("email", None), ("name", "user"), ("name", "product"), ("title", "")]
    fresh = {q: taxonomy.classify(*q) for q in questions}
    odd = {("a\x01b", None): None, ("x", "a\x00b"): None}  # (names that cannot be kept)
    stored = pickle.loads(pickle.dumps(StoredAnswers.of(fresh, odd)))
    assert len(stored) == len(fresh)
    assert all(stored.get((name, context or None)) == answer
               for (name, context), answer in fresh.items())
    assert stored.get(("phone", None), "unknown") == "unknown"
    assert [stored.get(q, "unknown") for q in odd] == ["unknown", "unknown"]
    clone = pickle.loads(pickle.dumps(taxonomy))  # compiled on first use
    clone.remember(stored)
    assert clone.classify("name", "user") == fresh[("name", "user")]
    assert clone.classify("title") is None
    with pytest.raises(AttributeError):
        object.__getattribute__(clone, "_literal_cached")  # nothing compiled yet
    assert clone.classify("phone_number") == taxonomy.classify("phone_number")  # new
    kept = StoredAnswers.of(clone.remembered(), clone.answers())
    assert kept.get(("phone_number", None)) == taxonomy.classify("phone_number")
    assert kept.get(("email", None)) == fresh[("email", None)] and len(kept) == 5


def test_load_rejects_non_mapping(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="mapping"):
        load_taxonomy(path)


@pytest.mark.parametrize(("field", "holder", "expected"), [
    ("recipient_phone", "Delivery", True),     # the recipient's, kept on a delivery
    ("guest_email", "booking", True),
    ("patient_name", "Patient", False),        # the holder's own
    ("owner_name", "vendor", False),           # a stall's owner is who the stall is
    ("holder_dob", "found_document", False),
    ("email", "Delivery", False),              # no other person named
    ("display_name", "Profile", False),
])
def test_fields_of_someone_else(taxonomy: Taxonomy, field: str, holder: str, expected: bool
                                ) -> None:
    from flowscan.analysis.walk import of_someone_else
    assert of_someone_else(field, holder, taxonomy) is expected


def test_patterns_tried_by_first_and_last_character_find_what_all_of_them_find(
        taxonomy: Taxonomy) -> None:
    """A head is tried against the patterns that can start and end with its first and
    last characters (taxonomy.py: _candidates); the first match must be the one trying
    every pattern finds, for every case field and every suffix of it."""
    heads = set()
    for case in CASES:
        tokens = normalise(case["field"]).split("_")
        heads |= {"_".join(tokens[i:]) for i in range(len(tokens))}
    heads |= {"x", "0", "_", "zz_email", "email2", "phone_numbers"}
    for head in sorted(h for h in heads if h):
        every = tuple(next((p for p in patterns if p.regex.fullmatch(head)), None)
                      for patterns in (taxonomy._fields, taxonomy._contextual))
        assert taxonomy._head_hits(head) == every, head


@pytest.mark.parametrize(("source", "expected"), [
    ("e_?mails?", {"e"}), ("(card|account)_?holder", {"c", "a"}),
    ("(?!x)[a-c]+", {"a", "b", "c"}), ("(pre_)?natal", {"p", "n"}), (".+_id", None),
    ("(?i)email", None), ("(a)?", None)])
def test_first_characters_of_a_pattern(source: str, expected: set[str] | None) -> None:
    found = _shape(source).first
    assert (None if found is None else set(found)) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("e_?mails?", {"l", "s"}), ("(card|account)_?holder(_?name)?", {"r", "e"}),
    ("[a-c]+(?!x)", {"a", "b", "c"}), ("natal(_care)?$", {"l", "e"}), ("id_.+", None),
    ("(?i)email", None), ("x(?i:email)", None), ("(a)?", None), ("x|y_\\d", None)])
def test_last_characters_of_a_pattern(source: str, expected: set[str] | None) -> None:
    found = _shape(source).last
    assert (None if found is None else set(found)) == expected


@pytest.mark.parametrize(("field", "expected"), [
    ("hdss_score", "health"),  # a hyperhidrosis severity scale, on a patient's record
    ("tie_grade", "health"),
    ("cobb_stage", "health"),
    ("rosacea_subtype", "health"),
    ("satisfaction_score", None),  # the patient's opinion of the service
    ("credit_score", None),
    ("email_score", None),  # a measure of another category's field
    ("order_status", None),  # statuses and levels are no clinical measures
    ("score", None),
])
def test_clinical_measures(taxonomy: Taxonomy, field: str, expected: str | None) -> None:
    found = taxonomy.clinical_measure(field)
    assert (found.category if found else None) == expected

"""DSA Art. 24(5) statements: every decision that restricts something yields a record the transparency database's
schema accepts; decisions that restrict nothing yield none; and the schema itself refuses known-bad records."""

from __future__ import annotations

import copy
import itertools
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from chalicelib.domain.statements import transparency_statement
from chalicelib.policy import Policy, load_policy, statement_schema

VALIDATOR = Draft202012Validator(statement_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
POLICY = load_policy()
RESTRICTING_ACTIONS = ("remove_content", "age_restrict_content", "restrict_interactions", "restrict_account")
GROUND_KINDS = ("incompatible_content", "illegal_content")
SOURCE_SETS = (("user",), ("trusted_flagger",), ("user", "trusted_flagger"))
REASON_SETS = (
    *((reason,) for reason in POLICY.reports.reasons),
    ("spam", "child_safety"),
    ("bullying", "harassment"),
    ("other", "hate", "impersonation"),
    tuple(POLICY.reports.reasons),
)


def errors(record: dict[str, Any]) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(record)]


def statement(policy: Policy = POLICY, **overrides: Any) -> dict[str, Any] | None:
    arguments: dict[str, Any] = {
        "decision_id": "d-0001_a",
        "outcome": "action_taken",
        "action": "remove_content",
        "reasons": ["bullying"],
        "target_type": "video",
        "sources": ["user"],
        "ground_kind": "incompatible_content",
        "ground": "Community Guidelines §4 (bullying)",
        "facts": "The video mocks a named classmate; three reports.",
        "automated": False,
        "content_date": date(2026, 3, 1),
        "application_date": date(2026, 3, 2),
    }
    arguments.update(overrides)
    return transparency_statement(policy, **arguments)


def valid_record() -> dict[str, Any]:
    record = statement()
    assert record is not None
    return record


@pytest.mark.parametrize("action", RESTRICTING_ACTIONS)
@pytest.mark.parametrize("target_type", POLICY.reports.target_types)
@pytest.mark.parametrize("ground_kind", GROUND_KINDS)
def test_every_restricting_combination_validates_against_the_schema(
    action: str, target_type: str, ground_kind: str
) -> None:
    for reasons, sources, automated in itertools.product(REASON_SETS, SOURCE_SETS, (False, True)):
        # Given a restricting decision  When its statement is built
        record = statement(
            action=action,
            target_type=target_type,
            ground_kind=ground_kind,
            reasons=reasons,
            sources=sources,
            automated=automated,
        )
        # Then the schema accepts it
        assert record is not None
        assert errors(record) == [], (action, target_type, ground_kind, reasons, sources, automated)


def test_remove_content_is_a_removal_of_a_video_on_the_terms_and_conditions() -> None:
    record = statement()
    assert record == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "category": "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        "category_specification": ["KEYWORD_CYBER_BULLYING_INTIMIDATION"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Community Guidelines §4 (bullying)",
        "incompatible_content_explanation": "The video mocks a named classmate; three reports.",
        "content_type": ["CONTENT_TYPE_VIDEO"],
        "content_date": "2026-03-01",
        "application_date": "2026-03-02",
        "decision_facts": "The video mocks a named classmate; three reports.",
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": "d-0001_a",
    }


def test_restrict_account_suspends_the_account_and_names_the_profile_as_other_content() -> None:
    record = statement(action="restrict_account", target_type="account", reasons=["impersonation"])
    assert record is not None
    assert record["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert "decision_visibility" not in record
    assert record["content_type"] == ["CONTENT_TYPE_OTHER"]
    assert record["content_type_other"] == "Account profile"


def test_the_most_severe_reason_sets_the_category_and_the_others_are_additions() -> None:
    record = statement(reasons=["spam", "bullying", "child_safety"])
    assert record is not None
    assert record["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    assert record["category_addition"] == ["STATEMENT_CATEGORY_CYBER_VIOLENCE", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"]
    assert record["category_specification"] == [
        "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",
        "KEYWORD_CYBER_BULLYING_INTIMIDATION",
    ]


def test_a_trusted_flagger_among_the_sources_makes_it_a_trusted_flagger_notice() -> None:
    record = statement(sources=["user", "trusted_flagger"])
    assert record is not None
    assert record["source_type"] == "SOURCE_TRUSTED_FLAGGER"


def test_an_automated_assist_is_reported_as_partially_automated() -> None:
    record = statement(automated=True)
    assert record is not None
    assert record["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert record["automated_detection"] == "No"


def test_an_illegal_content_decision_carries_the_legal_ground_and_not_the_contractual_one() -> None:
    record = statement(ground_kind="illegal_content", ground="StGB §184b")
    assert record is not None
    assert record["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert record["illegal_content_legal_ground"] == "StGB §184b"
    assert "incompatible_content_ground" not in record


def test_long_facts_stay_whole_in_decision_facts_and_are_shortened_in_the_explanation() -> None:
    facts = "x" * 5000
    record = statement(facts=facts)
    assert record is not None
    assert record["decision_facts"] == facts
    assert len(record["incompatible_content_explanation"]) == 2000
    assert errors(record) == []


@pytest.mark.parametrize(
    ("outcome", "action"), [("no_violation", None), ("action_taken", "warn"), ("action_taken", None)]
)
def test_a_decision_that_restricts_nothing_has_no_statement(outcome: str, action: str | None) -> None:
    assert statement(outcome=outcome, action=action) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"action": "ban_forever"},
        {"reasons": []},
        {"reasons": ["rudeness"]},
        {"target_type": "playlist"},
        {"sources": []},
        {"sources": ["robot"]},
        {"ground_kind": "vibes"},
        {"territorial_scope": ["US"]},
    ],
)
def test_inputs_outside_the_policy_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        statement(**overrides)


def test_the_territorial_scope_is_sent_sorted_without_repeats() -> None:
    record = statement(territorial_scope=["FR", "DE", "FR"])
    assert record is not None
    assert record["territorial_scope"] == ["DE", "FR"]


PUID = st.text(alphabet="abcXYZ0189-_", min_size=1, max_size=500)
NON_BLANK = st.text(min_size=1, max_size=500).filter(lambda text: text.strip() != "")
FACTS = st.text(min_size=1, max_size=5000).filter(lambda text: text.strip() != "")
COUNTRIES = sorted(statement_schema()["$defs"]["country"]["enum"])


@settings(max_examples=200, deadline=None)
@given(
    decision_id=PUID,
    action=st.sampled_from(RESTRICTING_ACTIONS),
    reasons=st.sets(st.sampled_from(POLICY.reports.reasons), min_size=1),
    target_type=st.sampled_from(POLICY.reports.target_types),
    sources=st.sets(st.sampled_from(("user", "trusted_flagger")), min_size=1),
    ground_kind=st.sampled_from(GROUND_KINDS),
    ground=NON_BLANK,
    facts=FACTS,
    automated=st.booleans(),
    content_date=st.dates(date(2000, 1, 1), date(2038, 1, 1)),
    application_date=st.dates(date(2020, 1, 1), date(2038, 1, 1)),
    territorial_scope=st.none() | st.lists(st.sampled_from(COUNTRIES)),
)
def test_any_restricting_decision_yields_a_valid_record(**inputs: Any) -> None:
    record = transparency_statement(POLICY, outcome="action_taken", **inputs)
    assert record is not None
    assert errors(record) == []
    assert record["puid"] == inputs["decision_id"]
    most_severe = min(inputs["reasons"], key=POLICY.transparency.severity)
    assert record["category"] == POLICY.transparency.category(most_severe)


def test_a_valid_record_is_accepted() -> None:
    assert errors(valid_record()) == []


def _without(record: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in record.items() if name != field}


def _with(record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**record, **fields}


ILLEGAL = _with(
    _without(_without(valid_record(), "incompatible_content_ground"), "incompatible_content_explanation"),
    decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
    illegal_content_legal_ground="StGB §130",
    illegal_content_explanation="Incites hatred.",
)

BAD_RECORDS = {
    "missing decision_ground": _without(valid_record(), "decision_ground"),
    "ILLEGAL without legal ground": _without(ILLEGAL, "illegal_content_legal_ground"),
    "ILLEGAL without explanation": _without(ILLEGAL, "illegal_content_explanation"),
    "INCOMPATIBLE without ground": _without(valid_record(), "incompatible_content_ground"),
    "illegal field on an INCOMPATIBLE decision": _with(valid_record(), illegal_content_legal_ground="StGB §130"),
    "puid with a space": _with(valid_record(), puid="d 1"),
    "puid with a trailing newline": _with(valid_record(), puid="d1\n"),
    "puid too long": _with(valid_record(), puid="a" * 501),
    "empty puid": _with(valid_record(), puid=""),
    "CONTENT_TYPE_OTHER without content_type_other": _with(valid_record(), content_type=["CONTENT_TYPE_OTHER"]),
    "content_type_other without CONTENT_TYPE_OTHER": _with(valid_record(), content_type_other="Profile"),
    "empty content_type": _with(valid_record(), content_type=[]),
    "no restriction at all": _without(valid_record(), "decision_visibility"),
    "an empty visibility list as the only restriction": _with(valid_record(), decision_visibility=[]),
    "unknown visibility": _with(valid_record(), decision_visibility=["DECISION_VISIBILITY_HIDDEN"]),
    "label instead of key": _with(valid_record(), category="Protection of minors"),
    "unknown keyword": _with(valid_record(), category_specification=["KEYWORD_MEAN"]),
    "automated_detection as a key": _with(valid_record(), automated_detection="AUTOMATED_DETECTION_NO"),
    "day-first date": _with(valid_record(), content_date="01-03-2026"),
    "impossible date": _with(valid_record(), content_date="2026-02-30"),
    "content date before 2000": _with(valid_record(), content_date="1999-12-31"),
    "application date after 2038-01-01": _with(valid_record(), application_date="2038-01-02"),
    "blank facts": _with(valid_record(), decision_facts="   "),
    "facts too long": _with(valid_record(), decision_facts="x" * 5001),
    "explanation too long": _with(valid_record(), incompatible_content_explanation="x" * 2001),
    "non-EU territory": _with(valid_record(), territorial_scope=["US"]),
    "unknown field": _with(valid_record(), decision_visiblity=["DECISION_VISIBILITY_CONTENT_REMOVED"]),
    "DECISION_VISIBILITY_OTHER unexplained": _with(valid_record(), decision_visibility=["DECISION_VISIBILITY_OTHER"]),
}


@pytest.mark.parametrize("name", BAD_RECORDS)
def test_the_schema_refuses_a_known_bad_record(name: str) -> None:
    assert errors(BAD_RECORDS[name]) != []


def test_the_policy_must_map_every_report_reason(raw_policy: dict[str, Any]) -> None:
    raw = copy.deepcopy(raw_policy)
    raw["transparency"]["categories"] = [pair for pair in raw["transparency"]["categories"] if pair[0] != "spam"]
    with pytest.raises(ValidationError, match="must map exactly the report reasons"):
        Policy.model_validate(raw, strict=False)


def test_the_policy_must_map_every_target_type(raw_policy: dict[str, Any]) -> None:
    del raw_policy["transparency"]["content_types"]["live"]
    with pytest.raises(ValidationError, match="must map exactly the target types"):
        Policy.model_validate(raw_policy, strict=False)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("categories",), [["child_safety", "STATEMENT_CATEGORY_CHILDREN"]]),
        (("actions", "remove_content"), {"decision_visibility": ["DECISION_VISIBILITY_GONE"]}),
        (("actions", "restrict_account"), {"decision_account": "DECISION_ACCOUNT_BANNED"}),
        (("content_types", "video"), {"content_type": ["CONTENT_TYPE_MOVIE"]}),
        (("category_specifications", "hate"), ["KEYWORD_RUDE"]),
    ],
)
def test_the_policy_may_only_use_the_schemas_enum_values(
    raw_policy: dict[str, Any], path: tuple[str, ...], value: Any
) -> None:
    section = raw_policy["transparency"]
    for key in path[:-1]:
        section = section[key]
    if path == ("categories",):
        section["categories"] = [*value, *[pair for pair in section["categories"] if pair[0] != "child_safety"]]
    else:
        section[path[-1]] = value
    with pytest.raises(ValidationError, match="not in the schema's"):
        Policy.model_validate(raw_policy, strict=False)


def test_content_type_other_must_be_named_in_the_policy(raw_policy: dict[str, Any]) -> None:
    del raw_policy["transparency"]["content_types"]["account"]["content_type_other"]
    with pytest.raises(ValidationError, match="content_type_other"):
        Policy.model_validate(raw_policy, strict=False)

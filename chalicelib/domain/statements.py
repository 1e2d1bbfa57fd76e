"""DSA Art. 24(5): a moderation decision as the statement of reasons the Commission's transparency database takes.

Pure: the policy's `transparency` section says how our reasons, actions and targets read in the database's vocabulary;
the record's shape is `chalicelib/moderation/transparency-statement.schema.json`. Sending it is someone else's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from chalicelib.policy import Policy, statement_enum

NO_VIOLATION = "no_violation"
EXPLANATION_MAX = 2000  # the schema's limit on *_explanation; decision_facts (5000) carries the full text
GroundKind = Literal["incompatible_content", "illegal_content"]
SOURCES = frozenset({"user", "trusted_flagger"})


def transparency_statement(
    policy: Policy,
    *,
    decision_id: str,
    outcome: str,
    action: str | None,
    reasons: Iterable[str],
    target_type: str,
    sources: Iterable[str],
    ground_kind: GroundKind,
    ground: str,
    facts: str,
    automated: bool,
    content_date: date,
    application_date: date,
    territorial_scope: list[str] | None = None,
) -> dict[str, Any] | None:
    """The statement record for one decision, or None when the decision restricts nothing (no statement is due)."""
    rules = policy.transparency
    if outcome == NO_VIOLATION or action is None:
        return None
    if action not in rules.actions:
        raise ValueError(f"unknown moderation action {action!r}")
    restriction = rules.actions[action]
    if not restriction.restricts:
        return None
    return {
        **restriction.fields(),
        **_categories(policy, reasons),
        **_ground(ground_kind, ground, facts),
        **_content_type(policy, target_type),
        **_territory(territorial_scope),
        "content_date": content_date.isoformat(),
        "application_date": application_date.isoformat(),
        "decision_facts": facts,
        "source_type": _source_type(sources),
        "automated_detection": "No",  # every case starts from a person's report, never from a classifier
        # A moderator decides every case (Decision.moderator_id), so automation can only have assisted: never FULLY.
        "automated_decision": "AUTOMATED_DECISION_PARTIALLY" if automated else "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": decision_id,
    }


def _categories(policy: Policy, reasons: Iterable[str]) -> dict[str, Any]:
    rules = policy.transparency
    case = set(reasons)
    if not case:
        raise ValueError("a statement needs at least one report reason")
    if unknown := case - set(policy.reports.reasons):
        raise ValueError(f"unknown report reasons: {sorted(unknown)}")
    ordered = sorted(case, key=rules.severity)
    categories = list(dict.fromkeys(rules.category(reason) for reason in ordered))
    keywords = list(dict.fromkeys(k for reason in ordered for k in rules.category_specifications.get(reason, ())))
    found: dict[str, Any] = {"category": categories[0]}
    if categories[1:]:
        found["category_addition"] = categories[1:]
    if keywords:
        found["category_specification"] = keywords
    return found


def _ground(ground_kind: GroundKind, ground: str, facts: str) -> dict[str, str]:
    explanation = facts if len(facts) <= EXPLANATION_MAX else facts[: EXPLANATION_MAX - 1] + "…"
    if ground_kind == "illegal_content":
        return {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": ground,
            "illegal_content_explanation": explanation,
        }
    if ground_kind == "incompatible_content":
        return {
            "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            "incompatible_content_ground": ground,
            "incompatible_content_explanation": explanation,
        }
    raise ValueError(f"unknown ground kind {ground_kind!r}")


def _content_type(policy: Policy, target_type: str) -> dict[str, Any]:
    rule = policy.transparency.content_types.get(target_type)
    if rule is None:
        raise ValueError(f"unknown target type {target_type!r}")
    found: dict[str, Any] = {"content_type": list(rule.content_type)}
    if rule.content_type_other is not None:
        found["content_type_other"] = rule.content_type_other
    return found


def _source_type(sources: Iterable[str]) -> str:
    given = set(sources)
    if not given:
        raise ValueError("a statement needs at least one report source")
    if unknown := given - SOURCES:
        raise ValueError(f"unknown report sources: {sorted(unknown)}")
    # Art. 22: a trusted flagger's notice is reported as such even when ordinary users flagged the same target.
    return "SOURCE_TRUSTED_FLAGGER" if "trusted_flagger" in given else "SOURCE_ARTICLE_16"


def _territory(territorial_scope: list[str] | None) -> dict[str, list[str]]:
    if territorial_scope is None:
        return {}
    if unknown := set(territorial_scope) - statement_enum("country"):
        raise ValueError(f"territorial_scope: not EU/EEA country codes: {sorted(unknown)}")
    return {"territorial_scope": sorted(set(territorial_scope))}

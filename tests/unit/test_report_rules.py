"""The pure rules behind abuse reports: a report's priority, the flags a queue item carries, and the rolling rate
window. No AWS: plain functions over the policy in force and a clock passed in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.reports import (
    Priority,
    QueueFlag,
    RateWindow,
    ReportContext,
    report_flags,
    report_priority,
)
from chalicelib.policy import Policy

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
LIMIT = 20

# An adult reporting an adult, not muted, with a clean record: the baseline every test changes one thing of.
PLAIN = ReportContext(
    reason="spam",
    reporter_is_minor=False,
    claimed_owner_is_minor=False,
    reporter_muted=False,
    reporter_unfounded_recently=0,
)

ALL_REASONS = (
    "bullying",
    "harassment",
    "hate",
    "self_harm",
    "child_safety",
    "sexual_content",
    "violence",
    "spam",
    "impersonation",
    "other",
)


# -- priority ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["child_safety", "self_harm"])
def test_child_safety_and_self_harm_reports_are_urgent(policy: Policy, reason: str) -> None:
    # Given an adult's report for a reason that may put someone in danger
    context = replace(PLAIN, reason=reason)
    # When it is prioritised / Then it is urgent
    assert report_priority(policy.reports, context) is Priority.URGENT


@pytest.mark.parametrize("reason", ["child_safety", "self_harm"])
def test_a_muted_reporters_child_safety_or_self_harm_report_stays_urgent(policy: Policy, reason: str) -> None:
    # Given a muted reporter's report about a possible child in danger or self-harm
    context = replace(PLAIN, reason=reason, reporter_muted=True)
    # When it is prioritised / Then muting does not hide it: it is still urgent
    assert report_priority(policy.reports, context) is Priority.URGENT


@pytest.mark.parametrize("reason", ["spam", "hate", "bullying", "other"])
def test_a_muted_reporters_other_reports_are_low(policy: Policy, reason: str) -> None:
    # Given a muted reporter / When they report for any reason other than a child or self-harm
    context = replace(PLAIN, reason=reason, reporter_muted=True)
    # Then the report is low
    assert report_priority(policy.reports, context) is Priority.LOW


@pytest.mark.parametrize("reason", [r for r in ALL_REASONS if r not in {"child_safety", "self_harm"}])
def test_a_report_about_a_claimed_minor_owner_is_high_whatever_the_reason(policy: Policy, reason: str) -> None:
    # Given a report whose target is claimed to belong to an account under 18
    context = replace(PLAIN, reason=reason, claimed_owner_is_minor=True)
    # When it is prioritised / Then it is high
    assert report_priority(policy.reports, context) is Priority.HIGH


@pytest.mark.parametrize("reason", ["bullying", "harassment"])
def test_bullying_or_harassment_reported_by_a_minor_is_high(policy: Policy, reason: str) -> None:
    # Given a reporter under 18 reporting bullying or harassment of an adult's content
    context = replace(PLAIN, reason=reason, reporter_is_minor=True)
    # When it is prioritised / Then it is high
    assert report_priority(policy.reports, context) is Priority.HIGH


@pytest.mark.parametrize("reason", ["spam", "hate", "impersonation", "other"])
def test_a_minors_report_for_another_reason_about_an_adult_is_normal(policy: Policy, reason: str) -> None:
    # Given a reporter under 18 reporting an adult for a reason outside bullying and harassment
    context = replace(PLAIN, reason=reason, reporter_is_minor=True)
    # When it is prioritised / Then being a minor alone does not raise it
    assert report_priority(policy.reports, context) is Priority.NORMAL


@pytest.mark.parametrize("reason", ["bullying", "harassment", "spam", "hate"])
def test_an_adults_report_about_an_adult_is_normal(policy: Policy, reason: str) -> None:
    # Given an adult reporting an adult for a reason that is not urgent
    context = replace(PLAIN, reason=reason)
    # When it is prioritised / Then it is normal
    assert report_priority(policy.reports, context) is Priority.NORMAL


def test_a_history_of_unfounded_reports_does_not_change_the_priority(policy: Policy) -> None:
    # Given a reporter with many unfounded reports (flagged, but not muted)
    context = replace(PLAIN, reporter_unfounded_recently=50)
    # When their report is prioritised / Then it is normal: only a moderator's mute lowers it
    assert report_priority(policy.reports, context) is Priority.NORMAL


def test_priorities_sort_urgent_first_and_low_last() -> None:
    # Given the four priorities / When sorted as the queue sorts them / Then urgent, high, normal, low
    assert [p.label for p in sorted(Priority)] == ["urgent", "high", "normal", "low"]


# -- flags -------------------------------------------------------------------------------------------------------------
def test_a_plain_report_carries_no_flags(policy: Policy) -> None:
    # Given an adult's report with a clean record / When its flags are computed / Then there are none
    assert report_flags(policy.reports, PLAIN) == frozenset()


def test_a_reporter_with_ten_unfounded_reports_is_flagged(policy: Policy) -> None:
    # Given a reporter with 10 no_violation outcomes in the window (the policy's threshold)
    context = replace(PLAIN, reporter_unfounded_recently=policy.reports.unfounded_flag_threshold)
    # When their report's flags are computed / Then it is flagged as from a frequent unfounded reporter
    assert report_flags(policy.reports, context) == {QueueFlag.FREQUENT_UNFOUNDED_REPORTER}


def test_a_reporter_with_nine_unfounded_reports_is_not_flagged(policy: Policy) -> None:
    # Given a reporter one unfounded outcome short of the threshold
    context = replace(PLAIN, reporter_unfounded_recently=policy.reports.unfounded_flag_threshold - 1)
    # When their report's flags are computed / Then there is no flag
    assert report_flags(policy.reports, context) == frozenset()


def test_a_muted_reporters_report_is_marked_as_from_a_muted_reporter(policy: Policy) -> None:
    # Given a muted reporter, even one reporting a child in danger
    context = replace(PLAIN, reason="child_safety", reporter_muted=True)
    # When the report's flags are computed / Then it is marked as from a muted reporter
    assert report_flags(policy.reports, context) == {QueueFlag.MUTED_REPORTER}


def test_a_report_about_a_claimed_minor_owner_is_marked_as_a_claim(policy: Policy) -> None:
    # Given a report about content claimed to belong to a minor
    context = replace(PLAIN, claimed_owner_is_minor=True)
    # When the report's flags are computed / Then the queue shows the minor owner as a claim
    assert report_flags(policy.reports, context) == {QueueFlag.CLAIMED_MINOR_OWNER}


def test_the_unfounded_threshold_and_window_come_from_the_policy(policy: Policy) -> None:
    # Given the policy in force / Then it flags at 10 unfounded outcomes within 30 days, as the issue asks
    assert policy.reports.unfounded_flag_threshold == 10
    assert policy.reports.unfounded_window_days == 30


# -- the rolling rate window -------------------------------------------------------------------------------------------
def test_an_empty_window_has_room_for_a_report() -> None:
    # Given a reporter who has filed nothing / When asked whether one more fits / Then it does
    assert RateWindow().retry_after_seconds(NOW, LIMIT) is None


def test_nineteen_reports_in_the_hour_leave_room_for_a_twentieth() -> None:
    # Given 19 reports filed in the last hour
    window = RateWindow(tuple(NOW - timedelta(minutes=i) for i in range(19)))
    # When asked whether one more fits / Then it does
    assert window.retry_after_seconds(NOW, LIMIT) is None


def test_twenty_reports_in_the_hour_refuse_a_twenty_first_until_the_oldest_leaves() -> None:
    # Given 20 reports, the oldest filed 40 minutes ago
    window = RateWindow(tuple(NOW - timedelta(minutes=40 - i) for i in range(20)))
    # When asked whether one more fits
    retry_after = window.retry_after_seconds(NOW, LIMIT)
    # Then it is refused for the 20 minutes until the oldest leaves the rolling hour
    assert retry_after == 20 * 60


def test_a_window_filled_at_this_instant_asks_to_wait_a_full_hour() -> None:
    # Given 20 reports filed at this very moment
    window = RateWindow((NOW,) * 20)
    # When asked whether one more fits / Then the wait is the whole hour, in whole seconds
    assert window.retry_after_seconds(NOW, LIMIT) == 3600


def test_the_wait_is_rounded_up_to_a_whole_positive_second() -> None:
    # Given 20 reports, the oldest leaving the window in a quarter of a second
    window = RateWindow((NOW - HOUR + timedelta(milliseconds=250),) + (NOW,) * 19)
    # When asked how long to wait / Then it is one whole second, never zero
    assert window.retry_after_seconds(NOW, LIMIT) == 1


def test_reports_an_hour_old_have_left_the_window() -> None:
    # Given 20 reports filed exactly one hour ago
    window = RateWindow((NOW - HOUR,) * 20)
    # When asked whether one more fits now / Then it does: the hour is rolling
    assert window.retry_after_seconds(NOW, LIMIT) is None
    assert window.recent(NOW) == ()


def test_adding_a_report_drops_entries_older_than_the_hour() -> None:
    # Given two reports long gone and one from ten minutes ago
    ten_minutes_ago = NOW - timedelta(minutes=10)
    window = RateWindow((NOW - 3 * HOUR, NOW - 2 * HOUR, ten_minutes_ago))
    # When a report is added now
    updated = window.with_report(NOW, LIMIT)
    # Then the window keeps only the recent one and the new one
    assert updated.accepted_at == (ten_minutes_ago, NOW)


def test_the_window_never_holds_more_than_the_limit() -> None:
    # Given a full window
    window = RateWindow(tuple(NOW - timedelta(minutes=30 - i) for i in range(20)))
    # When one more report is added (as a late retry might)
    updated = window.with_report(NOW, LIMIT)
    # Then the oldest entry is dropped and the newest kept: at most `limit` entries are stored
    assert len(updated.accepted_at) == LIMIT
    assert updated.accepted_at[-1] == NOW
    assert NOW - timedelta(minutes=30) not in updated.accepted_at


def test_the_rate_limit_comes_from_the_policy(policy: Policy) -> None:
    # Given the policy in force / Then a reporter may file 20 reports an hour and duplicates are folded for 24 hours
    assert policy.reports.rate_limit_per_hour == 20
    assert policy.reports.duplicate_window_hours == 24


def test_reports_stamped_slightly_ahead_of_this_clock_still_count() -> None:
    # Given 20 reports stamped one second ahead of this instance's clock
    ahead = tuple(NOW + timedelta(seconds=1) for _ in range(20))
    # When this instance checks the hour's limit
    retry_after = RateWindow(ahead).retry_after_seconds(NOW, 20)
    # Then the reporter is at the limit
    assert retry_after is not None

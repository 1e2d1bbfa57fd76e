"""Abuse reports over real HTTP against the local stack: receipt, replay, the rate limit, the queue, a decision."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from devstack.local_stack import LocalStack
from tests.local.test_http import TIMEOUT, assert_problem, bearer, sign_up

MODERATOR = ("mod-http", ["moderator"])


def report(stack: LocalStack, reporter: str, key: str, target_id: str, reason: str = "bullying") -> requests.Response:
    return requests.post(
        f"{stack.url}/v1/reports",
        json={"target": {"type": "comment", "id": target_id}, "reason": reason, "good_faith": True},
        headers={**bearer(reporter), "Idempotency-Key": key},
        timeout=TIMEOUT,
    )


def my_reports(stack: LocalStack, reporter: str) -> list[dict[str, Any]]:
    response = requests.get(f"{stack.url}/v1/reports?limit=100", headers=bearer(reporter), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    reports: list[dict[str, Any]] = response.json()["reports"]
    return reports


def whole_queue(stack: LocalStack) -> list[dict[str, Any]]:
    """Every open target, page after page: the stack is shared by this module, whose other tests open targets too."""
    items: list[dict[str, Any]] = []
    query = "?limit=100"
    while True:
        page = requests.get(f"{stack.url}/v1/moderation/queue{query}", headers=bearer(*MODERATOR), timeout=TIMEOUT)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if page.json()["next"] is None:
            return items
        query = f"?limit=100&next={page.json()['next']}"


def test_a_report_gets_a_receipt_and_five_retries_make_one_report(stack: LocalStack) -> None:
    # Given a teen who reports a comment
    sign_up(stack, "http-reporter-1")
    first = report(stack, "http-reporter-1", "retry-key", "c-http-1")
    # When the app retries the same request five times
    retries = [report(stack, "http-reporter-1", "retry-key", "c-http-1") for _ in range(5)]
    # Then every answer is the original receipt, and one report is stored
    assert first.status_code == 201
    assert sorted(first.json()) == ["received_at", "report_id", "status"]
    assert all((r.status_code, r.json()) == (201, first.json()) for r in retries)
    assert [item["report_id"] for item in my_reports(stack, "http-reporter-1")] == [first.json()["report_id"]]


def test_concurrent_reports_over_the_limit_store_exactly_twenty(stack: LocalStack) -> None:
    # Given one reporter sending 25 reports about different comments at once
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda n: report(stack, "http-reporter-2", f"k-{n}", f"c-burst-{n}"), range(25)))
    # When the answers are counted
    statuses = sorted(answer.status_code for answer in answers)
    # Then 20 were accepted and 5 refused with Retry-After, and exactly 20 are stored
    assert statuses == [201] * 20 + [429] * 5
    for refused in (answer for answer in answers if answer.status_code == 429):
        assert_problem(refused, 429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0
    assert len(my_reports(stack, "http-reporter-2")) == 20


def queued_case(stack: LocalStack, target_id: str, count: int, within: float = 5.0) -> dict[str, Any]:
    """The target's case once it holds `count` reports; the README promises this within 5 seconds of the 201."""
    deadline = time.monotonic() + within
    while True:
        items = [item for item in whole_queue(stack) if item["target"]["id"] == target_id]
        if items and items[0]["report_count"] == count:
            return items[0]
        assert time.monotonic() < deadline, f"not in the queue within {within} s: {items}"
        time.sleep(0.1)


def test_a_moderator_decides_and_every_reporter_sees_the_outcome(stack: LocalStack) -> None:
    # Given three reporters reporting the same comment
    receipts = [report(stack, f"http-crowd-{n}", "k", "c-viral").json() for n in range(3)]
    item = queued_case(stack, "c-viral", 3)
    # When a moderator decides the case at the revision read
    decision = requests.post(
        f"{stack.url}/v1/moderation/cases/{item['case_id']}/decision",
        json={
            "outcome": "action_taken",
            "action": "remove_content",
            "statement_of_reasons": {"facts": "f", "ground": "Rule 4", "automated": False, "redress": "Appeal"},
            "affected_account_id": "http-owner",
        },
        headers={**bearer(*MODERATOR), "If-Match": item["etag"]},
        timeout=TIMEOUT,
    )
    # Then the case had three reports, and each reporter sees the decision
    assert decision.status_code == 200, decision.text
    for n, receipt in enumerate(receipts):
        seen = requests.get(
            f"{stack.url}/v1/reports/{receipt['report_id']}", headers=bearer(f"http-crowd-{n}"), timeout=TIMEOUT
        ).json()
        assert (seen["status"], seen["outcome"]) == ("decided", "action_taken")
        assert "mod-http" not in str(seen)


def test_a_user_calling_a_moderator_route_gets_403(stack: LocalStack) -> None:
    response = requests.get(f"{stack.url}/v1/moderation/queue", headers=bearer("http-user"), timeout=TIMEOUT)
    assert_problem(response, 403, "forbidden")

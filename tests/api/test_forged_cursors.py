"""Cursors that pass their seal but do not hold what the store wrote (a leaked key, a bug) never reach DynamoDB:
each is 400 invalid_cursor, never a 500 or a 503."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem
from tests.conftest import AUDITOR, Api, auth

MODERATOR = ("mod-1", "moderator")

FORGED_KEYS: list[Any] = [
    None,
    [],
    "text",
    {},
    {"pk": {"S": "x"}},
    {"pk": {"S": "x"}, "sk": {"N": "1"}, "queue_pk": {"S": "OPEN"}, "queue_sk": {"S": "1"}},
    {"pk": {"S": ""}, "sk": {"S": "x"}, "queue_pk": {"S": "OPEN"}, "queue_sk": {"S": "1"}},
    {"pk": {"S": "x" * 3000}, "sk": {"S": "x"}, "queue_pk": {"S": "OPEN"}, "queue_sk": {"S": "1"}},
    {"pk": {"S": "x"}, "sk": {"S": "x"}, "queue_pk": {"S": "OTHER"}, "queue_sk": {"S": "1"}},
    {"pk": "x", "sk": "y", "queue_pk": "OPEN", "queue_sk": "1"},
    {"pk": {"S": "x"}, "sk": {"S": "x"}, "queue_pk": {"S": "OPEN"}, "queue_sk": {"S": "1"}, "extra": {"S": "1"}},
    {"pk": {"S": "x"}, "sk": {"S": "x"}, "reporter_pk": {"S": "REPORTER#someone-else"}, "reporter_sk": {"S": "1"}},
]


def sealed(api: Api, scope: str, position: Any) -> str:
    from chalicelib.store.cursors import CursorSealer

    return CursorSealer(api.deps.keys.cursors).seal(scope, position)


@pytest.mark.parametrize("position", FORGED_KEYS, ids=range(len(FORGED_KEYS)))
def test_a_forged_queue_cursor_is_400(api: Api, position: Any) -> None:
    # Given a cursor sealed with the service's own key around a position the queue never gave out
    cursor = sealed(api, "queue", position)
    # When a moderator pages with it / Then it is refused before any query
    response = api.call("GET", f"/v1/moderation/queue?next={cursor}", headers=auth(*MODERATOR))
    assert_problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize("position", FORGED_KEYS, ids=range(len(FORGED_KEYS)))
def test_a_forged_report_list_cursor_is_400(api: Api, position: Any) -> None:
    cursor = sealed(api, "reports:u-1", position)
    response = api.call("GET", f"/v1/reports?next={cursor}", headers=auth("u-1"))
    assert_problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize(
    "position",
    [None, [], {}, {"before": "2"}, {"before": True}, {"before": 0}, {"before": -1}, {"before": 10**30},
     {"before": 2.5}, {"before": 2, "extra": 1}],
)  # fmt: skip
def test_a_forged_history_cursor_is_400(api: Api, position: Any) -> None:
    api.sign_up("u-1", "2012-05-10")
    cursor = sealed(api, "history:u-1", position)
    response = api.call("GET", f"/v1/accounts/u-1/settings/history?next={cursor}", headers=auth(*AUDITOR))
    assert_problem(response, 400, "invalid_cursor")


def test_a_huge_cursor_is_400(api: Api) -> None:
    response = api.call("GET", "/v1/reports?next=" + "A" * 5000, headers=auth("u-1"))
    assert_problem(response, 400, "invalid_cursor")

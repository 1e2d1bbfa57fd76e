"""The `Idempotency` port's contract, run on the fake and on the Powertools adapter: `work` runs once per
(operation, caller, key), a replay returns the stored result, a reused key with another request is refused, and a
`work` that raises leaves nothing behind."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.services.ports import Idempotency, IdempotencyInProgress, IdempotencyKeyMismatch, IdempotentRequest

REQUEST = IdempotentRequest(operation="file_report", caller_id="r-1", key="key-1", fingerprint="f" * 64)
RESULT: dict[str, Any] = {
    "status_code": 201,
    "body": {"report_id": "report-1", "status": "received", "tags": ["a", "b"], "note": None, "urgent": False},
}


class Work:
    """A unit of work that counts its runs and returns a fresh copy of `result` each time."""

    def __init__(self, result: dict[str, Any] | None = None) -> None:
        self.result = RESULT if result is None else result
        self.runs = 0

    def __call__(self) -> dict[str, Any]:
        self.runs += 1
        return {**copy.deepcopy(self.result), "run": self.runs}


def test_the_first_request_runs_its_work_and_is_not_a_replay(idempotency: Idempotency) -> None:
    work = Work()
    assert idempotency.run_once(REQUEST, work) == ({**RESULT, "run": 1}, False)
    assert work.runs == 1


def test_a_replay_returns_the_stored_result_without_running_again(idempotency: Idempotency) -> None:
    # Given a request that ran
    idempotency.run_once(REQUEST, Work())
    # When the same request comes again
    work = Work()
    result, replayed = idempotency.run_once(REQUEST, work)
    # Then the first result comes back, marked as a replay, and nothing ran
    assert (result, replayed) == ({**RESULT, "run": 1}, True)
    assert work.runs == 0


def test_the_same_key_with_another_fingerprint_is_a_mismatch_and_runs_nothing(idempotency: Idempotency) -> None:
    idempotency.run_once(REQUEST, Work())
    work = Work()
    with pytest.raises(IdempotencyKeyMismatch):
        idempotency.run_once(replace(REQUEST, fingerprint="0" * 64), work)
    assert work.runs == 0
    assert idempotency.run_once(REQUEST, Work()) == ({**RESULT, "run": 1}, True)


@pytest.mark.parametrize(
    "other",
    [
        replace(REQUEST, caller_id="r-2"),
        replace(REQUEST, operation="sign_up"),
        replace(REQUEST, key="key-2"),
        replace(REQUEST, caller_id="r-2", fingerprint="0" * 64),
    ],
    ids=["another caller", "another operation", "another key", "another caller and body"],
)
def test_the_same_key_for_another_caller_or_operation_runs_on_its_own(
    idempotency: Idempotency, other: IdempotentRequest
) -> None:
    idempotency.run_once(REQUEST, Work())
    work = Work({"status_code": 200, "body": {"other": True}})
    assert idempotency.run_once(other, work) == ({"status_code": 200, "body": {"other": True}, "run": 1}, False)
    assert work.runs == 1


def test_work_that_raises_stores_nothing_and_the_request_may_be_retried(idempotency: Idempotency) -> None:
    # Given a request whose work failed
    class StorageDown(Exception):
        pass

    def failing() -> dict[str, Any]:
        raise StorageDown()

    with pytest.raises(StorageDown):
        idempotency.run_once(REQUEST, failing)
    # When it is retried / Then it runs afresh, and its result is the one stored
    work = Work()
    assert idempotency.run_once(REQUEST, work) == ({**RESULT, "run": 1}, False)
    assert idempotency.run_once(REQUEST, Work()) == ({**RESULT, "run": 1}, True)


def test_a_request_still_running_is_in_progress(idempotency: Idempotency) -> None:
    # Given a request whose work is still running when the same request arrives
    seen: list[type[Exception]] = []

    def work() -> dict[str, Any]:
        for request in (REQUEST, replace(REQUEST, fingerprint="0" * 64)):
            try:
                idempotency.run_once(request, Work())
            except (IdempotencyInProgress, IdempotencyKeyMismatch) as error:
                seen.append(type(error))
        return RESULT

    # When the first one finishes
    assert idempotency.run_once(REQUEST, work) == (RESULT, False)
    # Then the same request meanwhile was told it is in progress, and one with another body that the key was reused
    assert seen == [IdempotencyInProgress, IdempotencyKeyMismatch]
    assert idempotency.run_once(REQUEST, Work()) == (RESULT, True)


def test_changing_a_returned_result_does_not_change_the_stored_one(idempotency: Idempotency) -> None:
    first, _ = idempotency.run_once(REQUEST, Work())
    first["body"]["status"] = "edited"
    replay, _ = idempotency.run_once(REQUEST, Work())
    replay["status_code"] = 500
    assert idempotency.run_once(REQUEST, Work()) == ({**RESULT, "run": 1}, True)

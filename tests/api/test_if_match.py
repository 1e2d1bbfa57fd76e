"""If-Match compares strongly (RFC 9110): a weak tag never matches, a list matches when it names the current version."""

from __future__ import annotations

import pytest

from tests.conftest import Api, auth, body


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('"1"', 200), ('"7", "1"', 200), ("*", 200), ('W/"1"', 412), ("1", 412), ('"2"', 412)],
)
def test_if_match_is_compared_strongly(api: Api, if_match: str, status: int) -> None:
    # Given an account at version 1
    api.sign_up("u-etag", "2012-05-01")
    # When a change names the version in If-Match in various forms
    response = api.call(
        "PATCH",
        "/v1/accounts/u-etag/settings",
        {"settings": {"comments": "no_one"}},
        {**auth("u-etag"), "If-Match": if_match},
    )
    # Then only a strong tag naming the current version (or *) lets it through
    assert response.status_code == status, response.body
    if status == 412:
        assert body(response)["code"] == "precondition_failed"

"""Review: client input that still reaches a 500."""

from __future__ import annotations

from tests.api.helpers import BORN_16_17, OWNER, assert_problem, sign_up
from tests.conftest import Api, auth


def test_an_if_match_naming_a_huge_version_is_412_not_500(api: Api) -> None:
    # Given an account
    sign_up(api, birth_date=BORN_16_17)
    # When its holder sends If-Match with a 4,301-digit tag (4.3 kB: well inside API Gateway's header limits)
    response = api.call(
        "PATCH",
        f"/v1/accounts/{OWNER}/settings",
        {"settings": {"downloads": True}},
        {**auth(OWNER), "If-Match": '"' + "1" * 4301 + '"'},
    )
    # Then it is the 412 of an If-Match that names no ETag this service gave out (today: int() raises, 500)
    assert_problem(response, 412, "precondition_failed")

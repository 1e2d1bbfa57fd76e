"""Family pairing over real HTTP against the local stack: a teen's code, a parent redeeming it, the link seen by both,
the parent reading the teen's screen, a stranger refused, the code dead after one use, the link ended."""

from __future__ import annotations

import requests

from devstack.local_stack import LocalStack
from tests.local.test_http import TIMEOUT, assert_problem, bearer, history, sign_up


def test_the_pairing_flow_over_http(stack: LocalStack) -> None:
    # Given a 14-year-old, a parent and a stranger
    for account_id, born in (
        ("http-teen", "2012-03-04"),
        ("http-parent", "1985-01-02"),
        ("http-stranger", "1980-01-02"),
    ):
        assert sign_up(stack, account_id, born).status_code == 201
    # When the teen makes a code and the parent redeems it (typed in lower case, with a dash)
    made = requests.post(f"{stack.url}/v1/pairing-codes", headers=bearer("http-teen"), timeout=TIMEOUT)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store", made.text
    code = made.json()["code"]
    typed = f"{code[:4].lower()}-{code[4:]}"
    redeemed = requests.post(
        f"{stack.url}/v1/pairing-codes/{typed}/redeem", headers=bearer("http-parent"), timeout=TIMEOUT
    )
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json()["teen_id"] == "http-teen"
    # Then the teen sees the link, and the parent sees the teen and reads the teen's screen
    screen = requests.get(f"{stack.url}/v1/accounts/http-teen/settings", headers=bearer("http-teen"), timeout=TIMEOUT)
    assert [link["account_id"] for link in screen.json()["guardians"]] == ["http-parent"]
    teens = requests.get(f"{stack.url}/v1/guardians/me/teens", headers=bearer("http-parent"), timeout=TIMEOUT)
    assert [teen["account_id"] for teen in teens.json()["teens"]] == ["http-teen"]
    read = requests.get(f"{stack.url}/v1/accounts/http-teen/settings", headers=bearer("http-parent"), timeout=TIMEOUT)
    assert read.status_code == 200 and read.json()["account_id"] == "http-teen"
    # And a stranger gets the missing-account 404, and cannot reuse the code
    refused = requests.get(
        f"{stack.url}/v1/accounts/http-teen/settings", headers=bearer("http-stranger"), timeout=TIMEOUT
    )
    assert_problem(refused, 404, "not_found")
    again = requests.post(
        f"{stack.url}/v1/pairing-codes/{code}/redeem", headers=bearer("http-stranger"), timeout=TIMEOUT
    )
    assert_problem(again, 404, "pairing_code_invalid")
    # When the teen ends the link
    ended = requests.delete(
        f"{stack.url}/v1/accounts/http-teen/guardians/http-parent", headers=bearer("http-teen"), timeout=TIMEOUT
    )
    assert ended.status_code == 204, ended.text
    # Then the parent is told on their own history, and reads the teen's screen no longer
    assert history(stack, "http-parent")[0]["kind"] == "guardian_unlinked"
    gone = requests.get(f"{stack.url}/v1/accounts/http-teen/settings", headers=bearer("http-parent"), timeout=TIMEOUT)
    assert_problem(gone, 404, "not_found")

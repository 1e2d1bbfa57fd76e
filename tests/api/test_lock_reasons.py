"""The settings screen says why each option is not allowed (issue 9): `reason.kind` is `age` for what the age band
does not allow, `jurisdiction` (naming it and its source) for what an overlay where the account lives forbids,
`restricted` on a restricted account; an allowed option has no reason."""

from __future__ import annotations

from tests.api.helpers import get_settings
from tests.conftest import Api, auth, body


def reasons(document: dict[str, object]) -> set[tuple[str, object]]:
    settings = document["settings"]
    assert isinstance(settings, dict)
    return {
        (option["status"], None if option["reason"] is None else option["reason"]["kind"])
        for view in settings.values()
        for option in view["options"]
    }


def test_a_14_year_olds_locks_and_guardian_options_say_age_and_allowed_ones_say_nothing(api: Api) -> None:
    assert api.sign_up("kid", "2012-03-04", "US").status_code == 201  # no overlay in force in the US
    seen = reasons(body(get_settings(api, "kid")))
    assert seen == {("allowed", None), ("locked", "age"), ("guardian_approval", "age")}


def test_a_restricted_accounts_every_option_says_restricted(api: Api) -> None:
    assert api.sign_up("kid", "2012-03-04").status_code == 201
    corrected = api.call(
        "PUT", "/v1/accounts/kid/age", {"birth_date": "2016-01-01", "assurance": "self_declared", "source": "self"},
        auth("kid"),
    )  # fmt: skip
    assert corrected.status_code == 200, corrected.body
    assert reasons(body(get_settings(api, "kid"))) == {("locked", "restricted")}

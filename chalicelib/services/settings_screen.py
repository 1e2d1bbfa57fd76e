"""Reading the app's settings screen: the account's values and what each option allows for its band."""

from __future__ import annotations

from chalicelib import bootstrap
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import Account


def read_account(account_id: str) -> Account:
    account = bootstrap.settings_store().get_account(account_id)
    if account is None:
        raise NotFound("no such account")
    return account

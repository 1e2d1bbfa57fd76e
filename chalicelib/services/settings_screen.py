"""Reading the app's settings screen: the account's values and what each option allows for its band."""

from __future__ import annotations

from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import Account
from chalicelib.services.accounts import AccountsDeps


def read_account(deps: AccountsDeps, account_id: str) -> Account:
    account = deps.store.get_account(account_id)
    if account is None:
        raise NotFound("no such account")
    return account

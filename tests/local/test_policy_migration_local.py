"""`safety-settings policy migrate`, the installed console script, against the local stack `make run` serves: accounts
signed up under the previous version are brought under the newest, with events, counts equal to the dry run's, and a
run stopped half-way finished by the next."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from chalicelib.identity import Caller
from chalicelib.policy import load_policy, newest_version
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.change_settings import change_settings
from chalicelib.services.signup import SignUp, sign_up
from chalicelib.store.band_ends import BandEndSealer
from chalicelib.store.cursors import CursorSealer
from chalicelib.store.dynamo import make_dynamodb_client
from chalicelib.store.settings_store import SettingsStore
from devstack.local_stack import LocalStack
from tests.local.test_http import bearer

SCRIPT = Path(sys.executable).with_name("safety-settings")
PREVIOUS = "2026-11-25"
SIGNUP = Caller("signup-service", frozenset({"signup-service"}))


def seed_under_the_previous_version(accounts: dict[str, str]) -> None:
    """Signs up each 17-year-old (id -> country) through the service as it ran under the previous version, and has
    each choose to be suggested to others (allowed for 16-17 everywhere then)."""
    region = os.environ["AWS_DEFAULT_REGION"]
    store = SettingsStore("safety-settings", lambda: make_dynamodb_client(region), CursorSealer(os.urandom(32)))
    then = datetime.now(UTC) - timedelta(days=30)
    deps = AccountsDeps(
        store=store,
        policy=load_policy(PREVIOUS),
        clock=lambda: then,
        band_ends=BandEndSealer("alias/safety-settings-band-ends", region),
    )
    born = then.date().replace(year=then.year - 17, month=1, day=15)
    for account_id, country in accounts.items():
        sign_up(deps, SignUp(account_id, born, country), SIGNUP, "seed")
        holder = Caller(account_id, frozenset())
        change_settings(deps, account_id, {"suggest_account": True}, holder, None, "seed")


def run_script(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv], env=dict(os.environ), capture_output=True, text=True, timeout=300, check=False
    )


def migrate(*argv: str) -> dict[str, Any]:
    done = run_script("policy", "migrate", "--json", *argv)
    assert done.returncode == 0, done.stderr + done.stdout
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def settings_of(stack: LocalStack, account_id: str) -> dict[str, Any]:
    response = requests.get(f"{stack.url}/v1/accounts/{account_id}/settings", headers=bearer(account_id), timeout=10)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def history_of(stack: LocalStack, account_id: str) -> list[dict[str, Any]]:
    url = f"{stack.url}/v1/accounts/{account_id}/settings/history"
    events: list[dict[str, Any]] = requests.get(url, headers=bearer(account_id), timeout=10).json()["events"]
    return events


def touched(result: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    return Counter({(t["setting"], t["band"], t["jurisdiction"]): t["accounts"] for t in result["touched"]})


def test_a_migration_through_the_cli_never_loosens_and_resumes_after_a_stop(stack: LocalStack) -> None:
    # Given six 17-year-olds who signed up under the previous version and chose to be suggested
    accounts = {"m-gb-1": "GB", "m-gb-2": "GB", "m-fr-1": "FR", "m-us-1": "US", "m-us-2": "US", "m-us-3": "US"}
    seed_under_the_previous_version(accounts)
    assert {settings_of(stack, a)["policy_version"] for a in accounts} == {PREVIOUS}
    # When an operator looks at the impact first
    dry = migrate("--dry-run")
    # Then it counts exactly them, every one changing (each lacks the new settings), and wrote nothing
    assert (dry["dry_run"], dry["accounts_seen"], dry["accounts_changed"], dry["from_versions"]) == (
        True, 6, 6, {PREVIOUS: 6},
    )  # fmt: skip
    impact = touched(dry)
    assert impact[("suggest_account", "16-17", "GB")] == 2 and impact[("suggest_account", "16-17", "FR")] == 1
    assert ("suggest_account", "16-17", "US") not in impact  # a US 17-year-old may still choose to be suggested
    assert impact[("autoplay", "16-17", "US")] == 3
    assert {settings_of(stack, a)["policy_version"] for a in accounts} == {PREVIOUS}
    # When a run stops half-way (a batch of three), and the next run finishes
    first = migrate("--yes", "--max-accounts", "3")
    second = migrate("--yes")
    third = migrate("--yes")
    # Then together they changed what the dry run said, and nothing is left
    assert (first["accounts_changed"], second["accounts_changed"], third["accounts_seen"]) == (3, 3, 0)
    assert touched(first) + touched(second) == impact
    # And every account is on the newest version: UK and EU teens no longer suggested, US teens still, new settings
    # at their defaults, each with one policy_migrated event naming both versions
    for account_id, country in accounts.items():
        document = settings_of(stack, account_id)
        assert document["policy_version"] == newest_version()
        assert document["settings"]["suggest_account"]["value"] is (country == "US")
        assert document["settings"]["autoplay"]["value"] is False
        migrated = [e for e in history_of(stack, account_id) if e["kind"] == "policy_migrated"]
        assert len(migrated) == 1
        assert (migrated[0]["from_policy_version"], migrated[0]["policy_version"]) == (PREVIOUS, newest_version())
        assert migrated[0]["actor"]["role"] == "system"


def test_the_cli_diff_prints_what_changes_per_jurisdiction(stack: LocalStack) -> None:
    done = run_script("policy", "diff", PREVIOUS, newest_version(), "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {"jurisdiction": "GB", "band": "16-17", "setting": "suggest_account", "limit": "self_max", "old": True,
            "new": False} in rows  # fmt: skip
    assert not any(r["jurisdiction"] == "US" for r in rows)
    unknown = run_script("policy", "diff", PREVIOUS, "1999-01-01")
    assert unknown.returncode == 2 and "not a kept policy version" in unknown.stdout + unknown.stderr

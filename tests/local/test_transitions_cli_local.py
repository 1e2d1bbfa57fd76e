"""`safety-settings transitions run`, the installed console script, against the local stack `make run` serves: found
through AWS_ENDPOINT_URL, as an operator would point it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from chalicelib.identity import Caller
from chalicelib.policy import load_policy
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.signup import SignUp, sign_up
from chalicelib.store.band_ends import BandEndSealer
from chalicelib.store.cursors import CursorSealer
from chalicelib.store.dynamo import make_dynamodb_client
from chalicelib.store.settings_store import SettingsStore
from devstack.local_stack import LocalStack
from tests.local.test_http import bearer

SCRIPT = Path(sys.executable).with_name("safety-settings")


def seed_a_child_who_turned_16_ten_days_ago(account_id: str) -> None:
    """Signs up, through the service itself on the stack's moto, a child who was 15 when they signed up 400 days
    ago and turned 16 ten days ago (the job has not run since)."""
    today = datetime.now(UTC).date()
    sixteenth = today - timedelta(days=10)
    born = sixteenth.replace(year=sixteenth.year - 16) if (sixteenth.month, sixteenth.day) != (2, 29) else None
    born = born or (sixteenth - timedelta(days=1)).replace(year=sixteenth.year - 16)
    signed_up_at = datetime.now(UTC) - timedelta(days=400)
    region = os.environ["AWS_DEFAULT_REGION"]
    store = SettingsStore("safety-settings", lambda: make_dynamodb_client(region), CursorSealer(os.urandom(32)))
    deps = AccountsDeps(
        store=store,
        policy=load_policy(),
        clock=lambda: signed_up_at,
        band_ends=BandEndSealer("alias/safety-settings-band-ends", region),
    )
    sign_up(deps, SignUp(account_id, born, "GB"), Caller("signup-service", frozenset({"signup-service"})), "seed")


def band_of(stack: LocalStack, account_id: str) -> str:
    response = requests.get(f"{stack.url}/v1/accounts/{account_id}/settings", headers=bearer(account_id), timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["age"]["band"])


def run_script(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv], env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False
    )


def test_the_console_script_moves_a_due_account_on_the_local_stack(stack: LocalStack) -> None:
    # Given the local stack, and a child on it whose 16th birthday was ten days ago
    assert os.environ["AWS_ENDPOINT_URL"] == stack.moto_url
    seed_a_child_who_turned_16_ten_days_ago("cli-kid")
    assert band_of(stack, "cli-kid") == "13-15"
    # When an operator runs the installed script, first as a dry run, then for real
    dry = run_script("transitions", "run", "--dry-run", "--json")
    real = run_script("transitions", "run", "--json")
    # Then the dry run counted the child and wrote nothing; the run moved them, and the API serves the new band
    assert dry.returncode == 0, dry.stderr + dry.stdout
    assert real.returncode == 0, real.stderr + real.stdout
    assert (json.loads(dry.stdout)["due"], json.loads(dry.stdout)["dry_run"]) == (1, True)
    summary = json.loads(real.stdout)
    assert (summary["due"], summary["moved"], summary["failed"], summary["complete"]) == (1, 1, 0, True)
    assert band_of(stack, "cli-kid") == "16-17"


def test_the_console_script_prints_a_summary_table(stack: LocalStack) -> None:
    done = run_script("transitions", "run")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "band transitions for" in done.stdout
    for label in ("due", "moved", "already moved", "failed"):
        assert label in done.stdout

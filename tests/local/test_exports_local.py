"""An export started over HTTP against the local stack `make run` serves: its workers run in the same process (the
stack pumps the export queue and its dead-letter queue into them), it completes, and its presigned download URLs
work; then the installed `safety-settings export` and `verify` against the same stack."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from devstack.local_stack import LocalStack
from tests.local.test_http import bearer, sign_up

SCRIPT = Path(sys.executable).with_name("safety-settings")
AUDITOR = ("auditor-1", ["auditor"])


def wait_complete(stack: LocalStack, export_id: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found: dict[str, Any] = requests.get(
            f"{stack.url}/v1/exports/{export_id}", headers=bearer(*AUDITOR), timeout=10
        ).json()
        if found["status"] != "running":
            return found
        time.sleep(0.2)
    raise AssertionError(f"export {export_id} still running after {seconds} s")


def test_an_export_over_http_completes_and_its_download_urls_work(stack: LocalStack) -> None:
    for i in range(12):
        assert sign_up(stack, f"local-exp-{i}").status_code == 201
    started = requests.post(
        f"{stack.url}/v1/exports",
        json={"include_history": True},
        headers={**bearer(*AUDITOR), "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert started.status_code == 202, started.text
    found = wait_complete(stack, started.json()["export_id"])
    assert found["status"] == "complete", found
    assert found["manifest"]["accounts"] >= 12
    by_name = {entry["name"]: entry for entry in found["manifest"]["files"]}
    for name, url in found["downloads"].items():
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, (name, response.text[:300])
        if name in by_name:
            assert hashlib.sha256(response.content).hexdigest() == by_name[name]["sha256"], name
    # And a non-auditor gets 404
    assert requests.get(f"{stack.url}/v1/exports", headers=bearer("u-1"), timeout=10).status_code == 404


def test_the_export_command_downloads_an_export_that_verify_accepts(stack: LocalStack, tmp_path: Path) -> None:
    for i in range(5):
        assert sign_up(stack, f"local-cli-{i}").status_code == 201
    env = {**os.environ, "AWS_ENDPOINT_URL": stack.moto_url}
    out = tmp_path / "export"
    ran = subprocess.run(
        [str(SCRIPT), "export", "--history", "--out", str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr
    assert {p.name for p in out.iterdir()} >= {"accounts.jsonl.gz", "history.jsonl.gz", "manifest.json", "report.html"}
    checked = subprocess.run([str(SCRIPT), "verify", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (out / "report.html").write_bytes(b"<html>changed</html>")
    checked = subprocess.run([str(SCRIPT), "verify", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 1
    assert "report.html" in checked.stdout + checked.stderr

"""The request log of `make run`, read from the output of a real `python -m devstack.local_stack` process.

Every request, refused ones included, writes exactly one JSON line carrying the id the response names in
X-Request-Id, and nothing else is written for it: no access log, no plain-text copy, no traceback.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.token import make_token
from tests.local.wire import exchange, first_response, host_of, request_head

PROJECT_DIR = Path(__file__).resolve().parents[2]
TIMEOUT = 10
STARTUP_TIMEOUT = 90  # a child Python importing boto3, moto and the app on a loaded 2-core machine
_LISTENING = re.compile(r"listening on (http://\S+)")


@dataclass
class RunningStack:
    """`make run` in a child process; its stdout and stderr, merged, read line by line."""

    process: subprocess.Popen[str]
    url: str = ""
    banner: list[str] = field(default_factory=list)
    _lines: queue.Queue[str] = field(default_factory=queue.Queue)
    _reader: threading.Thread | None = None

    def read_lines(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float = TIMEOUT) -> str:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("make run wrote nothing more") from None

    def lines_of(self, request_id: str | None) -> list[str]:
        """Every line written since the last call, up to a marker request sent now (which is not included).

        Requests are sent one at a time and each is logged before it is answered, so the lines before the marker's
        own line are those of the request before it.
        """
        marker = requests.get(f"{self.url}/v1/health", timeout=TIMEOUT).headers["X-Request-Id"]
        lines = []
        while marker not in (line := self.next_line()):
            lines.append(line)
        assert request_id is None or request_id != marker
        return lines


def start_make_run(extra_env: dict[str, str] | None = None) -> RunningStack:
    env = {**os.environ, "PORT": "0", "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    env.pop("MOTO_PORT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.local_stack"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = RunningStack(process)
    running._reader = threading.Thread(target=running.read_lines, daemon=True)
    running._reader.start()
    while not (found := _LISTENING.search(line := running.next_line(STARTUP_TIMEOUT))):
        running.banner.append(line)
    running.banner.append(line)
    running.url = found.group(1)
    while "Stop with Ctrl+C" not in (line := running.next_line()):
        running.banner.append(line)
    running.banner.append(line)
    return running


def stop_make_run(running: RunningStack) -> list[str]:
    """Ctrl+C, then every line written since the last one read."""
    running.process.send_signal(signal.SIGINT)
    running.process.wait(timeout=TIMEOUT)
    assert running._reader is not None
    running._reader.join(timeout=TIMEOUT)
    return [running._lines.get_nowait() for _ in range(running._lines.qsize())]


@pytest.fixture(scope="module")
def make_run() -> Iterator[RunningStack]:
    running = start_make_run()
    yield running
    stop_make_run(running)


def the_one_line(running: RunningStack, request_id: str) -> dict[str, Any]:
    lines = running.lines_of(request_id)
    assert len(lines) == 1, lines
    line: dict[str, Any] = json.loads(lines[0])
    assert line["request_id"] == request_id
    return line


def test_a_request_the_app_answers_writes_one_json_line_with_its_request_id(make_run: RunningStack) -> None:
    # When a signed-in caller asks for a route the app answers
    response = requests.get(
        f"{make_run.url}/v1/reports", headers={"Authorization": f"Bearer {make_token('u-log-1')}"}, timeout=TIMEOUT
    )

    # Then one JSON line describes it, under the id the response names
    assert response.status_code == 200, response.text
    line = the_one_line(make_run, response.headers["X-Request-Id"])
    assert {key: line[key] for key in ("method", "route", "caller_role", "status", "outcome")} == {
        "method": "GET",
        "route": "/v1/reports",
        "caller_role": "user",
        "status": 200,
        "outcome": "ok",
    }
    assert line["duration_ms"] >= 0


JSON = ("Content-Type", "application/json")
CHUNKED = ("Transfer-Encoding", "chunked")

# What the gateway refuses itself: (request, expected method, route, status, outcome).
REFUSED = {
    "no token": (("GET", "/v1/accounts/u-log-2/settings", []), "GET", "/v1/accounts/{account_id}/settings", 401),
    "unknown route": (("GET", "/v1/nowhere/at-all?token=secret", []), "GET", "/v1/nowhere/at-all", 404),
    "unknown method": (("FOO", "/v1/health", []), "FOO", "/v1/health", 405),
    "OPTIONS": (("OPTIONS", "/v1/accounts/u-log-3/settings", []), "OPTIONS", "/v1/accounts/{account_id}/settings", 405),
    "declared body too large": (
        ("POST", "/v1/accounts", [JSON, ("Content-Length", "100000")]),
        "POST",
        "/v1/accounts",
        413,
    ),
    "URL too long": (("GET", f"/v1/health?pad={'x' * 70_000}", []), "GET", "/v1/health", 414),
    "headers too large": (("GET", "/v1/health", [("X-Pad", "x" * 70_000)]), "GET", "/v1/health", 431),
    "malformed chunk": (("POST", "/v1/accounts", [JSON, CHUNKED]), "POST", "/v1/accounts", 400),
}
_BODIES = {"malformed chunk": b"+2\r\n{}\r\n0\r\n\r\n"}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_request_the_gateway_refuses_writes_one_json_line_with_its_request_id(
    make_run: RunningStack, case: str
) -> None:
    # Given a request the gateway answers itself
    (method, path, headers), logged_method, route, status = REFUSED[case]
    request = request_head(method, make_run.url, path, headers) + _BODIES.get(case, b"")

    # When it is sent
    answer = first_response(exchange(make_run.url, request))

    # Then one JSON line describes it, under the id the response names, in the app's own shape
    assert answer.status == status
    line = the_one_line(make_run, answer.headers["x-request-id"])
    assert {key: line[key] for key in ("method", "caller_role", "status", "outcome")} == {
        "method": logged_method,
        "caller_role": "anonymous",
        "status": status,
        "outcome": answer.json()["code"],
    }
    assert line["route"] in (route, "-")  # "-" where the request line itself was refused
    assert "secret" not in json.dumps(line)


def test_a_malformed_request_line_writes_one_json_line_with_its_request_id(make_run: RunningStack) -> None:
    # When something that is not HTTP is sent
    answer = first_response(exchange(make_run.url, b"NOT HTTP AT ALL\r\n\r\n"))

    # Then it is a 400 with one JSON line under its id
    assert answer.status == 400
    line = the_one_line(make_run, answer.headers["x-request-id"])
    assert (line["status"], line["outcome"], line["caller_role"]) == (400, "bad_request", "anonymous")


def test_a_client_that_disconnects_mid_body_leaves_one_quiet_line_at_most(make_run: RunningStack) -> None:
    # Given a client that announces a body
    head = request_head("POST", make_run.url, "/v1/accounts", [JSON, ("Content-Length", "500")])

    # When it sends half of it and hangs up
    with socket.create_connection(host_of(make_run.url), timeout=TIMEOUT) as connection:
        connection.sendall(head + b'{"account_id": ')
        time.sleep(0.2)  # the server has started on the request

    # Then at most one line says so, and it is no traceback
    lines = make_run.lines_of(None)
    assert len(lines) <= 1, lines
    assert all(json.loads(line)["route"] == "/v1/accounts" for line in lines)


def test_the_banner_names_the_aws_endpoint_and_how_to_use_it(make_run: RunningStack) -> None:
    # Given make run with PORT=0 and no MOTO_PORT / Then the banner names moto's URL in an AWS_ENDPOINT_URL line
    banner = "\n".join(make_run.banner)
    found = re.search(r"AWS_ENDPOINT_URL=(http://127\.0\.0\.1:(\d+))", banner)
    assert found, banner
    assert int(found.group(2)) not in (0, host_of(make_run.url)[1])


def test_ctrl_c_stops_make_run_cleanly() -> None:
    # Given make run serving
    running = start_make_run()
    assert requests.get(f"{running.url}/v1/health", timeout=TIMEOUT).status_code == 200

    # When it gets Ctrl+C
    rest = stop_make_run(running)

    # Then it exits 0, says it stopped, and no longer listens
    assert running.process.returncode == 0
    assert rest[-1:] == ["stopped"], rest
    with pytest.raises(OSError):
        socket.create_connection(host_of(running.url), timeout=1).close()

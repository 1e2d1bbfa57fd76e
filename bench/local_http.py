"""Latency of `make run`'s HTTP server on a reused keep-alive connection against a fresh connection per request.

Starts the local stack in-process (as tests/local do) and times, with `http.client` (one request at a time):
- fresh: a new TCP connection for every request (`Connection: close`);
- keep-alive: every request on one connection that stays open.
for GET /v1/health (no storage) and GET /v1/accounts/{id}/settings (token check and a DynamoDB read on moto).
Prints medians in milliseconds and the ratio keep-alive / fresh (a well-behaved server is at or below 1); nothing is
asserted.

Usage: .venv/bin/python bench/local_http.py [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import statistics
import sys
import time
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment

environment.prepare()

import jwt  # noqa: E402

from devstack.local_stack import start_local_stack  # noqa: E402
from devstack.token import make_token  # noqa: E402

ACCOUNT = "bench-http-1"
Request = tuple[str, str, dict[str, str]]  # method, path, headers


def _one(connection: http.client.HTTPConnection, request: Request) -> None:
    method, path, headers = request
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status}")


def fresh(host: str, port: int, request: Request, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        connection = http.client.HTTPConnection(host, port, timeout=10)
        _one(connection, (request[0], request[1], {**request[2], "Connection": "close"}))
        connection.close()
        seconds.append(time.perf_counter() - started)
    return seconds


def keep_alive(host: str, port: int, request: Request, count: int) -> list[float]:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    _one(connection, request)  # opens the connection; not timed
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        _one(connection, request)
        seconds.append(time.perf_counter() - started)
    connection.close()
    return seconds


def sign_up(host: str, port: int) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    body = json.dumps({"account_id": ACCOUNT, "birth_date": "2012-03-04", "country": "GB"})
    token = make_token("signup-service", ["signup-service"])
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request("POST", "/v1/accounts", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"sign-up: {response.status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per figure (default 200)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)

    stack = start_local_stack(port=0)
    address = urlsplit(stack.url)
    host, port = str(address.hostname), int(address.port or 80)
    requests: dict[str, Request] = {
        "GET /v1/health": ("GET", "/v1/health", {}),
        "GET /v1/accounts/{id}/settings": (
            "GET",
            f"/v1/accounts/{ACCOUNT}/settings",
            {"Authorization": f"Bearer {make_token(ACCOUNT)}"},
        ),
    }
    figures: dict[str, tuple[float, float]] = {}
    try:
        # The app's request log goes to stdout (and the old server's access log to stderr): set aside.
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            sign_up(host, port)
            for name, request in requests.items():
                fresh_ms = statistics.median(fresh(host, port, request, args.requests)) * 1e3
                kept_ms = statistics.median(keep_alive(host, port, request, args.requests)) * 1e3
                figures[name] = (fresh_ms, kept_ms)
    finally:
        stack.stop()

    print(f"{args.requests} sequential requests per figure, medians in ms")
    print()
    print("| request | fresh connection | keep-alive connection | keep-alive / fresh |")
    print("|---|---|---|---|")
    for name, (fresh_ms, kept_ms) in figures.items():
        print(f"| {name} | {fresh_ms:.2f} | {kept_ms:.2f} | {kept_ms / fresh_ms:.2f} |")


if __name__ == "__main__":
    main()

"""The compliance export over many accounts on moto: accounts per second per worker, peak RSS of each worker and of
the finaliser, and a projection for 50 million accounts on Lambda. Prints figures, asserts nothing.

moto runs in its own process (with `devstack.moto_patches`, as `make run`), so a worker's memory is its own and not
the in-memory table's. Each size seeds that many accounts (three bands, four places) with their sign-up events straight
into the table, starts an export with history through the service (`start_export`), then runs every queued message
(one scan segment, or the finaliser) in a fresh Python process, as a Lambda invocation would, and reads that
process's peak RSS. Segments are sized by `--items-per-segment` (stored items: accounts and events), as in AWS.

Usage: .venv/bin/python bench/exports.py [--accounts 10000 100000] [--items-per-segment 20000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION = "eu-west-1"
SIGNED_UP = datetime(2026, 11, 1, 12, tzinfo=UTC)
BANDS = ("13-15", "16-17", "18+")
PLACES = (("GB", ""), ("FR", ""), ("US", ""), ("US", "US-NY"))
LAMBDA_CONCURRENCY = 1000  # the default regional concurrency; the projection's one assumption besides the rates


def _env(moto_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


# -- moto, in a process of its own -----------------------------------------------------------------------------------
def serve_moto(port: int) -> None:
    from devstack import moto_patches
    from devstack.local_stack import _start_moto

    moto_patches.install()
    _server, thread = _start_moto(port)
    print("ready", flush=True)
    thread.join()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-moto", str(port)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process, f"http://127.0.0.1:{port}"


def _peak_rss_kb() -> int:
    """This process's peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that over from the parent across
    fork and exec, so a child would report the benchmark's own (growing) peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- one queued message, in a process of its own (as one Lambda invocation) -----------------------------------------
def run_message(message: str) -> None:
    import chalicelib.services.exports as service
    import chalicelib.store.dynamo as dynamo

    # moto's Scan sorts the whole table on every call (seconds at 200k items); the service's 3 s read timeout is for
    # DynamoDB, so the benchmark gives moto longer.
    def slow_moto_client(region: str) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=120)
        return boto3.client("dynamodb", region_name=region, config=config)

    dynamo.make_dynamodb_client = slow_moto_client
    from chalicelib.services.exports import finalise, run_segment
    from chalicelib.workers.exports import compose_export_worker

    joining = [0.0]
    join = service._join

    def timed_join(*args: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return join(*args)
        finally:
            joining[0] += time.perf_counter() - started

    service._join = timed_join
    deps = compose_export_worker(os.environ)
    deps.policy.rules_in("GB", None, datetime.now(UTC).date())  # the policy loaded: part of the baseline
    started_rss = _peak_rss_kb()
    body = json.loads(message)
    started = time.perf_counter()
    if body.get("finalise"):
        outcome = finalise(deps, body["export_id"])
    else:
        outcome = run_segment(deps, body["export_id"], int(body["segment"]))
    seconds = time.perf_counter() - started
    peak = _peak_rss_kb()
    figures = {"outcome": outcome, "seconds": seconds, "rss_kb": peak, "start_rss_kb": started_rss, "join": joining[0]}
    print(json.dumps(figures))


# -- a size ------------------------------------------------------------------------------------------------------------
def seed(env: dict[str, str], count: int) -> None:
    import boto3

    from chalicelib.domain.models import Account, Actor, AgeAssurance, AuditEvent, Change, EventKind, Move, Place
    from chalicelib.policy import load_policy
    from chalicelib.store.settings_store import _account_item, _event_item
    from devstack.scale_items import write_all

    policy = load_policy()
    client = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION)
    items: list[dict[str, Any]] = []
    for number in range(count):
        band = BANDS[number % 3]
        country, subdivision = PLACES[(number // 3) % len(PLACES)]
        rules = policy.rules_in(country, subdivision or None, SIGNED_UP.date())
        settings = {name: rules.limits(name, band).default for name in rules.settings}
        at = SIGNED_UP + timedelta(seconds=number)
        account = Account(
            account_id=f"acct-{number:07d}",
            age_band=band,
            age_assurance=AgeAssurance.SELF_DECLARED,
            policy_version=policy.version,
            version=1,
            settings=settings,
            created_at=at,
            country=country,
            subdivision=subdivision,
        )
        event = AuditEvent(
            event_id=f"e-{number}",
            account_id=account.account_id,
            version=1,
            at=at,
            actor=Actor("signup-service", "signup-service"),
            kind=EventKind.DEFAULTS_APPLIED,
            changes=tuple(Change(name, None, value) for name, value in settings.items()),
            age_band=band,
            policy_version=policy.version,
            request_id="bench",
            move=Move(Place(""), Place(country, subdivision)),
        )
        items += [_account_item(account, at), _event_item(event)]
        if len(items) >= 5000:
            write_all(client, "safety-settings", items)
            items = []
    write_all(client, "safety-settings", items)


def measure(moto_url: str, count: int, items_per_segment: int) -> dict[str, Any]:
    import boto3
    import requests

    from chalicelib.domain.exports import ExportRequest
    from chalicelib.services.exports import start_export
    from chalicelib.workers.exports import compose_export_worker
    from infra.exports import create_export_resources
    from infra.tables import create_tables

    env = _env(moto_url)
    os.environ.update(env)
    requests.post(f"{moto_url}/moto-api/reset", timeout=60)
    create_tables(boto3.client("dynamodb", region_name=REGION))
    create_export_resources(boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION))
    started = time.perf_counter()
    seed(env, count)
    seeded = time.perf_counter() - started
    deps = compose_export_worker(env)
    from dataclasses import replace

    deps = replace(deps, items_per_segment=items_per_segment)
    export = start_export(deps, "bench", ExportRequest(include_history=True))
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="safety-settings-exports")["QueueUrl"]
    segments: list[dict[str, Any]] = []
    final: dict[str, Any] | None = None
    wall = time.perf_counter()
    while final is None:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            raise RuntimeError("the queue ran dry before the finaliser")
        message = messages[0]
        ran = subprocess.run(
            [sys.executable, __file__, "--message", message["Body"], "--items-per-segment", str(items_per_segment)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
        if ran.returncode != 0:
            raise RuntimeError(f"the worker for {message['Body']} failed:\n{ran.stderr[-3000:]}")
        figures = json.loads(ran.stdout.strip().splitlines()[-1])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if json.loads(message["Body"]).get("finalise"):
            final = figures
        else:
            segments.append(figures)
    wall = time.perf_counter() - wall
    done = deps.exports.get(export.export_id)
    assert done is not None and done.status.value == "complete", done
    manifest = json.loads(deps.objects.get(f"exports/{export.export_id}/manifest.json") or b"{}")
    return {
        "accounts": count,
        "segments": export.segments,
        "seed_seconds": seeded,
        "segment_figures": segments,
        "final": final,
        "wall": wall,
        "bytes": {entry["name"]: entry["bytes"] for entry in manifest["files"]},
        "events": manifest["events"],
    }


def report(figure: dict[str, Any]) -> dict[str, float]:
    count, segments = figure["accounts"], figure["segment_figures"]
    seconds = [s["seconds"] for s in segments]
    per_worker = count / sum(seconds)
    peak = max(s["rss_kb"] for s in segments) / 1024
    final = figure["final"]
    gz = sum(figure["bytes"].values())
    print(
        f"{count:>7} accounts ({figure['events']} events), {figure['segments']} segments: "
        f"{per_worker:,.0f} accounts/s per worker (segment {min(seconds):.1f}-{max(seconds):.1f} s); "
        f"peak RSS {peak:.0f} MiB per worker, finaliser {final['seconds']:.1f} s and {final['rss_kb'] / 1024:.0f} MiB "
        f"(files {gz / 1e6:.1f} MB); one worker at a time: {figure['wall']:.0f} s"
    )
    joined = figure["bytes"].get("accounts.jsonl.gz", 0) + figure["bytes"].get("history.jsonl.gz", 0)
    baseline = min(s["start_rss_kb"] for s in segments) / 1024
    print(
        f"          baseline RSS after imports and policy {baseline:.0f} MiB; "
        f"the finaliser joined {joined / 1e6:.1f} MB in {final['join']:.1f} s"
    )
    return {
        "rate": per_worker,
        "peak": peak,
        "final_peak": final["rss_kb"] / 1024,
        "final_bps": joined / max(final["join"], 1e-6),
        "final_fixed": final["seconds"] - final["join"],
    }


def project(figure: dict[str, Any], rates: dict[str, float], items_per_segment: int) -> None:
    target = 50_000_000
    items_per_account = (figure["accounts"] + figure["events"]) / figure["accounts"]
    segments = math.ceil(target * items_per_account / items_per_segment)
    accounts_per_segment = target / segments
    segment_seconds = accounts_per_segment / rates["rate"]
    waves = math.ceil(segments / LAMBDA_CONCURRENCY)
    bytes_per_account = sum(figure["bytes"].values()) / figure["accounts"]
    finaliser = target * bytes_per_account / rates["final_bps"] + rates["final_fixed"]
    print(
        f"projection, 50,000,000 accounts ({items_per_account:.1f} items each): {segments:,} segments of "
        f"{accounts_per_segment:,.0f} accounts, {segment_seconds:.0f} s each at the measured rate; "
        f"{waves} wave(s) at {LAMBDA_CONCURRENCY} concurrent workers = {waves * segment_seconds / 60:.1f} min, "
        f"then the finaliser joins {target * bytes_per_account / 1e9:.1f} GB at the measured "
        f"{rates['final_bps'] / 1e6:.0f} MB/s (plus {rates['final_fixed']:.0f} s of statements, report and manifest) "
        f"= {finaliser / 60:.1f} min; total {(waves * segment_seconds + finaliser) / 60:.1f} min"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--items-per-segment", type=int, default=50_000)  # the service's default
    parser.add_argument("--serve-moto", type=int)
    parser.add_argument("--message")
    args = parser.parse_args()
    if args.serve_moto is not None:
        return serve_moto(args.serve_moto)
    if args.message is not None:
        return run_message(args.message)
    process, moto_url = start_moto()
    try:
        results = []
        for count in args.accounts:
            figure = measure(moto_url, count, args.items_per_segment)
            results.append((figure, report(figure)))
        smallest, largest = results[0][1], results[-1][1]
        print(
            f"peak RSS, largest / smallest: workers {largest['peak'] / smallest['peak']:.2f}x, "
            f"finaliser {largest['final_peak'] / smallest['final_peak']:.2f}x"
        )
        project(results[-1][0], results[-1][1], args.items_per_segment)
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()

"""The auditor's command line: `safety-settings export` and `safety-settings verify`.

`export` starts an export as the API would (recorded with who ran it: the AWS identity), lets the workers run it (the
Lambda functions in AWS, the local stack's queue pumps under `make run`), follows it with a progress bar and
downloads its files. `verify` checks a downloaded export against its manifest and, where the history reaches back to
every account's creation, replays each account's events against its line.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from chalicelib.domain.exports import Export
    from chalicelib.services.exports import ExportsDeps

EXIT_OK, EXIT_FAILED = 0, 1
POLL_SECONDS = 1.0


def add_commands(commands: Any, day: Callable[[str], Any]) -> None:
    export = commands.add_parser(
        "export",
        help="run a compliance export and download its files",
        description="Start a compliance export of every account (and, with --history, every event in the window), "
        "follow it to the end and download its files into DIR.",
    )
    export.add_argument("--history", action="store_true", help="include every audit event in the window")
    export.add_argument("--from", dest="history_from", type=day, metavar="D", help="first day of the window")
    export.add_argument("--to", dest="history_to", type=day, metavar="D", help="last day of the window")
    export.add_argument("--out", required=True, type=Path, metavar="DIR", help="where to download the files")
    export.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for it (default 3600)")
    verify = commands.add_parser(
        "verify",
        help="check a downloaded export against its manifest, and replay its history",
        description="Check every file's size, SHA-256 and record count against manifest.json and the counts per band "
        "and jurisdiction against the accounts file; when the history reaches back to every account's creation, "
        "replay each account's events and compare the result with its line. Names each failure; exits 1 on any.",
    )
    verify.add_argument("dir", type=Path, metavar="DIR")


# -- export --------------------------------------------------------------------------------------------------------
def export_command(args: argparse.Namespace, env: Mapping[str, str], console: Console) -> int:
    from chalicelib.domain.exports import ExportRequest, ExportStatus
    from chalicelib.services.exports import check_request, start_export
    from chalicelib.workers.exports import compose_export_worker

    deps = compose_export_worker(env)
    request = ExportRequest(args.history, args.history_from, args.history_to)
    try:
        check_request(request, deps.clock().date())
    except Exception as error:
        console.print(f"[red]error:[/] {error}", highlight=False)
        return 2
    export = start_export(deps, _identity(env), request)
    console.print(f"export {export.export_id}: {export.segments} segments", highlight=False)
    final = _follow(deps, export, console, args.timeout)
    if final.status is not ExportStatus.COMPLETE:
        console.print(f"[red]export {final.status.value}:[/] {final.failure or 'timed out'}", highlight=False)
        return EXIT_FAILED
    files = download(deps, final.export_id, args.out)
    console.print(f"downloaded {len(files)} files to {args.out}", highlight=False)
    return EXIT_OK


def _identity(env: Mapping[str, str]) -> str:
    import boto3

    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    arn = boto3.client("sts", region_name=region).get_caller_identity()["Arn"]
    return f"cli:{arn}"


def _follow(deps: ExportsDeps, export: Export, console: Console, timeout: float) -> Export:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from chalicelib.domain.exports import ExportStatus

    started = time.monotonic()
    columns = (
        TextColumn("segments"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[read]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("export", total=export.segments, read="")
        while True:
            current = deps.exports.get(export.export_id) or export
            elapsed = max(time.monotonic() - started, 1e-6)
            rate = current.accounts / elapsed
            read = f"{current.accounts} accounts, {current.events} events, {rate:,.0f} accounts/s"
            bar.update(task, completed=current.segments_done, read=read)
            if current.status is not ExportStatus.RUNNING or time.monotonic() - started > timeout:
                return current
            time.sleep(POLL_SECONDS)


def download(deps: ExportsDeps, export_id: str, out: Path) -> list[Path]:
    """Every file of the manifest, and the manifest, streamed into `out`."""
    from chalicelib.domain.exports import MANIFEST_FILE
    from chalicelib.services.exports import key_of

    out.mkdir(parents=True, exist_ok=True)
    raw = deps.objects.get(key_of(export_id, MANIFEST_FILE))
    if raw is None:
        raise RuntimeError("the export has no manifest")
    written = []
    for entry in json.loads(raw)["files"]:
        path = out / Path(entry["name"]).name
        with path.open("wb") as file:
            for chunk in deps.objects.read(entry["key"]):
                file.write(chunk)
        written.append(path)
    (out / MANIFEST_FILE).write_bytes(raw)
    return [*written, out / MANIFEST_FILE]


# -- verify --------------------------------------------------------------------------------------------------------
def verify_command(args: argparse.Namespace, console: Console) -> int:
    failures = verify(args.dir)
    for failure in failures[:200]:
        console.print(f"[red]FAIL[/] {failure}", highlight=False, markup=True)
    if len(failures) > 200:
        console.print(f"... and {len(failures) - 200} more", highlight=False)
    if failures:
        return EXIT_FAILED
    console.print(f"[green]OK[/] {args.dir}: every file matches its manifest", highlight=False)
    return EXIT_OK


def verify(directory: Path) -> list[str]:
    """Every way the export in `directory` differs from its manifest or its history from its accounts."""
    from chalicelib.domain.exports import ACCOUNTS_FILE, HISTORY_FILE, MANIFEST_FILE

    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as error:
        return [f"{MANIFEST_FILE}: cannot be read ({error})"]
    failures: list[str] = []
    for entry in manifest.get("files", []):
        failures += _check_file(directory, entry)
    if failures:
        return failures  # counting or replaying files that do not match would only repeat it
    failures += _check_counts(directory / ACCOUNTS_FILE, manifest)
    if manifest.get("replayable") and (directory / HISTORY_FILE).exists():
        failures += _replay(directory / ACCOUNTS_FILE, directory / HISTORY_FILE)
    return failures


def _check_file(directory: Path, entry: Mapping[str, Any]) -> list[str]:
    name = str(entry["name"])
    path = directory / Path(name).name
    if not path.exists():
        return [f"{name}: missing"]
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    found = []
    if size != entry["bytes"]:
        found.append(f"{name}: {size} bytes, the manifest says {entry['bytes']}")
    if digest.hexdigest() != entry["sha256"]:
        found.append(f"{name}: SHA-256 {digest.hexdigest()}, the manifest says {entry['sha256']}")
    if entry.get("records") is not None:
        try:
            records = sum(1 for _ in _lines(path))
        except (OSError, EOFError, ValueError) as error:
            return [*found, f"{name}: not a readable gzip JSON lines file ({error})"]
        if records != entry["records"]:
            found.append(f"{name}: {records} records, the manifest says {entry['records']}")
    return found


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        for line in file:
            yield json.loads(line)


def _check_counts(accounts: Path, manifest: Mapping[str, Any]) -> list[str]:
    from chalicelib.domain.exports import jurisdiction_label

    bands: dict[str, int] = {}
    places: dict[str, int] = {}
    for line in _lines(accounts):
        bands[line["age_band"]] = bands.get(line["age_band"], 0) + 1
        label = jurisdiction_label(line["jurisdiction"])
        places[label] = places.get(label, 0) + 1
    found = []
    if bands != manifest["counts"]["by_band"]:
        found.append(f"counts per band: the accounts file has {bands}, the manifest {manifest['counts']['by_band']}")
    if places != manifest["counts"]["by_jurisdiction"]:
        found.append("counts per jurisdiction differ between the accounts file and the manifest")
    return found


def _replay(accounts: Path, history: Path) -> list[str]:
    """Both files list accounts in the same order (each segment writes an account's line, then its events), so the
    two are read side by side: memory holds one account's events at a time."""
    from chalicelib.domain.replay import replay

    failures: list[str] = []
    events = _Peekable(_lines(history))
    seen: set[str] = set()
    for line in _lines(accounts):
        account_id = line["account_id"]
        seen.add(account_id)
        own = []
        while events.peek() is not None and events.peek()["account_id"] == account_id:  # type: ignore[index]
            own.append(next(events))
        failures += [f"{account_id}: {problem}" for problem in replay(account_id, own).differences(line)]
    for event in events:
        where = "of an account not in the accounts file" if event["account_id"] not in seen else "out of order"
        failures.append(f"{event['account_id']}: history event {event.get('event_id')} is {where}")
    return failures


class _Peekable:
    def __init__(self, items: Iterator[dict[str, Any]]) -> None:
        self._items = items
        self._next: dict[str, Any] | None = None
        self._done = False

    def peek(self) -> dict[str, Any] | None:
        if self._next is None and not self._done:
            self._next = next(self._items, None)
            self._done = self._next is None
        return self._next

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        item = self.peek()
        if item is None:
            raise StopIteration
        self._next = None
        return item

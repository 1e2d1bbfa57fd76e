"""Compliance exports: recorded and fanned out by the API, run by queue workers one scan segment each, finished by
the last segment's finaliser.

- `start_export` records the request (who, when, what), sizes the work (one segment per `items_per_segment` stored
  items) and queues one message per segment. Nothing is read in the request.
- `run_segment` streams its segment's accounts (a parallel Scan) and, when asked, their events (a Query each) as gzip
  JSON lines to S3, counting as it goes (bands, jurisdictions, value shares, conformance). It saves what it found,
  then counts itself done; the worker that sees the count reach the total queues the finaliser. A redelivered
  message for a counted segment only queues the finaliser again when every segment is done (the first send may have
  been lost); one for an uncounted segment redoes it, overwriting the same objects, so no line is ever written
  twice. An account's events are exported up to the version its line shows, so a change made while the export runs
  goes to the next export, never half into this one.
- `finalise` joins the segments' objects in order into one object per file (gzip members concatenate into one valid
  gzip stream), checking each segment object's SHA-256 as it reads it, writes the statements of reasons, the report
  and the manifest, and only then marks the export complete.
- A message that keeps failing reaches the dead-letter queue, whose consumer marks the export failed with the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from chalicelib.domain.errors import InvalidCursorError, NotFound, Problem, ValidationFailed
from chalicelib.domain.exports import (
    ACCOUNTS_FILE,
    HISTORY_FILE,
    MANIFEST_FILE,
    REPORT_FILE,
    SERVICE_EPOCH,
    STATEMENTS_FILE,
    Export,
    ExportRequest,
    ExportStatus,
    Tally,
    account_line,
    event_record,
    manifest,
    violations,
)
from chalicelib.domain.report_html import render_report
from chalicelib.domain.settings import account_rules
from chalicelib.policy import Policy, load_policy
from chalicelib.services.ports import (
    AccountSource,
    Clock,
    ExportsStore,
    InvalidCursor,
    ObjectStore,
    ObjectWriter,
    WorkQueue,
)

DOWNLOAD_SECONDS = 15 * 60
MAX_SEGMENTS = 10_000
SCAN_PAGE = 1000  # items evaluated per Scan call (about 600 KB of records: under the 1 MB page cap)
STATEMENTS_PAGE = 100
SEGMENT_VIOLATIONS_KEPT = 1_000  # per segment record (the manifest keeps up to MAX_VIOLATIONS_LISTED)
_GZIP = "application/gzip"
_JOINED = (ACCOUNTS_FILE, HISTORY_FILE)  # the files segments write and the finaliser joins

Statements = Callable[[datetime, datetime, int, str | None], tuple[list[dict[str, Any]], str | None]]


@dataclass(frozen=True)
class ExportsDeps:
    exports: ExportsStore
    queue: WorkQueue
    objects: ObjectStore
    accounts: AccountSource
    policy: Policy
    clock: Clock
    statements: Statements
    items_per_segment: int = 50_000


@dataclass(frozen=True)
class ExportView:
    export: Export
    manifest: dict[str, Any] | None = None
    downloads: dict[str, str] | None = None


def key_of(export_id: str, name: str, segment: int | None = None) -> str:
    where = f"exports/{export_id}"
    return f"{where}/{name}" if segment is None else f"{where}/segments/{segment:05d}/{name}"


# -- the request ---------------------------------------------------------------------------------------------------
def check_request(request: ExportRequest, today: date) -> None:
    problems = []
    for name in ("history_from", "history_to"):
        day = getattr(request, name)
        if day is not None and day > today:
            problems.append(Problem(field=name, code="invalid_value", message="must not be after today"))
        if day is not None and day < SERVICE_EPOCH:
            message = f"must not be before {SERVICE_EPOCH.isoformat()}, when the service's records begin"
            problems.append(Problem(field=name, code="invalid_value", message=message))
    if request.history_from and request.history_to and request.history_from > request.history_to:
        problems.append(Problem(field="history_to", code="invalid_value", message="must not be before history_from"))
    if problems:
        raise ValidationFailed("the export's window is not valid", tuple(problems))


def segments_for(items: int, items_per_segment: int) -> int:
    """One segment per `items_per_segment` stored items (accounts and their events), at least 1."""
    return max(1, min(MAX_SEGMENTS, math.ceil(items / max(1, items_per_segment))))


def start_export(deps: ExportsDeps, requested_by: str, request: ExportRequest) -> Export:
    now = deps.clock()
    check_request(request, now.date())
    export = Export(
        export_id=str(uuid.uuid4()),
        requested_by=requested_by,
        requested_at=now,
        request=request,
        policy_version=deps.policy.version,
        segments=segments_for(deps.accounts.stored_items(), deps.items_per_segment),
    )
    deps.exports.create(export)
    try:
        deps.queue.send([{"export_id": export.export_id, "segment": n} for n in range(export.segments)])
    except Exception:
        # Some segments may never come: fail it now (never a running export that cannot finish), and let the
        # client hear that it should try again.
        deps.exports.fail(export.export_id, "its work could not be queued")
        raise
    return export


def read_export(deps: ExportsDeps, export_id: str) -> ExportView:
    export = deps.exports.get(export_id)
    if export is None:
        raise NotFound("no such export")
    if export.status is not ExportStatus.COMPLETE:
        return ExportView(export)
    raw = deps.objects.get(key_of(export_id, MANIFEST_FILE))
    found = json.loads(raw) if raw is not None else None
    names = [entry["name"] for entry in (found or {}).get("files", [])] + [MANIFEST_FILE]
    downloads = {name: deps.objects.presign(key_of(export_id, name), DOWNLOAD_SECONDS, name) for name in names}
    return ExportView(export, found, downloads)


def list_exports(deps: ExportsDeps, limit: int, cursor: str | None) -> tuple[list[Export], str | None]:
    try:
        return deps.exports.recent(limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None


# -- a segment -----------------------------------------------------------------------------------------------------
class GzipLines:
    """JSON lines, gzip-compressed as they are written, streamed to an object writer."""

    def __init__(self, writer: ObjectWriter) -> None:
        self._writer = writer
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip member
        self.records = 0

    def write(self, record: dict[str, Any]) -> None:
        data = self._compressor.compress(json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        if data:
            self._writer.write(data)
        self.records += 1

    def close(self) -> dict[str, Any]:
        self._writer.write(self._compressor.flush())
        size, digest = self._writer.close()
        return {"records": self.records, "bytes": size, "sha256": digest}

    def abort(self) -> None:
        self._writer.abort()


def _window(export: Export) -> tuple[datetime, datetime]:
    first, last = export.request.window(export.requested_at.date())
    return datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC)


def run_segment(deps: ExportsDeps, export_id: str, segment: int) -> str:
    """Exports one segment; what happened (`done`, or `skipped`: counted already, or the export no longer runs)."""
    export = deps.exports.get(export_id)
    if export is None or export.status is not ExportStatus.RUNNING or not 0 <= segment < export.segments:
        return "skipped"
    if segment in export.done:
        # Counted already: a redelivery. If the message that queued the finaliser was lost after the count (a send
        # that failed, a worker stopped between the two), this queues it again; the finaliser runs once.
        _finalise_when_all_done(deps, export)
        return "skipped"
    names = [ACCOUNTS_FILE] + ([HISTORY_FILE] if export.request.include_history else [])
    files = {name: GzipLines(deps.objects.writer(key_of(export_id, name, segment), _GZIP)) for name in names}
    try:
        tally, events = _export_segment(deps, export, segment, files)
        written = {name: {"key": key_of(export_id, name, segment), **lines.close()} for name, lines in files.items()}
    except BaseException:
        for lines in files.values():
            lines.abort()
        raise
    result = tally.as_dict()
    result["violations"] = result["violations"][:SEGMENT_VIOLATIONS_KEPT]
    record = {"segment": segment, "tally": result, "files": written, "events": events}
    deps.exports.save_segment(export_id, segment, record)
    counted = deps.exports.finish_segment(export_id, segment, tally.accounts, events)
    if counted is None:  # counted meanwhile by another delivery of this message, which takes it from here
        return "skipped"
    if counted == export.segments:  # exactly one worker sees the count reach the total
        deps.queue.send([{"export_id": export_id, "finalise": True}])
    return "done"


def _finalise_when_all_done(deps: ExportsDeps, export: Export) -> None:
    if export.status is ExportStatus.RUNNING and export.all_done:
        deps.queue.send([{"export_id": export.export_id, "finalise": True}])


def _export_segment(deps: ExportsDeps, export: Export, segment: int, files: dict[str, GzipLines]) -> tuple[Tally, int]:
    tally, events, start = Tally(), 0, None
    day = export.requested_at.date()
    since, until = _window(export)
    history = files.get(HISTORY_FILE)
    policy = load_policy(export.policy_version)  # the version the manifest names, whatever this worker runs on
    while True:
        accounts, start = deps.accounts.scan_accounts(segment, export.segments, start, SCAN_PAGE)
        for account in accounts:
            rules = account_rules(policy, account, day)
            line = account_line(account, rules)
            files[ACCOUNTS_FILE].write(line)
            tally.add(line, rules, violations(rules, account))
            if history is not None:
                for event in deps.accounts.events_between(account.account_id, since, until):
                    if event.version > account.version:  # a change after the line was read: the next export's
                        break
                    history.write(event_record(event))
                    events += 1
        if start is None:
            return tally, events


# -- the finaliser ---------------------------------------------------------------------------------------------------
class SegmentChanged(RuntimeError):
    """A segment's object does not hash to what its segment recorded: not joined (the message is retried, then the
    export fails)."""


def finalise(deps: ExportsDeps, export_id: str) -> str:
    export = deps.exports.get(export_id)
    if export is None or export.status is not ExportStatus.RUNNING:
        return "skipped"
    results = deps.exports.segment_results(export_id)
    if sorted(r["segment"] for r in results) != list(range(export.segments)):
        raise RuntimeError("not every segment has saved its result")  # retried: cannot happen once all are counted
    names = [ACCOUNTS_FILE] + ([HISTORY_FILE] if export.request.include_history else [])
    files = [_join(deps, export_id, name, results) for name in names]
    files.append(_statements(deps, export))
    completed_at = deps.clock()
    tally = Tally.merge(r["tally"] for r in results)
    document = manifest(replace(export, accounts=tally.accounts), tally, files, completed_at)
    document["events"] = sum(int(r.get("events", 0)) for r in results) if export.request.include_history else None
    report = render_report(document).encode()
    digest = deps.objects.put(key_of(export_id, REPORT_FILE), report, "text/html; charset=utf-8")
    document["files"].append(
        {
            "name": REPORT_FILE,
            "key": key_of(export_id, REPORT_FILE),
            "records": None,
            "bytes": len(report),
            "sha256": digest,
        }
    )
    body = json.dumps(document, indent=2, sort_keys=True).encode()
    deps.objects.put(key_of(export_id, MANIFEST_FILE), body, "application/json")
    if not deps.exports.complete(export_id, completed_at):
        return "skipped"  # failed meanwhile: it stays failed
    deps.objects.delete([entry["key"] for r in results for entry in r["files"].values()])
    return "complete"


def _join(deps: ExportsDeps, export_id: str, name: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The segments' objects of `name`, in segment order, as one object (streamed: one part in memory at a time)."""
    key = key_of(export_id, name)
    writer = deps.objects.writer(key, _GZIP)
    records = 0
    try:
        for result in sorted(results, key=lambda r: int(r["segment"])):
            entry = result["files"][name]
            _copy_checked(deps, entry, writer)
            records += int(entry["records"])
        size, digest = writer.close()
    except BaseException:
        writer.abort()
        raise
    return {"name": name, "key": key, "records": records, "bytes": size, "sha256": digest}


def _copy_checked(deps: ExportsDeps, entry: dict[str, Any], writer: ObjectWriter) -> None:
    check = hashlib.sha256()
    for chunk in deps.objects.read(entry["key"]):
        check.update(chunk)
        writer.write(chunk)
    if check.hexdigest() != entry["sha256"]:
        raise SegmentChanged(f"{entry['key']} changed after its segment stored it")


def _statements(deps: ExportsDeps, export: Export) -> dict[str, Any]:
    key = key_of(export.export_id, STATEMENTS_FILE)
    lines = GzipLines(deps.objects.writer(key, _GZIP))
    since, until = _window(export)
    cursor: str | None = None
    try:
        while True:
            records, cursor = deps.statements(since, until, STATEMENTS_PAGE, cursor)
            for record in records:
                lines.write(record)
            if cursor is None:
                break
        written = lines.close()
    except BaseException:
        lines.abort()
        raise
    return {"name": STATEMENTS_FILE, "key": key, **written}


# -- failure -------------------------------------------------------------------------------------------------------
def fail_export(deps: ExportsDeps, message: dict[str, Any]) -> bool:
    """A message that came to the dead-letter queue: its export fails, naming the part and its last error."""
    export_id = str(message.get("export_id", ""))
    export = deps.exports.get(export_id) if export_id else None
    if export is None:
        return False
    part = "the finaliser" if message.get("finalise") else f"segment {message.get('segment')}"
    reason = f"{part} kept failing and was given up; last error: {export.last_error or 'none recorded'}"
    failed = deps.exports.fail(export_id, reason)
    # What the finished segments wrote (children's settings and histories) goes with it: a failed export keeps
    # nothing but its record. (The bucket's lifecycle rule removes what a stopped worker left behind.)
    results = deps.exports.segment_results(export_id)
    written = [entry["key"] for result in results for entry in result["files"].values()]
    finals = [key_of(export_id, name) for name in (*_JOINED, STATEMENTS_FILE, REPORT_FILE, MANIFEST_FILE)]
    deps.objects.delete(written + finals)  # a finaliser that failed may have written some of its files
    return failed


def note_error(deps: ExportsDeps, message: dict[str, Any], error: BaseException) -> None:
    """Records a part's failure on its export (best effort: the failure itself may be the table's)."""
    export_id = str(message.get("export_id", ""))
    segment = None if message.get("finalise") else message.get("segment")
    try:
        deps.exports.note_error(export_id, segment if isinstance(segment, int) else None, _describe(error))
    except Exception:  # the message is retried whatever happens here
        return


def _describe(error: BaseException) -> str:
    """What an auditor may read of a failure: its kind, and our own message or code, never an AWS error's text
    (which names accounts, ARNs and tables)."""
    if isinstance(error, SegmentChanged):
        return f"{type(error).__name__}: {error}"
    code = getattr(error, "code", None)
    return type(error).__name__ + (f" ({code})" if isinstance(code, str) else "")

"""Compliance exports through moto (DynamoDB, S3, SQS): a population across bands and jurisdictions with history,
the manifest against the files, the conformance check, redelivery, a segment that fails into the dead-letter queue,
verify (hashes, counts, replay) and what a non-auditor or a bad request gets."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.exports import event_record
from tests.api.helpers import BORN_13_15, BORN_16_17, BORN_ADULT, assert_problem, patch_settings
from tests.conftest import AUDITOR, Api, auth, body
from tests.exports.conftest import Exports

PLACES = [("GB", None), ("US", None), ("US", "US-NY"), ("FR", None), ("DE", None), ("US", "US-CA")]
BORN = [BORN_13_15, BORN_16_17, BORN_ADULT]


def populate(api: Api, count: int) -> list[str]:
    """`count` accounts over three bands and six places; some changed by their holder, some moved, some corrected."""
    ids = []
    for i in range(count):
        country, subdivision = PLACES[i % len(PLACES)]
        account_id = f"acct-{i:04d}"
        assert api.sign_up(account_id, BORN[i % 3], country, subdivision).status_code == 201
        ids.append(account_id)
        if i % 4 == 1:
            assert patch_settings(api, {"comments": "no_one", "autoplay": False}, account_id).status_code == 200
        if i % 7 == 2:
            moved = api.call(
                "PUT", f"/v1/accounts/{account_id}/jurisdiction", {"country": "GB"}, auth("platform", "signup-service")
            )
            assert moved.status_code == 200, moved.body
        if i % 9 == 4:  # a 16-17 (i % 3 == 1) who corrects their age to 14
            corrected = api.call(
                "PUT",
                f"/v1/accounts/{account_id}/age",
                {"birth_date": BORN_13_15, "assurance": "self_declared", "source": "self"},
                auth(account_id),
            )
            assert corrected.status_code == 200, corrected.body
    return ids


def segmented(api: Api, items_per_segment: int) -> None:
    api.rewire(replace(api.deps, exports=replace(api.deps.exports, items_per_segment=items_per_segment)))


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines()]


def download(api: Api, export_id: str, out: Path) -> Path:
    from ops.export_cli import download as fetch

    fetch(api.deps.exports, export_id, out)
    return out


@pytest.fixture
def population(api: Api) -> list[str]:
    return populate(api, 240)


def test_an_export_of_every_account_with_history_matches_its_manifest(
    api: Api, exports: Exports, population: list[str], tmp_path: Path
) -> None:
    # Given 240 accounts and enough stored items for several segments
    segmented(api, 60)
    # When an auditor exports them with history, and the workers run
    export_id = exports.start(history=True)
    running = exports.get(export_id)
    assert running["status"] == "running" and running["manifest"] is None and running["downloads"] is None
    exports.run()
    found = exports.get(export_id)
    # Then it is complete, over more than one segment, and every account is in it once
    assert found["status"] == "complete", found
    assert found["progress"]["segments"] > 1
    assert found["progress"] == {
        "segments_done": found["progress"]["segments"],
        "segments": found["progress"]["segments"],
        "accounts": 240,
    }
    manifest = found["manifest"]
    accounts = lines(exports.object(f"exports/{export_id}/accounts.jsonl.gz"))
    assert sorted(line["account_id"] for line in accounts) == population
    # And the counts per band and jurisdiction are the files'
    by_band: dict[str, int] = {}
    for line in accounts:
        by_band[line["age_band"]] = by_band.get(line["age_band"], 0) + 1
    assert manifest["counts"]["by_band"] == by_band
    assert sum(manifest["counts"]["by_jurisdiction"].values()) == 240
    assert {"GB", "US", "US-NY", "FR", "DE", "US-CA"} <= set(manifest["counts"]["by_jurisdiction"])
    # And each file's records, bytes and SHA-256 are those of the stored object
    import hashlib

    for entry in manifest["files"]:
        data = exports.object(entry["key"])
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"]), entry["name"]
        if entry["records"] is not None:
            assert len(gzip.decompress(data).splitlines()) == entry["records"]
    history = lines(exports.object(f"exports/{export_id}/history.jsonl.gz"))
    assert len(history) == manifest["events"] > 240
    # And a clean table conforms
    assert manifest["conformance"]["accounts_checked"] == 240
    assert manifest["conformance"]["violations"] == [] and manifest["conformance"]["violations_total"] == 0
    # And the shares per band add up to one for every setting
    for settings in manifest["shares"].values():
        for shares in settings.values():
            assert abs(sum(shares.values()) - 1) < 0.001
    # And no line holds a birth date, a band-end day or month, or a sealed value
    text = gzip.decompress(exports.object(f"exports/{export_id}/accounts.jsonl.gz")).decode()
    for forbidden in ("birth", "band_end", "sealed", "2012-05", "2009-05", "1990-05"):
        assert forbidden not in text
    # And the download URLs are presigned SigV4 for 15 minutes, for every file and the manifest
    assert set(found["downloads"]) == {entry["name"] for entry in manifest["files"]} | {"manifest.json"}
    for url in found["downloads"].values():
        assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=900" in url
    # And the segments' intermediate objects are gone
    listed = exports.s3.list_objects_v2(Bucket="safety-settings-exports", Prefix=f"exports/{export_id}/segments/")
    assert listed.get("KeyCount", 0) == 0
    # And verify finds nothing wrong, replaying every account's history
    from ops.export_cli import verify

    assert verify(download(api, export_id, tmp_path / "export")) == []


def test_the_history_replays_to_every_account_line_and_an_event_looks_as_the_history_route_shows_it(
    api: Api, exports: Exports, population: list[str]
) -> None:
    from chalicelib.api.documents import event_out
    from chalicelib.domain.replay import replay

    export_id = exports.start(history=True)
    exports.run()
    accounts = {line["account_id"]: line for line in lines(exports.object(f"exports/{export_id}/accounts.jsonl.gz"))}
    history = lines(exports.object(f"exports/{export_id}/history.jsonl.gz"))
    kinds = {event["kind"] for event in history}
    assert {"defaults_applied", "settings_changed", "jurisdiction_changed", "age_changed"} <= kinds
    for account_id, line in accounts.items():
        own = [event for event in history if event["account_id"] == account_id]
        assert replay(account_id, own).differences(line) == [], account_id
    stored = api.deps.accounts.store.list_events("acct-0001", 10, None).events[0]
    assert event_record(stored) == event_out(stored).model_dump(mode="json", by_alias=True)


def test_conformance_finds_an_account_written_straight_into_the_table(api: Api, exports: Exports) -> None:
    # Given accounts, one of them (13-15) loosened by a write that went around the service
    populate(api, 12)
    api.deps.dynamodb().update_item(
        TableName="safety-settings",
        Key={"pk": {"S": "ACCOUNT#acct-0000"}, "sk": {"S": "STATE"}},
        UpdateExpression="SET settings.direct_messages = :everyone, settings.live_hosting = :on",
        ExpressionAttributeValues={":everyone": {"S": "everyone"}, ":on": {"BOOL": True}},
    )
    # When exported
    export_id = exports.start(history=False)
    exports.run()
    found = exports.get(export_id)
    # Then the conformance check names that account and both settings, with the loosest value allowed
    conformance = found["manifest"]["conformance"]
    assert conformance["violations"] == [
        {"account_id": "acct-0000", "setting": "direct_messages", "value": "everyone", "loosest_allowed": "no_one"},
        {"account_id": "acct-0000", "setting": "live_hosting", "value": True, "loosest_allowed": False},
    ]
    assert conformance["violations_total"] == 2 and conformance["accounts_checked"] == 12
    assert "history.jsonl.gz" not in {entry["name"] for entry in found["manifest"]["files"]}
    report = exports.object(f"exports/{export_id}/report.html").decode()
    assert "2 settings on 1 of 12 accounts" in report and "acct-0000" in report


def test_a_redelivered_segment_message_writes_no_line_twice(api: Api, exports: Exports) -> None:
    populate(api, 30)
    segmented(api, 20)
    export_id = exports.start(history=True)
    # Given every message delivered twice (a worker that finished but whose delete was lost)
    received = exports.sqs.receive_message(QueueUrl=exports.work.url, MaxNumberOfMessages=10)["Messages"]
    segments = len(received)
    assert segments > 1
    for message in received:
        event = {"Records": [_record(message)]}
        for _ in range(2):
            assert exports.handler(event) == {"batchItemFailures": []}
        exports.sqs.delete_message(QueueUrl=exports.work.url, ReceiptHandle=message["ReceiptHandle"])
    # And the finaliser's message delivered twice too
    exports.run()
    from chalicelib.services.exports import finalise

    assert finalise(api.deps.exports, export_id) == "skipped"
    found = exports.get(export_id)
    assert found["status"] == "complete"
    assert found["progress"]["accounts"] == 30 == found["manifest"]["accounts"]
    ids = [line["account_id"] for line in lines(exports.object(f"exports/{export_id}/accounts.jsonl.gz"))]
    assert len(ids) == len(set(ids)) == 30
    events = [e["event_id"] for e in lines(exports.object(f"exports/{export_id}/history.jsonl.gz"))]
    assert len(events) == len(set(events)) == found["manifest"]["events"]


def _record(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:safety-settings-exports",
        "awsRegion": "eu-west-1",
    }


def test_a_segment_that_keeps_failing_fails_the_export_with_its_reason_never_complete(
    api: Api, exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(api, 20)
    segmented(api, 15)
    store = api.deps.exports.accounts
    real = store.scan_accounts

    def failing(segment: int, segments: int, start: str | None, limit: int) -> Any:
        if segment == 1:
            raise RuntimeError("disk on fire")
        return real(segment, segments, start, limit)

    monkeypatch.setattr(store, "scan_accounts", failing)
    export_id = exports.start(history=False)
    exports.run()
    found = exports.get(export_id)
    assert found["status"] == "failed", found
    assert found["failure"].startswith("segment 1 kept failing and was given up")
    assert found["failure"].endswith("last error: segment 1: RuntimeError")
    assert "disk on fire" not in found["failure"]  # an error's own text (AWS's names accounts and ARNs) is never shown
    assert found["manifest"] is None and found["downloads"] is None
    assert found["progress"]["segments_done"] == found["progress"]["segments"] - 1
    # And what the finished segments wrote is gone with it
    listed = exports.s3.list_objects_v2(Bucket="safety-settings-exports", Prefix=f"exports/{export_id}/")
    assert listed.get("KeyCount", 0) == 0
    # And nothing later makes it complete
    from chalicelib.services.exports import finalise

    assert finalise(api.deps.exports, export_id) == "skipped"
    assert exports.get(export_id)["status"] == "failed"


def test_verify_names_a_changed_byte_a_missing_line_and_a_removed_history_event(
    api: Api, exports: Exports, tmp_path: Path
) -> None:
    from ops.export_cli import verify

    populate(api, 20)
    export_id = exports.start(history=True)
    exports.run()
    clean = download(api, export_id, tmp_path / "clean")
    assert verify(clean) == []

    def copy(name: str) -> Path:
        import shutil

        target = tmp_path / name
        shutil.copytree(clean, target)
        return target

    changed = copy("byte")
    data = bytearray((changed / "accounts.jsonl.gz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (changed / "accounts.jsonl.gz").write_bytes(bytes(data))
    assert any(f.startswith("accounts.jsonl.gz: SHA-256") for f in verify(changed))

    missing = copy("line")
    kept = gzip.decompress((missing / "accounts.jsonl.gz").read_bytes()).splitlines(keepends=True)[1:]
    (missing / "accounts.jsonl.gz").write_bytes(gzip.compress(b"".join(kept)))
    failures = verify(missing)
    assert "accounts.jsonl.gz: 19 records, the manifest says 20" in failures

    removed = copy("event")
    events = gzip.decompress((removed / "history.jsonl.gz").read_bytes()).splitlines(keepends=True)
    victim = next(i for i, e in enumerate(events) if json.loads(e)["kind"] == "settings_changed")
    account = json.loads(events[victim])["account_id"]
    rest = events[:victim] + events[victim + 1 :]
    (removed / "history.jsonl.gz").write_bytes(gzip.compress(b"".join(rest)))
    failures = verify(removed)
    assert any(f.startswith("history.jsonl.gz: SHA-256") for f in failures)
    # And with the manifest rewritten to match the tampered file, the replay still catches it
    manifest = json.loads((removed / "manifest.json").read_text())
    import hashlib

    for entry in manifest["files"]:
        if entry["name"] == "history.jsonl.gz":
            raw = (removed / "history.jsonl.gz").read_bytes()
            entry.update(bytes=len(raw), sha256=hashlib.sha256(raw).hexdigest(), records=entry["records"] - 1)
    (removed / "manifest.json").write_text(json.dumps(manifest))
    failures = verify(removed)
    assert any(f.startswith(f"{account}: ") for f in failures), failures


def test_only_auditors_see_exports_and_everyone_else_gets_404(api: Api, exports: Exports) -> None:
    populate(api, 3)
    export_id = exports.start(history=False)
    for who in (("u-1",), ("mod-1", "moderator"), ("signup-service", "signup-service")):
        assert_problem(api.call("GET", f"/v1/exports/{export_id}", headers=auth(*who)), 404, "not_found")
        assert_problem(api.call("GET", "/v1/exports", headers=auth(*who)), 404, "not_found")
        started = api.call("POST", "/v1/exports", {"include_history": False}, {**auth(*who), "Idempotency-Key": "k-1"})
        assert_problem(started, 404, "not_found")
    assert api.call("GET", "/v1/exports").status_code == 401
    # And an auditor sees a missing export as 404 too, and any malformed id the same way
    for missing in ("00000000-0000-4000-8000-000000000000", "nope", "..%2F..%2Fetc"):
        assert_problem(api.call("GET", f"/v1/exports/{missing}", headers=auth(*AUDITOR)), 404, "not_found")


def test_the_list_is_an_audit_record_of_who_asked_for_what_newest_first(
    api: Api, exports: Exports, clock: list[Any]
) -> None:
    from datetime import timedelta

    populate(api, 3)
    first = exports.start(history=False, key="key-a")
    clock[0] += timedelta(minutes=5)
    second = exports.start(history=True, key="key-b", history_from="2026-01-01", history_to="2026-11-01")
    listed = body(api.call("GET", "/v1/exports?limit=1", headers=auth(*AUDITOR)))
    assert [e["export_id"] for e in listed["exports"]] == [second]
    newest = listed["exports"][0]
    assert newest["requested_by"] == AUDITOR[0]
    assert newest["request"] == {"include_history": True, "history_from": "2026-01-01", "history_to": "2026-11-01"}
    rest = body(api.call("GET", f"/v1/exports?limit=1&next={listed['next']}", headers=auth(*AUDITOR)))
    assert [e["export_id"] for e in rest["exports"]] == [first]
    assert_problem(api.call("GET", "/v1/exports?next=forged", headers=auth(*AUDITOR)), 400, "invalid_cursor")
    assert_problem(api.call("GET", "/v1/exports?limit=0", headers=auth(*AUDITOR)), 422)


def test_a_window_limits_history_and_statements_and_the_export_cannot_be_replayed(
    api: Api, exports: Exports, clock: list[Any]
) -> None:
    from datetime import timedelta

    populate(api, 4)
    clock[0] += timedelta(days=2)
    assert patch_settings(api, {"comments": "no_one"}, "acct-0000").status_code == 200
    export_id = exports.start(history=True, history_from=clock[0].date().isoformat())
    exports.run()
    found = exports.get(export_id)
    history = lines(exports.object(f"exports/{export_id}/history.jsonl.gz"))
    assert [(e["account_id"], e["kind"]) for e in history] == [("acct-0000", "settings_changed")]
    assert found["manifest"]["replayable"] is False


def test_the_same_key_replays_and_a_reused_key_or_a_bad_body_is_refused(api: Api, exports: Exports) -> None:
    populate(api, 2)
    headers = {**auth(*AUDITOR), "Idempotency-Key": "same-key"}
    first = api.call("POST", "/v1/exports", {"include_history": True}, headers)
    again = api.call("POST", "/v1/exports", {"include_history": True}, headers)
    assert first.status_code == again.status_code == 202
    assert body(first) == body(again)
    assert_problem(api.call("POST", "/v1/exports", {"include_history": False}, headers), 422, "idempotency_key_reused")
    assert_problem(api.call("POST", "/v1/exports", {"include_history": True}, auth(*AUDITOR)), 400)
    fresh = {**auth(*AUDITOR), "Idempotency-Key": "other-key"}
    for bad in (
        {},
        {"include_history": "yes"},
        {"include_history": True, "history_from": "2026-13-01"},
        {"include_history": True, "history_from": "2026-11-02", "history_to": "2026-11-01"},
        {"include_history": True, "history_to": "2099-01-01"},
        {"include_history": True, "history_from": "0001-01-01"},  # one query per day of statements: never ends
        {"include_history": True, "segments": 5},
        [],
    ):
        assert_problem(api.call("POST", "/v1/exports", bad, fresh), 422)
    assert_problem(api.call("POST", "/v1/exports", raw=b"{", headers=fresh), 400)
    # And only the replayed one was started (the list says so)
    assert len(body(api.call("GET", "/v1/exports", headers=auth(*AUDITOR)))["exports"]) == 1


def test_a_lost_finaliser_message_is_sent_again_by_the_redelivery(
    api: Api, exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a worker whose finaliser message is lost once, after it counted the last segment (review: the export then
    # stayed running for ever)
    populate(api, 10)
    queue = api.deps.exports.queue
    real = queue.send
    lost = []

    def send(messages: list[dict[str, Any]]) -> None:
        if any(m.get("finalise") for m in messages) and not lost:
            lost.append(messages)
            raise RuntimeError("SQS throttled")
        real(messages)

    monkeypatch.setattr(queue, "send", send)
    export_id = exports.start(history=False)
    exports.run()
    # Then the redelivered segment queues it again and the export completes, with every account once
    assert lost and exports.get(export_id)["status"] == "complete"
    assert exports.get(export_id)["manifest"]["accounts"] == 10


def test_a_change_made_while_the_export_runs_is_left_for_the_next_one(
    api: Api, exports: Exports, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given an account changed after its line was read but before its events are (review: verify then failed)
    from ops.export_cli import verify

    populate(api, 6)
    store = api.deps.exports.accounts
    real = store.scan_accounts

    def scan_then_change(segment: int, segments: int, start: str | None, limit: int) -> Any:
        page = real(segment, segments, start, limit)
        assert patch_settings(api, {"comments": "no_one"}, "acct-0000").status_code == 200
        return page

    monkeypatch.setattr(store, "scan_accounts", scan_then_change)
    export_id = exports.start(history=True)
    exports.run()
    # Then the history stops at the version the line shows, and the export replays
    history = lines(exports.object(f"exports/{export_id}/history.jsonl.gz"))
    line = next(
        a for a in lines(exports.object(f"exports/{export_id}/accounts.jsonl.gz")) if a["account_id"] == "acct-0000"
    )
    assert max(e["version"] for e in history if e["account_id"] == "acct-0000") == line["version"]
    assert verify(download(api, export_id, tmp_path / "export")) == []


def test_a_history_that_ends_before_the_request_is_not_replayable(api: Api, exports: Exports, clock: list[Any]) -> None:
    from datetime import timedelta

    populate(api, 2)
    clock[0] += timedelta(days=3)
    export_id = exports.start(history=True, history_to=(clock[0] - timedelta(days=1)).date().isoformat())
    exports.run()
    assert exports.get(export_id)["manifest"]["replayable"] is False


def test_the_manifest_says_how_many_violations_it_lists_and_on_how_many_accounts(
    api: Api, exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chalicelib.services.exports as service

    populate(api, 6)
    for account in ("acct-0000", "acct-0003"):  # two 13-15s, two settings each
        api.deps.dynamodb().update_item(
            TableName="safety-settings",
            Key={"pk": {"S": f"ACCOUNT#{account}"}, "sk": {"S": "STATE"}},
            UpdateExpression="SET settings.gifts = :on, settings.downloads = :on",
            ExpressionAttributeValues={":on": {"BOOL": True}},
        )
    monkeypatch.setattr(service, "SEGMENT_VIOLATIONS_KEPT", 1)
    export_id = exports.start(history=False)
    exports.run()
    conformance = exports.get(export_id)["manifest"]["conformance"]
    assert conformance["violations_total"] == 4 and conformance["accounts_with_violations"] == 2
    assert conformance["violations_listed"] == len(conformance["violations"]) == 1
    report = exports.object(f"exports/{export_id}/report.html").decode()
    assert "4 settings on 2 of 6 accounts" in report and "1 of 4 are shown" in report


def test_the_statements_of_reasons_of_the_window_are_exported_in_the_transparency_databases_shape(
    api: Api, exports: Exports
) -> None:
    import jsonschema

    from tests.api.test_appeals import SCHEMA, TAKEN_DOWN, decided_case

    # Given a restricting decision today, with its statement of reasons
    populate(api, 2)
    decision_id = decided_case(api, TAKEN_DOWN)
    listed = api.call(
        "GET",
        "/v1/moderation/statements?from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z",
        headers=auth(*AUDITOR),
    )
    # When exported, and with a window that ends the day before
    export_id = exports.start(history=False)
    earlier = exports.start(history=False, key="earlier", history_to="2026-11-24")
    exports.run()
    # Then the statement is the one the statements route gives, valid against the database's schema
    statements = lines(exports.object(f"exports/{export_id}/statements.jsonl.gz"))
    assert statements == body(listed)["statements"] and len(statements) == 1
    jsonschema.validate(statements[0], SCHEMA)
    entry = next(f for f in exports.get(export_id)["manifest"]["files"] if f["name"] == "statements.jsonl.gz")
    assert entry["records"] == 1
    # And a window that ends before the decision holds none
    assert lines(exports.object(f"exports/{earlier}/statements.jsonl.gz")) == []
    assert decision_id

"""Reports, the moderation queue, decisions and reporter state in one DynamoDB table.

Layout (private to this module):
- `REPORT#<id> / REPORT`: a report. Index keys `reporter_pk/reporter_sk` list a reporter's reports.
- `TARGET#<type>#<id> / ROUND#<round>#REPORT#<id>`: a pointer per report, so a decision finds every report of its
  round with one consistent query.
- `TARGET#<type>#<id> / OPEN`: the target's open queue item (its "round"), with the target's priority and first report
  time; `queue_pk/queue_sk` put it in the `moderation_queue` index ordered by priority, then oldest first.
- `TARGET#<type>#<id> / ROUND#<round>#SHARD#<n>`: counters for the round (count, reasons, flags, times). A report adds
  to one of `COUNTER_SHARDS` shards chosen from its id, conditional on the shard not being closed, and does not touch
  the OPEN item unless it is the round's first report or raises the priority. Thousands of reports on one viral
  comment so spread their writes over several items instead of serialising on one; the queue sums the shards.
- `TARGET#<type>#<id> / DECISION#<round>`: the permanent decision record. Reports read as decided through it even
  before their own items are updated.
- `REPORTER#<id> / RATE | MUTE | UNFOUNDED | DEDUPE#<type>#<id>#<reason>`: the reporter's rolling rate window,
  mute, recent unfounded outcomes and 24-hour duplicate guards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Unavailable
from chalicelib.domain.reports import (
    Decision,
    Priority,
    QueueFlag,
    QueueItem,
    RateWindow,
    Report,
    ReportStatus,
    StatementOfReasons,
    Target,
)
from chalicelib.services.ports import InvalidCursor, Mute, OpenRound, SubmissionState
from chalicelib.store.cursors import CursorSealer, key_position
from chalicelib.store.dynamo import (
    ClientProvider,
    TableAdapter,
    batch_get,
    from_item,
    to_attr,
    to_item,
    transact_write,
    translated_errors,
)

COUNTER_SHARDS = 4
_OPEN_QUEUE = "OPEN"
_RATE_WINDOW = timedelta(hours=1)


def _target_pk(target: Target) -> str:
    return f"TARGET#{target.key}"


def _reporter_pk(reporter_id: str) -> str:
    return f"REPORTER#{reporter_id}"


def _report_key(report_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"REPORT#{report_id}"}, "sk": {"S": "REPORT"}}


def _dedupe_sk(target: Target, reason: str) -> str:
    return f"DEDUPE#{target.key}#{reason}"


def shard_of(report_id: str) -> int:
    return int(hashlib.sha256(report_id.encode()).hexdigest(), 16) % COUNTER_SHARDS


def _shard_sk(round_id: str, shard: int) -> str:
    return f"ROUND#{round_id}#SHARD#{shard}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class ReportsStore(TableAdapter):
    """The DynamoDB adapter of `chalicelib.services.ports.ReportsStore`."""

    def __init__(self, table_name: str, client: ClientProvider, cursors: CursorSealer) -> None:
        super().__init__(table_name, client)
        self._cursors = cursors

    # -- submission --------------------------------------------------------------------------------------------------
    def submission_state(
        self,
        report_id: str,
        reporter_id: str,
        target: Target,
        reason: str,
        unfounded_since: datetime,
        unfounded_cap: int,
    ) -> SubmissionState:
        reporter = _reporter_pk(reporter_id)
        keys = {
            "own": _report_key(report_id),
            "rate": _key(reporter, "RATE"),
            "mute": _key(reporter, "MUTE"),
            "dedupe": _key(reporter, _dedupe_sk(target, reason)),
            "open": _key(_target_pk(target), "OPEN"),
        }
        found = self._batch_get(list(keys.values()))
        item = {name: found.get((key["pk"]["S"], key["sk"]["S"])) for name, key in keys.items()}
        own, rate, mute, dedupe, open_round = item["own"], item["rate"], item["mute"], item["dedupe"], item["open"]
        return SubmissionState(
            rate=RateWindow(tuple(datetime.fromisoformat(at) for at in (rate or {}).get("accepted_at", []))),
            rate_revision=int((rate or {}).get("revision", 0)),
            own_report=_report_from_item(own) if own else None,
            mute=_mute_from_item(mute) if mute else None,
            unfounded_recently=self._count_unfounded(reporter, unfounded_since, unfounded_cap),
            duplicate_of=dedupe["report_id"] if dedupe else None,
            duplicate_until=datetime.fromisoformat(dedupe["until"]) if dedupe else None,
            open_round=_open_round_from_item(open_round) if open_round else None,
        )

    def _count_unfounded(self, reporter_pk: str, since: datetime, cap: int) -> int:
        """How many `no_violation` outcomes the reporter had since `since`, counted up to `cap` (all the flag needs)."""
        with translated_errors():
            response = self.client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :reporter AND sk BETWEEN :since AND :end",
                ExpressionAttributeValues={
                    ":reporter": to_attr(reporter_pk),
                    ":since": to_attr(f"UNFOUNDED#{since.isoformat()}"),
                    ":end": to_attr("UNFOUNDED#~"),
                },
                Select="COUNT",
                Limit=cap,
                ConsistentRead=True,
            )
        return int(response.get("Count", 0))

    def record_report(
        self, report: Report, state: SubmissionState, rate: RateWindow, duplicate_until: datetime, now: datetime
    ) -> None:
        """Stores the report, its duplicate guard, the reporter's rate window and the target's counters atomically.

        `VersionConflict` when anything it read has changed since (another report, a decision): re-read and retry.
        """
        reporter = _reporter_pk(report.reporter_id)
        transaction: list[dict[str, Any]] = [
            self._put(_report_item(report), "attribute_not_exists(pk)"),
            self._put(
                {
                    **_key(reporter, _dedupe_sk(report.target, report.reason)),
                    **to_item(
                        {
                            "report_id": report.report_id,
                            "until": duplicate_until.isoformat(),
                            "expires_at": _epoch(duplicate_until) + 3600,
                        }
                    ),
                },
                # a guard may be replaced once it lapsed, or when its report was decided (the service checked)
                "attribute_not_exists(pk) OR #until <= :now OR report_id = :previous",
                names={"#until": "until"},
                values={":now": to_attr(now.isoformat()), ":previous": to_attr(state.duplicate_of or "")},
            ),
            self._put(
                {
                    **_key(reporter, "RATE"),
                    **to_item(
                        {
                            "accepted_at": [at.isoformat() for at in rate.accepted_at],
                            "revision": state.rate_revision + 1,
                            # the window only ever looks back one hour: then the item stops mattering
                            "expires_at": _epoch(max(rate.accepted_at, default=now) + _RATE_WINDOW) + 3600,
                        }
                    ),
                },
                "attribute_not_exists(pk) OR revision = :revision",
                values={":revision": to_attr(state.rate_revision)},
            ),
            self._put(
                {
                    **_key(_target_pk(report.target), f"ROUND#{report.round_id}#REPORT#{report.report_id}"),
                    **to_item({"report_id": report.report_id}),
                },
                "attribute_not_exists(pk)",
            ),
            self._shard_update(report),
        ]
        round_write = self._round_write(report, state.open_round)
        if round_write is not None:
            transaction.append(round_write)
        self._transact(transaction)

    def _round_write(self, report: Report, open_round: OpenRound | None) -> dict[str, Any] | None:
        target_pk = _target_pk(report.target)
        if open_round is None or open_round.round_id != report.round_id:
            head = {
                **_key(target_pk, "OPEN"),
                **to_item(
                    {
                        "target_type": report.target.type,
                        "target_id": report.target.id,
                        "round_id": report.round_id,
                        "priority": int(report.priority),
                        "first_reported_at": report.received_at.isoformat(),
                        "queue_pk": _OPEN_QUEUE,
                        "queue_sk": _queue_sk(report.priority, report.received_at, report.target),
                    }
                ),
            }
            return self._put(head, "attribute_not_exists(pk)")
        if report.priority < open_round.priority:  # a more urgent report raises the target's priority
            return {
                "Update": {
                    "TableName": self._table,
                    "Key": _key(target_pk, "OPEN"),
                    "UpdateExpression": "SET priority = :priority, queue_sk = :queue_sk",
                    "ConditionExpression": "round_id = :round AND priority = :was",
                    "ExpressionAttributeValues": {
                        ":priority": to_attr(int(report.priority)),
                        ":queue_sk": to_attr(_queue_sk(report.priority, open_round.first_reported_at, report.target)),
                        ":round": to_attr(open_round.round_id),
                        ":was": to_attr(int(open_round.priority)),
                    },
                }
            }
        # The common case on a busy target: the shared item is not part of the transaction at all (a condition check
        # on it would conflict with every concurrent report); the shard's own condition proves the round is open.
        return None

    def _shard_update(self, report: Report) -> dict[str, Any]:
        values: dict[str, Any] = {
            ":one": to_attr(1),
            ":reasons": {"SS": [report.reason]},
            ":at": to_attr(report.received_at.isoformat()),
        }
        expression = "ADD report_count :one, reasons :reasons"
        if report.flags:
            values[":flags"] = {"SS": sorted(flag.value for flag in report.flags)}
            expression += ", flags :flags"
        if report.claimed_owner_id and report.claim_names_an_account:
            # Only claims that name a real account are kept on the shared counters, so reporters cannot grow them
            # without bound with made-up ids. Every claim stays on its own report.
            values[":owners"] = {"SS": [report.claimed_owner_id]}
            expression += ", claimed_owner_ids :owners"
        expression += " SET first_reported_at = if_not_exists(first_reported_at, :at), last_reported_at = :at"
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(_target_pk(report.target), _shard_sk(report.round_id, shard_of(report.report_id))),
                "UpdateExpression": expression,
                # A decision closes every shard of its round in the same transaction that closes the round.
                "ConditionExpression": "attribute_not_exists(closed_at)",
                "ExpressionAttributeValues": values,
            }
        }

    # -- reading reports ---------------------------------------------------------------------------------------------
    def get_report(self, report_id: str) -> Report | None:
        with translated_errors():
            response = self.client.get_item(TableName=self._table, Key=_report_key(report_id), ConsistentRead=True)
        if "Item" not in response:
            return None
        report = _report_from_item(from_item(response["Item"]))
        if report.status is ReportStatus.DECIDED:
            return report
        return self._with_decisions([report])[0]

    def reports_by(self, reporter_id: str, limit: int, cursor: str | None) -> tuple[list[Report], str | None]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_reporter",
            "KeyConditionExpression": "reporter_pk = :reporter",
            "ExpressionAttributeValues": {":reporter": to_attr(_reporter_pk(reporter_id))},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            position = key_position(
                self._cursors.unseal(f"reports:{reporter_id}", cursor), ("pk", "sk", "reporter_pk", "reporter_sk")
            )
            if position["reporter_pk"]["S"] != _reporter_pk(reporter_id):
                raise InvalidCursor("cursor belongs to another reporter")
            query["ExclusiveStartKey"] = position
        with translated_errors():
            response = self.client.query(**query)
        reports = [_report_from_item(from_item(item)) for item in response.get("Items", [])]
        return self._with_decisions(reports), self._seal_key(f"reports:{reporter_id}", response.get("LastEvaluatedKey"))

    def _with_decisions(self, reports: list[Report]) -> list[Report]:
        """Reports whose round was decided read as decided, even before their own items are updated."""
        pending = {(r.target, r.round_id) for r in reports if r.status is not ReportStatus.DECIDED}
        if not pending:
            return reports
        keys = [_key(_target_pk(target), f"DECISION#{round_id}") for target, round_id in pending]
        found = self._batch_get(keys)
        decisions = {
            (item["target_type"], item["target_id"], item["round_id"]): _decision_from_item(item)
            for item in found.values()
        }
        resolved = []
        for report in reports:
            decision = decisions.get((report.target.type, report.target.id, report.round_id))
            if report.status is not ReportStatus.DECIDED and decision is not None:
                report = _decided(report, decision)
            resolved.append(report)
        return resolved

    # -- the queue ---------------------------------------------------------------------------------------------------
    def open_round(self, target: Target) -> OpenRound | None:
        head_key = _key(_target_pk(target), "OPEN")
        head = self._batch_get([head_key]).get((head_key["pk"]["S"], "OPEN"))
        return None if head is None else _open_round_from_item(head)

    def queue_page(self, limit: int, cursor: str | None) -> tuple[list[QueueItem], str | None]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "moderation_queue",
            "KeyConditionExpression": "queue_pk = :open",
            "ExpressionAttributeValues": {":open": to_attr(_OPEN_QUEUE)},
            "ScanIndexForward": True,
            "Limit": limit,
        }
        if cursor is not None:
            position = key_position(self._cursors.unseal("queue", cursor), ("pk", "sk", "queue_pk", "queue_sk"))
            if position["queue_pk"]["S"] != _OPEN_QUEUE:
                raise InvalidCursor("cursor is not a queue position")
            query["ExclusiveStartKey"] = position
        with translated_errors():
            response = self.client.query(**query)
        heads = [from_item(item) for item in response.get("Items", [])]
        return self._queue_items(heads), self._seal_key("queue", response.get("LastEvaluatedKey"))

    def _queue_items(self, heads: list[dict[str, Any]]) -> list[QueueItem]:
        # The index is eventually consistent: re-read the heads (consistently) with their shards in one batch, and
        # drop targets decided in the meantime.
        keys = []
        for head in heads:
            keys.append(_key(head["pk"], "OPEN"))
            keys += [_key(head["pk"], _shard_sk(head["round_id"], n)) for n in range(COUNTER_SHARDS)]
        found = self._batch_get(keys)
        items = []
        for head in heads:
            current = found.get((head["pk"], "OPEN"))
            if current is None:  # decided since the index was written
                continue
            if current["round_id"] != head["round_id"]:  # reopened since: read the new round's shards
                found |= self._batch_get(
                    [_key(head["pk"], _shard_sk(current["round_id"], n)) for n in range(COUNTER_SHARDS)]
                )
            shards = [
                found[(head["pk"], _shard_sk(current["round_id"], n))]
                for n in range(COUNTER_SHARDS)
                if (head["pk"], _shard_sk(current["round_id"], n)) in found
            ]
            items.append(_queue_item(current, shards))
        return items

    # -- decisions ---------------------------------------------------------------------------------------------------
    def record_decision(self, decision: Decision, retention_until: datetime) -> int:
        """Records the decision and closes the round and its counter shards in one transaction, then counts.

        Closing never waits for a quiet moment (reports keep landing on a viral target): a report that races the
        close fails its own shard condition and opens a new round. Closed shards cannot change, so the count read
        afterwards is exact; it is written onto the decision record and returned. `VersionConflict` when the
        round is no longer open.
        """
        target_pk = _target_pk(decision.target)
        shard_keys = [_key(target_pk, _shard_sk(decision.round_id, shard)) for shard in range(COUNTER_SHARDS)]
        transaction: list[dict[str, Any]] = [
            self._put(
                {**_key(target_pk, f"DECISION#{decision.round_id}"), **_decision_item(decision)},
                "attribute_not_exists(pk)",
            ),
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _key(target_pk, "OPEN"),
                    "ConditionExpression": "round_id = :round",
                    "ExpressionAttributeValues": {":round": to_attr(decision.round_id)},
                }
            },
        ]
        for key in shard_keys:
            transaction.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": key,
                        "UpdateExpression": "SET closed_at = :now, expires_at = :expires",
                        "ConditionExpression": "attribute_not_exists(closed_at)",
                        "ExpressionAttributeValues": {
                            ":now": to_attr(decision.decided_at.isoformat()),
                            ":expires": to_attr(_epoch(retention_until)),
                        },
                    }
                }
            )
        self._transact(transaction)
        shards = self._batch_get(shard_keys)
        report_count = sum(int(item.get("report_count", 0)) for item in shards.values())
        with translated_errors():
            self.client.update_item(
                TableName=self._table,
                Key=_key(target_pk, f"DECISION#{decision.round_id}"),
                UpdateExpression="SET report_count = :count",
                ExpressionAttributeValues={":count": to_attr(report_count)},
            )
        return report_count

    def unfinished_decisions(self, target: Target) -> list[Decision]:
        """Decisions on the target whose reports were not all marked decided yet."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :target AND begins_with(sk, :prefix)",
            "FilterExpression": "attribute_not_exists(finished_at)",
            "ExpressionAttributeValues": {":target": to_attr(_target_pk(target)), ":prefix": to_attr("DECISION#")},
            "ConsistentRead": True,
        }
        decisions: list[Decision] = []
        while True:
            with translated_errors():
                response = self.client.query(**query)
            decisions += [_decision_from_item(from_item(item)) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return decisions
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def finish_decision(self, decision: Decision) -> None:
        with translated_errors():
            self.client.update_item(
                TableName=self._table,
                Key=_key(_target_pk(decision.target), f"DECISION#{decision.round_id}"),
                UpdateExpression="SET finished_at = :now",
                ExpressionAttributeValues={":now": to_attr(decision.decided_at.isoformat())},
            )

    def reports_in_round(self, target: Target, round_id: str) -> list[Report]:
        """Every report of a round, read consistently: the round's pointers in the target's partition, then the
        reports themselves in batches (an index would be eventually consistent and could miss the latest)."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :target AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":target": to_attr(_target_pk(target)),
                ":prefix": to_attr(f"ROUND#{round_id}#REPORT#"),
            },
            "ProjectionExpression": "report_id",
            "ConsistentRead": True,
        }
        report_ids: list[str] = []
        while True:
            with translated_errors():
                response = self.client.query(**query)
            report_ids += [from_item(item)["report_id"] for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        found = self._batch_get([_report_key(report_id) for report_id in report_ids])
        return [_report_from_item(item) for item in found.values()]

    def mark_decided(self, reports: Iterable[Report], decision: Decision, expires_at: datetime) -> None:
        """Writes each report (and its round pointer) as decided, with its retention TTL (25 per batch)."""
        expires = to_attr(_epoch(expires_at))
        items = []
        for report in reports:
            items.append({**_report_item(_decided(report, decision)), "expires_at": expires})
            pointer_sk = f"ROUND#{report.round_id}#REPORT#{report.report_id}"
            items.append(
                {
                    **_key(_target_pk(report.target), pointer_sk),
                    "report_id": to_attr(report.report_id),
                    "expires_at": expires,
                }
            )
        for start in range(0, len(items), 25):
            self._batch_write([{"PutRequest": {"Item": item}} for item in items[start : start + 25]])

    def record_unfounded(self, reporter_ids: Iterable[str], decision: Decision, expires_at: datetime) -> None:
        """One item per reporter and decision (a repeated close-out counts nothing twice), expiring with the window."""
        items = [
            {
                **_key(
                    _reporter_pk(reporter_id), f"UNFOUNDED#{decision.decided_at.isoformat()}#{decision.decision_id}"
                ),
                **to_item({"decision_id": decision.decision_id, "expires_at": _epoch(expires_at)}),
            }
            for reporter_id in sorted(set(reporter_ids))
        ]
        for start in range(0, len(items), 25):
            self._batch_write([{"PutRequest": {"Item": item}} for item in items[start : start + 25]])

    # -- mutes -------------------------------------------------------------------------------------------------------
    def set_mute(self, reporter_id: str, mute: Mute, expires_at: datetime) -> None:
        item = {
            **_key(_reporter_pk(reporter_id), "MUTE"),
            **to_item(
                {
                    "muted_until": mute.muted_until.isoformat(),
                    "reason": mute.reason,
                    "moderator_id": mute.moderator_id,
                    "muted_at": mute.muted_at.isoformat(),
                    "expires_at": _epoch(expires_at),
                }
            ),
        }
        with translated_errors():
            self.client.put_item(TableName=self._table, Item=item)

    # -- plumbing ----------------------------------------------------------------------------------------------------
    def _put(
        self,
        item: dict[str, Any],
        condition: str,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if names:
            put["ExpressionAttributeNames"] = names
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _transact(self, transaction: list[dict[str, Any]]) -> None:
        transact_write(self.client, transaction)

    def _seal_key(self, scope: str, key: dict[str, Any] | None) -> str | None:
        return self._cursors.seal(scope, key) if key else None

    def _batch_get(self, keys: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        unique = list({(key["pk"]["S"], key["sk"]["S"]): key for key in keys}.values())
        return {(item["pk"], item["sk"]): item for item in batch_get(self.client, self._table, unique)}

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: requests}
        for _ in range(5):
            with translated_errors():
                response = self.client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
        raise Unavailable("storage is busy; try again shortly")


# -- item layout ---------------------------------------------------------------------------------------------------
def _queue_sk(priority: Priority, first_reported_at: datetime, target: Target) -> str:
    return f"{int(priority)}#{first_reported_at.isoformat()}#{target.key}"


def _report_item(report: Report) -> dict[str, Any]:
    received = report.received_at.isoformat()
    values: dict[str, Any] = {
        "pk": f"REPORT#{report.report_id}",
        "sk": "REPORT",
        "report_id": report.report_id,
        "reporter_id": report.reporter_id,
        "target_type": report.target.type,
        "target_id": report.target.id,
        "claimed_owner_id": report.claimed_owner_id,
        "reason": report.reason,
        "details": report.details,
        "evidence_ids": list(report.evidence_ids),
        "received_at": received,
        "priority": int(report.priority),
        "flags": sorted(flag.value for flag in report.flags),
        "round_id": report.round_id,
        "status": report.status.value,
        "reporter_pk": _reporter_pk(report.reporter_id),
        "reporter_sk": f"{received}#{report.report_id}",
    }
    if report.decision is not None:
        values["decision"] = _decision_values(report.decision)
    return to_item(values)


def _report_from_item(item: dict[str, Any]) -> Report:
    decision = item.get("decision")
    return Report(
        report_id=item["report_id"],
        reporter_id=item["reporter_id"],
        target=Target(item["target_type"], item["target_id"]),
        claimed_owner_id=item.get("claimed_owner_id"),
        reason=item["reason"],
        details=item.get("details"),
        evidence_ids=tuple(item.get("evidence_ids", [])),
        received_at=datetime.fromisoformat(item["received_at"]),
        priority=Priority(int(item["priority"])),
        flags=frozenset(QueueFlag(flag) for flag in item.get("flags", [])),
        round_id=item["round_id"],
        status=ReportStatus(item["status"]),
        decision=_decision_from_item(decision) if decision else None,
    )


def _decided(report: Report, decision: Decision) -> Report:
    from dataclasses import replace

    return replace(report, status=ReportStatus.DECIDED, decision=decision)


def _decision_values(decision: Decision) -> dict[str, Any]:
    return {
        "decision_id": decision.decision_id,
        "target_type": decision.target.type,
        "target_id": decision.target.id,
        "round_id": decision.round_id,
        "outcome": decision.outcome,
        "action": decision.action,
        "statement": {
            "facts": decision.statement.facts,
            "ground": decision.statement.ground,
            "automated": decision.statement.automated,
            "redress": decision.statement.redress,
        },
        "moderator_id": decision.moderator_id,
        "decided_at": decision.decided_at.isoformat(),
        "report_count": decision.report_count,
    }


def _decision_item(decision: Decision) -> dict[str, Any]:
    return to_item(_decision_values(decision))


def _decision_from_item(item: dict[str, Any]) -> Decision:
    statement = item["statement"]
    return Decision(
        decision_id=item["decision_id"],
        target=Target(item["target_type"], item["target_id"]),
        round_id=item["round_id"],
        outcome=item["outcome"],
        action=item.get("action"),
        statement=StatementOfReasons(
            facts=statement["facts"],
            ground=statement["ground"],
            automated=bool(statement["automated"]),
            redress=statement["redress"],
        ),
        moderator_id=item["moderator_id"],
        decided_at=datetime.fromisoformat(item["decided_at"]),
        report_count=int(item.get("report_count", 0)),
    )


def _open_round_from_item(item: dict[str, Any]) -> OpenRound:
    return OpenRound(
        round_id=item["round_id"],
        priority=Priority(int(item["priority"])),
        first_reported_at=datetime.fromisoformat(item["first_reported_at"]),
    )


def _mute_from_item(item: dict[str, Any]) -> Mute:
    return Mute(
        muted_until=datetime.fromisoformat(item["muted_until"]),
        reason=item["reason"],
        moderator_id=item["moderator_id"],
        muted_at=datetime.fromisoformat(item["muted_at"]),
    )


def _queue_item(head: dict[str, Any], shards: list[dict[str, Any]]) -> QueueItem:
    def union(name: str) -> frozenset[str]:
        return frozenset(value for shard in shards for value in shard.get(name, ()))

    first = [datetime.fromisoformat(s["first_reported_at"]) for s in shards if "first_reported_at" in s]
    last = [datetime.fromisoformat(s["last_reported_at"]) for s in shards if "last_reported_at" in s]
    opened = datetime.fromisoformat(head["first_reported_at"])
    return QueueItem(
        target=Target(head["target_type"], head["target_id"]),
        round_id=head["round_id"],
        priority=Priority(int(head["priority"])),
        report_count=sum(int(shard.get("report_count", 0)) for shard in shards),
        reasons=union("reasons"),
        first_reported_at=min(first, default=opened),
        last_reported_at=max(last, default=opened),
        flags=frozenset(QueueFlag(flag) for flag in union("flags")),
        claimed_owner_ids=union("claimed_owner_ids"),
    )

"""Reports, cases, the moderation queue, decisions and reporters' own state in one DynamoDB table.

Layout (private to this module):
- `REPORT#<id> / REPORT`: a report, as filed. Its stream record is what the aggregator reads.
- `REPORTER#<id> / FILED#<received>#<report> | KEY#<key> | RATE | MUTE | UNFOUNDED | DEDUPE#<target>#<reason>`: the
  reporter's own items, the only ones filing writes: their list of reports (read consistently, a report just filed is
  listed), the Idempotency-Key's answer, the rolling rate window, a mute, unfounded outcomes (`u_<decision>`: when)
  and 24-hour duplicate guards.
- `TARGET#<type>#<id> / OPEN`: the id of the target's latest case (decided or not).
- `TARGET#<type>#<id> / SEEN#<minute>#<shard>`: which case holds each report received in that minute whose id falls
  in that shard (`c_<case>`: a set of report ids; see `membership_bucket`) and which of those cases are still open
  (`open_cases`). This is both the membership a close-out reads (a query over the minutes from the case's first
  report to its last) and what makes aggregation idempotent: a stream record whose report is already held changes
  nothing.
- `CASE#<id> / CASE`: the case (the queue item), with `queue_pk = Q#<priority>` / `queue_sk = <first>#<case>` while
  open, so the `moderation_queue` index has one partition per priority; `EVENT#<at>#<revision>#<kind>`: its log.
- `DECISION#<id> / DECISION`: a decision, with `affected_pk/affected_sk` (the `decisions_by_account` index) and, when
  it restricts something, its transparency statement under `stmt_pk = STMT#<day>` (the `statements` index).

Undecided reports, cases and their membership never expire; a close-out gives them the policy's retention TTL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Unavailable
from chalicelib.domain.reports import (
    Appeal,
    AppealStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    Decision,
    Priority,
    QueueFlag,
    RateWindow,
    Report,
    ReportStatus,
    Source,
    StatementOfReasons,
    Target,
    membership_bucket,
)
from chalicelib.services.ports import AppealGuard, Filing, InvalidCursor, KeyUse, Mute, SubmissionState, TargetState
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

_RATE_WINDOW = timedelta(hours=1)
_OPEN_APPEALS = "APPEALS"
_EVENT_ORDER = {kind: n for n, kind in enumerate(CaseEventKind)}
_QUEUE_PARTITIONS = tuple(f"Q#{int(priority)}" for priority in sorted(Priority))


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _report_key(report_id: str) -> dict[str, Any]:
    return _key(f"REPORT#{report_id}", "REPORT")


def _reporter_pk(reporter_id: str) -> str:
    return f"REPORTER#{reporter_id}"


def _target_pk(target: Target) -> str:
    return f"TARGET#{target.key}"


def _case_key(case_id: str) -> dict[str, Any]:
    return _key(f"CASE#{case_id}", "CASE")


def _decision_key(decision_id: str) -> dict[str, Any]:
    return _key(f"DECISION#{decision_id}", "DECISION")


def _seen_key(target: Target, bucket: str) -> dict[str, Any]:
    return _key(_target_pk(target), f"SEEN#{bucket}")


def _filed_sk(report: Report) -> str:
    return f"FILED#{report.received_at.isoformat()}#{report.report_id}"


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _iso(at: datetime) -> str:
    return at.isoformat()


class ReportsStore(TableAdapter):
    """The DynamoDB adapter of `chalicelib.services.ports.ReportsStore`."""

    def __init__(self, table_name: str, client: ClientProvider, cursors: CursorSealer) -> None:
        super().__init__(table_name, client)
        self._cursors = cursors

    # -- filing ------------------------------------------------------------------------------------------------------
    def submission_state(
        self, report_id: str, reporter_id: str, key: str, target: Target, reason: str
    ) -> SubmissionState:
        reporter = _reporter_pk(reporter_id)
        keys = {
            "own": _report_key(report_id),
            "key": _key(reporter, f"KEY#{key}"),
            "rate": _key(reporter, "RATE"),
            "mute": _key(reporter, "MUTE"),
            "unfounded": _key(reporter, "UNFOUNDED"),
            "dedupe": _key(reporter, _dedupe_sk(target, reason)),
        }
        found = self._batch_get(list(keys.values()))
        item = {name: found.get((k["pk"]["S"], k["sk"]["S"])) for name, k in keys.items()}
        rate, dedupe, key_use = item["rate"] or {}, item["dedupe"], item["key"]
        return SubmissionState(
            rate=RateWindow(tuple(datetime.fromisoformat(at) for at in rate.get("accepted_at", []))),
            rate_revision=int(rate.get("revision", 0)),
            mute=_mute_from_item(item["mute"]) if item["mute"] else None,
            unfounded={
                name[2:]: datetime.fromisoformat(at)
                for name, at in (item["unfounded"] or {}).items()
                if name[:2] == "u_"
            },
            key_use=_key_use_from_item(key_use) if key_use else None,
            own_report=_report_from_item(item["own"]) if item["own"] else None,
            duplicate_of=dedupe["report_id"] if dedupe else None,
            duplicate_until=datetime.fromisoformat(dedupe["until"]) if dedupe else None,
        )

    def record_filing(self, filing: Filing) -> None:
        report, state, now = filing.report, filing.state, filing.report.received_at
        reporter = _reporter_pk(report.reporter_id)
        self._transact(
            [
                self._put(_report_item(report), "attribute_not_exists(pk)"),
                self._put({**_key(reporter, _filed_sk(report)), **to_item({"report_id": report.report_id})}),
                self._put(
                    _key_use_item(report.reporter_id, filing.key, filing.key_use, filing.key_expires_at),
                    "attribute_not_exists(pk)",
                ),
                self._put(
                    {
                        **_key(reporter, _dedupe_sk(report.target, report.reason)),
                        **to_item(
                            {
                                "report_id": report.report_id,
                                "until": _iso(filing.duplicate_until),
                                "expires_at": _epoch(filing.duplicate_until) + 3600,
                            }
                        ),
                    },
                    # a guard may be replaced once it lapsed, or when its report was decided (the service checked)
                    "attribute_not_exists(pk) OR #until <= :now OR report_id = :previous",
                    names={"#until": "until"},
                    values={":now": to_attr(_iso(now)), ":previous": to_attr(state.duplicate_of or "")},
                ),
                self._put(
                    {
                        **_key(reporter, "RATE"),
                        **to_item(
                            {
                                "accepted_at": [_iso(at) for at in filing.rate.accepted_at],
                                "revision": state.rate_revision + 1,
                                # the window only ever looks back one hour: then the item stops mattering
                                "expires_at": _epoch(max(filing.rate.accepted_at, default=now) + _RATE_WINDOW) + 3600,
                            }
                        ),
                    },
                    "attribute_not_exists(pk) OR revision = :revision",
                    values={":revision": to_attr(state.rate_revision)},
                ),
            ]
        )

    def record_key_use(self, reporter_id: str, key: str, use: KeyUse, expires_at: datetime) -> None:
        self._transact([self._put(_key_use_item(reporter_id, key, use, expires_at), "attribute_not_exists(pk)")])

    def set_mute(self, reporter_id: str, mute: Mute, expires_at: datetime) -> None:
        item = {
            **_key(_reporter_pk(reporter_id), "MUTE"),
            **to_item(
                {
                    "muted_until": _iso(mute.muted_until),
                    "reason": mute.reason,
                    "moderator_id": mute.moderator_id,
                    "muted_at": _iso(mute.muted_at),
                    "expires_at": _epoch(expires_at),
                }
            ),
        }
        with translated_errors():
            self.client.put_item(TableName=self._table, Item=item)

    # -- reading reports ---------------------------------------------------------------------------------------------
    def get_report(self, report_id: str) -> Report | None:
        found = self._batch_get([_report_key(report_id)])
        if not found:
            return None
        return self._resolved([_report_from_item(item) for item in found.values()])[0]

    def reports_by(self, reporter_id: str, limit: int, cursor: str | None) -> tuple[list[Report], str | None]:
        reporter = _reporter_pk(reporter_id)
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :reporter AND begins_with(sk, :filed)",
            "ExpressionAttributeValues": {":reporter": to_attr(reporter), ":filed": to_attr("FILED#")},
            "ScanIndexForward": False,
            "Limit": limit,
            "ConsistentRead": True,
        }
        scope = f"reports:{reporter_id}"
        if cursor is not None:
            position = key_position(self._cursors.unseal(scope, cursor), ("pk", "sk"))
            if position["pk"]["S"] != reporter or not position["sk"]["S"].startswith("FILED#"):
                raise InvalidCursor("cursor belongs to another list")
            query["ExclusiveStartKey"] = position
        with translated_errors():
            response = self.client.query(**query)
        ids = [from_item(item)["report_id"] for item in response.get("Items", [])]
        found = self._batch_get([_report_key(report_id) for report_id in ids])
        by_id = {item["report_id"]: _report_from_item(item) for item in found.values()}
        reports = self._resolved([by_id[report_id] for report_id in ids if report_id in by_id])
        return reports, self._seal(scope, response.get("LastEvaluatedKey"))

    def _resolved(self, reports: list[Report]) -> list[Report]:
        """Each report as its case says: in review while the case is open, decided by the case's latest decision
        (even before the close-out has written it onto the report, and after a reversal)."""
        case_ids = {r.report_id: r.case_id for r in reports if r.case_id} | self._cases_holding(
            [r for r in reports if not r.case_id]
        )
        cases = {case.case_id: case for case in self._cases(set(case_ids.values()))}
        stale = {
            case.decision_id
            for r in reports
            if (case := cases.get(case_ids.get(r.report_id, ""))) is not None and case.decision_id
            if r.decision is None or r.decision.decision_id != case.decision_id
        }
        decisions = {d.decision_id: d for d in self._decisions(stale)}
        resolved = []
        for report in reports:
            case = cases.get(case_ids.get(report.report_id, ""))
            if case is None:
                resolved.append(report)
                continue
            decision = report.decision if report.decision and report.decision.decision_id == case.decision_id else None
            resolved.append(report.in_case(case, decision or decisions.get(case.decision_id or "")))
        return resolved

    def _cases_holding(self, reports: list[Report]) -> dict[str, str]:
        """report id -> the id of the case that holds it, for reports some case holds."""
        if not reports:
            return {}
        buckets = self._batch_get([_seen_key(r.target, membership_bucket(r)) for r in reports])
        holding = {}
        for report in reports:
            bucket = buckets.get((_target_pk(report.target), f"SEEN#{membership_bucket(report)}"), {})
            for name, members in bucket.items():
                if name.startswith("c_") and report.report_id in members:
                    holding[report.report_id] = name[2:]
        return holding

    # -- aggregation -------------------------------------------------------------------------------------------------
    def target_state(self, target: Target, reports: list[Report]) -> TargetState:
        pointer_key = _key(_target_pk(target), "OPEN")
        found = self._batch_get([pointer_key, *(_seen_key(target, membership_bucket(r)) for r in reports)])
        ids = {report.report_id for report in reports}
        held = {
            report_id
            for (_, sk), bucket in found.items()
            if sk.startswith("SEEN#")
            for name, members in bucket.items()
            if name.startswith("c_")
            for report_id in members
            if report_id in ids
        }
        pointer = found.get((pointer_key["pk"]["S"], "OPEN"))
        latest = self._cases({pointer["case_id"]}) if pointer else []
        return TargetState(
            latest_case=latest[0] if latest else None,
            latest_case_id=pointer["case_id"] if pointer else None,
            held=frozenset(held),
        )

    def save_case(
        self,
        case: Case,
        previous_revision: int | None,
        added: list[Report],
        event: CaseEvent,
        replaces: str | None = None,
    ) -> None:
        buckets = sorted({membership_bucket(report) for report in added})
        if previous_revision is None:
            writes = [
                self._put(_case_item(case), "attribute_not_exists(pk)"),
                self._put(
                    {**_key(_target_pk(case.target), "OPEN"), **to_item({"case_id": case.case_id})},
                    "attribute_not_exists(pk) OR case_id = :replaces",
                    values={":replaces": to_attr(replaces or "")},
                ),
            ]
        else:
            fields = {k: v for k, v in _case_item(case).items() if k not in {"pk", "sk"}}
            names = {f"#f{n}": name for n, name in enumerate(fields)}
            values = {f":f{n}": value for n, value in enumerate(fields.values())}
            assignments = ", ".join(f"#f{n} = :f{n}" for n in range(len(fields)))
            writes = [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _case_key(case.case_id),
                        "UpdateExpression": f"SET {assignments}",
                        "ConditionExpression": "revision = :previous AND attribute_not_exists(decision_id)",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": {
                            **values,
                            ":previous": to_attr(previous_revision),
                        },
                    }
                }
            ]
        for bucket in buckets:
            members = sorted(r.report_id for r in added if membership_bucket(r) == bucket)
            writes.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _seen_key(case.target, bucket),
                        "UpdateExpression": "ADD #members :members, open_cases :case REMOVE expires_at",
                        "ExpressionAttributeNames": {"#members": f"c_{case.case_id}"},
                        "ExpressionAttributeValues": {":members": {"SS": members}, ":case": {"SS": [case.case_id]}},
                    }
                }
            )
        writes.append(self._put(_event_item(event)))
        self._transact(writes)

    def _membership_of(self, case: Case) -> list[tuple[dict[str, Any], set[str]]]:
        """The case's membership records (key, report ids), found by a query over the minutes from its first report
        to its last: no list of them on the case item, which could outgrow an item on a case that stays open long."""
        first, last = (f"SEEN#{at:%Y-%m-%dT%H:%M}" for at in (case.first_reported_at, case.last_reported_at))
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ProjectionExpression": "pk, sk, #members",
            "ExpressionAttributeNames": {"#members": f"c_{case.case_id}"},
            "ExpressionAttributeValues": {
                ":pk": to_attr(_target_pk(case.target)),
                ":first": to_attr(first),
                ":last": to_attr(last + "#~"),
            },
            "ConsistentRead": True,
        }
        found: list[tuple[dict[str, Any], set[str]]] = []
        while True:
            with translated_errors():
                response = self.client.query(**query)
            for item in response.get("Items", []):
                members = item.get(f"c_{case.case_id}", {}).get("SS")
                if members:
                    found.append((_key(item["pk"]["S"], item["sk"]["S"]), set(members)))
            if "LastEvaluatedKey" not in response:
                return found
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- the queue and cases -----------------------------------------------------------------------------------------
    def queue_page(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Reads the priority partitions in order (urgent first); the index holds keys only, and the cases are then
        read consistently, so a case decided since the index was written is left out."""
        partition, start = self._queue_position(cursor)
        keys: list[dict[str, Any]] = []
        while partition < len(_QUEUE_PARTITIONS) and len(keys) < limit:
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "moderation_queue",
                "KeyConditionExpression": "queue_pk = :partition",
                "ExpressionAttributeValues": {":partition": to_attr(_QUEUE_PARTITIONS[partition])},
                "Limit": limit - len(keys),
            }
            if start is not None:
                query["ExclusiveStartKey"] = start
            with translated_errors():
                response = self.client.query(**query)
            keys += [_key(item["pk"]["S"], item["sk"]["S"]) for item in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if start is None:
                partition += 1
        next_position = {"p": partition, "k": start} if partition < len(_QUEUE_PARTITIONS) else None
        found = self._batch_get(keys)
        cases = [_case_from_item(found[(k["pk"]["S"], "CASE")]) for k in keys if (k["pk"]["S"], "CASE") in found]
        open_cases = [case for case in cases if case.is_open]
        return open_cases, self._seal("queue", next_position)

    def _queue_position(self, cursor: str | None) -> tuple[int, dict[str, Any] | None]:
        if cursor is None:
            return 0, None
        position = self._cursors.unseal("queue", cursor)
        partition = position.get("p") if isinstance(position, dict) else None
        if type(partition) is not int or partition not in range(len(_QUEUE_PARTITIONS)):  # not True, not 2.0
            raise InvalidCursor("not a queue position")
        if position.get("k") is None:
            return int(position["p"]), None
        start = key_position(position["k"], ("pk", "sk", "queue_pk", "queue_sk"))
        if start["queue_pk"]["S"] != _QUEUE_PARTITIONS[position["p"]]:
            raise InvalidCursor("not a queue position")
        return int(position["p"]), start

    def get_case(self, case_id: str) -> Case | None:
        cases = self._cases({case_id})
        return cases[0] if cases else None

    def _cases(self, case_ids: set[str]) -> list[Case]:
        found = self._batch_get([_case_key(case_id) for case_id in case_ids if case_id])
        return [_case_from_item(item) for item in found.values()]

    def case_events(self, case_id: str) -> list[CaseEvent]:
        items = self._query_all(f"CASE#{case_id}", "EVENT#")
        return [_event_from_item(item) for item in items]

    # -- decisions ---------------------------------------------------------------------------------------------------
    def record_decision(
        self, decision: Decision, revision: int, statement: dict[str, Any] | None, event: CaseEvent
    ) -> None:
        case_update = {
            "Update": {
                "TableName": self._table,
                "Key": _case_key(decision.case_id),
                "UpdateExpression": "SET decision_id = :decision, decided_at = :at REMOVE queue_pk, queue_sk",
                "ConditionExpression": "revision = :revision AND attribute_not_exists(decision_id)",
                "ExpressionAttributeValues": {
                    ":decision": to_attr(decision.decision_id),
                    ":at": to_attr(_iso(decision.decided_at)),
                    ":revision": to_attr(revision),
                },
            }
        }
        decision_record = self._put(_decision_item(decision, statement), "attribute_not_exists(pk)")
        self._transact([case_update, decision_record, self._put(_event_item(event))])

    def get_decision(self, decision_id: str) -> Decision | None:
        found = self._decisions({decision_id})
        return found[0] if found else None

    def _decisions(self, decision_ids: set[str]) -> list[Decision]:
        found = self._batch_get([_decision_key(d) for d in decision_ids if d])
        return [_decision_from_item(item) for item in found.values()]

    def decisions_for(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Decision], str | None]:
        pk = f"ACCOUNT#{account_id}"
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "decisions_by_account",
            "KeyConditionExpression": "affected_pk = :account",
            "ExpressionAttributeValues": {":account": to_attr(pk)},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        scope = f"decisions:{account_id}"
        if cursor is not None:
            position = key_position(self._cursors.unseal(scope, cursor), ("pk", "sk", "affected_pk", "affected_sk"))
            if position["affected_pk"]["S"] != pk:
                raise InvalidCursor("cursor belongs to another list")
            query["ExclusiveStartKey"] = position
        with translated_errors():
            response = self.client.query(**query)
        ids = [item["pk"]["S"].removeprefix("DECISION#") for item in response.get("Items", [])]
        by_id = {d.decision_id: d for d in self._decisions(set(ids))}
        return [by_id[d] for d in ids if d in by_id], self._seal(scope, response.get("LastEvaluatedKey"))

    def statements(
        self, since: datetime, until: datetime, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Day partitions from `since` to `until`, oldest first; the cursor holds the day and the position in it."""
        day, start = since.date(), None
        if cursor is not None:
            position = self._cursors.unseal(f"statements:{_iso(since)}:{_iso(until)}", cursor)
            if not isinstance(position, dict) or not isinstance(position.get("d"), str):
                raise InvalidCursor("not a statements position")
            try:
                day = datetime.fromisoformat(position["d"]).date()
            except ValueError:
                raise InvalidCursor("not a statements position") from None
            if not since.date() <= day <= (until - timedelta(microseconds=1)).date():
                raise InvalidCursor("not a position in this range")
            start = key_position(position["k"], ("pk", "sk", "stmt_pk", "stmt_sk")) if position.get("k") else None
            if start is not None and start["stmt_pk"]["S"] != f"STMT#{day.isoformat()}":
                raise InvalidCursor("not a position in this range")
        records: list[dict[str, Any]] = []
        next_position: dict[str, Any] | None = None
        last_day = (until - timedelta(microseconds=1)).date()
        while day <= last_day and len(records) < limit:
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "statements",
                "KeyConditionExpression": "stmt_pk = :day AND stmt_sk BETWEEN :since AND :until",
                "ExpressionAttributeValues": {
                    ":day": to_attr(f"STMT#{day.isoformat()}"),
                    ":since": to_attr(_iso(since)),
                    ":until": to_attr(_iso(until - timedelta(microseconds=1)) + "~"),
                },
                "Limit": limit - len(records),
            }
            if start is not None:
                query["ExclusiveStartKey"] = start
            with translated_errors():
                response = self.client.query(**query)
            records += [json.loads(from_item(item)["statement_record"]) for item in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if start is None:
                day += timedelta(days=1)
            next_position = {"d": day.isoformat(), "k": start} if day <= last_day else None
        scope = f"statements:{_iso(since)}:{_iso(until)}"
        return records, (self._cursors.seal(scope, next_position) if next_position else None)

    # -- appeals -----------------------------------------------------------------------------------------------------
    def appeal_guard(self, decision_id: str, appellant_id: str) -> AppealGuard | None:
        found = self._batch_get([_key(f"DECISION#{decision_id}", f"APPELLANT#{appellant_id}")])
        item = next(iter(found.values()), None)
        return None if item is None else AppealGuard(item["appeal_id"], item["key"], item["fingerprint"])

    def reporter_in_case(self, case: Case, reporter_id: str) -> bool:
        return any(report.reporter_id == reporter_id for report in self.case_reports(case))

    def record_appeal(self, appeal: Appeal, guard: AppealGuard, event: CaseEvent) -> None:
        guard_item = {
            **_key(f"DECISION#{appeal.decision_id}", f"APPELLANT#{appeal.appellant_id}"),
            **to_item({"appeal_id": guard.appeal_id, "key": guard.key, "fingerprint": guard.fingerprint}),
        }
        self._transact(
            [
                self._put(_appeal_item(appeal), "attribute_not_exists(pk)"),
                self._put(guard_item, "attribute_not_exists(pk)"),
                self._put(_event_item(event)),
            ]
        )

    def get_appeal(self, appeal_id: str) -> Appeal | None:
        found = self._batch_get([_appeal_key(appeal_id)])
        return _appeal_from_item(next(iter(found.values()))) if found else None

    def appeals_queue(self, limit: int, cursor: str | None) -> tuple[list[Appeal], str | None]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "appeals_queue",
            "KeyConditionExpression": "appeal_q_pk = :open",
            "ExpressionAttributeValues": {":open": to_attr(_OPEN_APPEALS)},
            "Limit": limit,
        }
        if cursor is not None:
            position = key_position(self._cursors.unseal("appeals", cursor), ("pk", "sk", "appeal_q_pk", "appeal_q_sk"))
            if position["appeal_q_pk"]["S"] != _OPEN_APPEALS:
                raise InvalidCursor("not an appeals position")
            query["ExclusiveStartKey"] = position
        with translated_errors():
            response = self.client.query(**query)
        keys = [_key(item["pk"]["S"], item["sk"]["S"]) for item in response.get("Items", [])]
        found = self._batch_get(keys)
        appeals = [
            _appeal_from_item(found[(k["pk"]["S"], k["sk"]["S"])])
            for k in keys
            if (k["pk"]["S"], k["sk"]["S"]) in found
        ]
        return [a for a in appeals if a.status is AppealStatus.OPEN], self._seal(
            "appeals", response.get("LastEvaluatedKey")
        )

    def record_appeal_decision(
        self, appeal: Appeal, reversal: Decision | None, statement: dict[str, Any] | None, event: CaseEvent
    ) -> None:
        assert appeal.decided_at is not None
        writes: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _appeal_key(appeal.appeal_id),
                    "UpdateExpression": "SET #status = :status, decided_at = :at, new_decision_id = :new "
                    "REMOVE appeal_q_pk, appeal_q_sk",
                    "ConditionExpression": "#status = :open",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":status": to_attr(appeal.status.value),
                        ":at": to_attr(_iso(appeal.decided_at)),
                        ":new": to_attr(appeal.new_decision_id),
                        ":open": to_attr(AppealStatus.OPEN.value),
                    },
                }
            },
            self._put(_event_item(event)),
        ]
        if reversal is None:  # upheld: the decision must still be the case's current one
            writes.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": _decision_key(appeal.decision_id),
                        "ConditionExpression": "attribute_not_exists(superseded_by)",
                    }
                }
            )
        else:
            writes += self._reversal_writes(reversal, statement)
        self._transact(writes)

    def _reversal_writes(self, decision: Decision, statement: dict[str, Any] | None) -> list[dict[str, Any]]:
        assert decision.supersedes is not None
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _case_key(decision.case_id),
                    "UpdateExpression": "SET decision_id = :new, decided_at = :at",
                    "ConditionExpression": "decision_id = :old",
                    "ExpressionAttributeValues": {
                        ":new": to_attr(decision.decision_id),
                        ":old": to_attr(decision.supersedes),
                        ":at": to_attr(_iso(decision.decided_at)),
                    },
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _decision_key(decision.supersedes),
                    "UpdateExpression": "SET superseded_by = :new",
                    "ConditionExpression": "attribute_not_exists(superseded_by)",
                    "ExpressionAttributeValues": {":new": to_attr(decision.decision_id)},
                }
            },
            self._put(_decision_item(decision, statement), "attribute_not_exists(pk)"),
        ]

    # -- close-out ---------------------------------------------------------------------------------------------------
    def case_reports(self, case: Case) -> list[Report]:
        ids = sorted({report_id for _, members in self._membership_of(case) for report_id in members})
        found = self._batch_get([_report_key(report_id) for report_id in ids])
        return [_report_from_item(item) for item in found.values()]

    def mark_decided(self, reports: Iterable[Report], decision: Decision, expires_at: datetime) -> None:
        """Writes each report (and its list entry) as decided, with its retention TTL. Unconditional and so safe to
        repeat: reads resolve through the case, so even an older decision written last is read as the newest."""
        expires = to_attr(_epoch(expires_at))
        items = []
        for report in reports:
            decided = replace(report, status=ReportStatus.DECIDED, case_id=decision.case_id, decision=decision)
            items.append({**_report_item(decided), "expires_at": expires})
            items.append(
                {
                    **_key(_reporter_pk(report.reporter_id), _filed_sk(report)),
                    **to_item({"report_id": report.report_id}),
                }
                | {"expires_at": expires}
            )
        self._batch_write([{"PutRequest": {"Item": item}} for item in items])

    def record_unfounded(self, reporter_ids: Iterable[str], decision: Decision, window_days: int) -> None:
        reporters = sorted(set(reporter_ids))
        window = timedelta(days=window_days)
        found = self._batch_get([_key(_reporter_pk(r), "UNFOUNDED") for r in reporters])
        for reporter_id in reporters:
            held = found.get((_reporter_pk(reporter_id), "UNFOUNDED"), {})
            lapsed = [
                name
                for name, at in held.items()
                if name.startswith("u_") and datetime.fromisoformat(at) <= decision.decided_at - window
            ]
            names = {"#new": f"u_{decision.decision_id}"} | {f"#old{n}": name for n, name in enumerate(lapsed)}
            expression = "SET #new = :at, expires_at = :expires"
            if lapsed:
                expression += " REMOVE " + ", ".join(f"#old{n}" for n in range(len(lapsed)))
            # The item outlives its newest entry, whichever decision's close-out runs last.
            expires = max(int(held.get("expires_at", 0)), _epoch(decision.decided_at + window) + 86400)
            self._update(
                _key(_reporter_pk(reporter_id), "UNFOUNDED"),
                expression,
                names,
                {":at": to_attr(_iso(decision.decided_at)), ":expires": to_attr(expires)},
            )

    def withdraw_unfounded(self, reporter_ids: Iterable[str], decision_id: str) -> None:
        for reporter_id in sorted(set(reporter_ids)):
            self._update(
                _key(_reporter_pk(reporter_id), "UNFOUNDED"), "REMOVE #old", {"#old": f"u_{decision_id}"}, None
            )

    def finish_decision(self, decision: Decision, case: Case, retention_until: datetime) -> None:
        """The close-out's last step: the case, its log and its membership now expire with the retention (a minute
        bucket only once no case in it is open), and the decision is marked finished."""
        expires = _epoch(retention_until)
        for key, _ in self._membership_of(case):
            with translated_errors():
                bucket = self.client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="DELETE open_cases :case",
                    ExpressionAttributeValues={":case": {"SS": [case.case_id]}},
                    ReturnValues="ALL_NEW",
                )["Attributes"]
            if "open_cases" not in bucket:
                self._update(key, "SET expires_at = :expires", None, {":expires": to_attr(expires)})
        events = self._query_all(f"CASE#{case.case_id}", "EVENT#")
        self._batch_write([{"PutRequest": {"Item": to_item({**item, "expires_at": expires})}} for item in events])
        self._update(_case_key(case.case_id), "SET expires_at = :expires", None, {":expires": to_attr(expires)})
        self._update(
            _decision_key(decision.decision_id),
            "SET finished_at = :at, expires_at = :expires",
            None,
            {":at": to_attr(_iso(decision.decided_at)), ":expires": to_attr(expires)},
        )

    # -- plumbing ----------------------------------------------------------------------------------------------------
    def _put(
        self,
        item: dict[str, Any],
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
        if names:
            put["ExpressionAttributeNames"] = names
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _update(
        self, key: dict[str, Any], expression: str, names: dict[str, str] | None, values: dict[str, Any] | None
    ) -> None:
        request: dict[str, Any] = {"TableName": self._table, "Key": key, "UpdateExpression": expression}
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = values
        with translated_errors():
            self.client.update_item(**request)

    def _transact(self, transaction: list[dict[str, Any]]) -> None:
        transact_write(self.client, transaction)

    def _query_all(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": to_attr(pk), ":prefix": to_attr(prefix)},
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            with translated_errors():
                response = self.client.query(**query)
            items += [from_item(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _seal(self, scope: str, position: dict[str, Any] | None) -> str | None:
        return self._cursors.seal(scope, position) if position else None

    def _batch_get(
        self, keys: list[dict[str, Any]], projection: str | None = None
    ) -> dict[tuple[str, str], dict[str, Any]]:
        unique = list({(key["pk"]["S"], key["sk"]["S"]): key for key in keys}.values())
        if not unique:
            return {}
        return {(item["pk"], item["sk"]): item for item in batch_get(self.client, self._table, unique, projection)}

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            for _ in range(5):
                with translated_errors():
                    response = self.client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
            if pending:
                raise Unavailable("storage is busy; try again shortly")


# -- item layout ---------------------------------------------------------------------------------------------------
def _dedupe_sk(target: Target, reason: str) -> str:
    return f"DEDUPE#{target.key}#{reason}"


def _key_use_item(reporter_id: str, key: str, use: KeyUse, expires_at: datetime) -> dict[str, Any]:
    return {
        **_key(_reporter_pk(reporter_id), f"KEY#{key}"),
        **to_item(
            {
                "fingerprint": use.fingerprint,
                "status_code": use.status_code,
                "report_id": use.report_id,
                "received_at": _iso(use.received_at),
                "status": use.status,
                "expires_at": _epoch(expires_at),
            }
        ),
    }


def _key_use_from_item(item: dict[str, Any]) -> KeyUse:
    return KeyUse(
        fingerprint=item["fingerprint"],
        status_code=int(item["status_code"]),
        report_id=item["report_id"],
        received_at=datetime.fromisoformat(item["received_at"]),
        status=item["status"],
    )


def _report_item(report: Report) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pk": f"REPORT#{report.report_id}",
        "sk": "REPORT",
        "report_id": report.report_id,
        "reporter_id": report.reporter_id,
        "target_type": report.target.type,
        "target_id": report.target.id,
        "claimed_owner_id": report.claimed_owner_id,
        "claim_names_an_account": report.claim_names_an_account,
        "reason": report.reason,
        "details": report.details,
        "evidence_ids": list(report.evidence_ids),
        "received_at": _iso(report.received_at),
        "priority": int(report.priority),
        "flags": sorted(flag.value for flag in report.flags),
        "source": report.source.value,
        "status": report.status.value,
        "case_id": report.case_id,
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
        claim_names_an_account=bool(item.get("claim_names_an_account", False)),
        reason=item["reason"],
        details=item.get("details"),
        evidence_ids=tuple(item.get("evidence_ids", [])),
        received_at=datetime.fromisoformat(item["received_at"]),
        priority=Priority(int(item["priority"])),
        flags=frozenset(QueueFlag(flag) for flag in item.get("flags", [])),
        source=Source(item.get("source", Source.USER.value)),
        status=ReportStatus(item["status"]),
        case_id=item.get("case_id"),
        decision=_decision_from_item(decision) if decision else None,
    )


def report_from_stream_image(image: dict[str, Any]) -> Report | None:
    """The report a stream record's NewImage holds, or None when the record is of another item."""
    if image.get("sk", {}).get("S") != "REPORT" or not image.get("pk", {}).get("S", "").startswith("REPORT#"):
        return None
    return _report_from_item(from_item(image))


def decision_id_from_stream_image(image: dict[str, Any]) -> str | None:
    """The decision a stream record's NewImage holds, or None when the record is of another item."""
    if image.get("sk", {}).get("S") != "DECISION":
        return None
    return str(image["pk"]["S"]).removeprefix("DECISION#")


def _case_item(case: Case) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pk": f"CASE#{case.case_id}",
        "sk": "CASE",
        "case_id": case.case_id,
        "target_type": case.target.type,
        "target_id": case.target.id,
        "revision": case.revision,
        "report_count": case.report_count,
        "reasons": sorted(case.reasons),
        "priority": int(case.priority),
        "sources": sorted(source.value for source in case.sources),
        "first_reported_at": _iso(case.first_reported_at),
        "last_reported_at": _iso(case.last_reported_at),
        "flags": sorted(flag.value for flag in case.flags),
        "claimed_owner_ids": sorted(case.claimed_owner_ids),
    }
    if case.is_open:
        values["queue_pk"] = _QUEUE_PARTITIONS[int(case.priority)]
        values["queue_sk"] = f"{_iso(case.first_reported_at)}#{case.case_id}"
    return to_item(values)


def _case_from_item(item: dict[str, Any]) -> Case:
    return Case(
        case_id=item["case_id"],
        target=Target(item["target_type"], item["target_id"]),
        revision=int(item["revision"]),
        report_count=int(item["report_count"]),
        reasons=frozenset(item.get("reasons", [])),
        priority=Priority(int(item["priority"])),
        sources=frozenset(Source(source) for source in item.get("sources", [])),
        first_reported_at=datetime.fromisoformat(item["first_reported_at"]),
        last_reported_at=datetime.fromisoformat(item["last_reported_at"]),
        flags=frozenset(QueueFlag(flag) for flag in item.get("flags", [])),
        claimed_owner_ids=frozenset(item.get("claimed_owner_ids", [])),
        decision_id=item.get("decision_id"),
        decided_at=datetime.fromisoformat(item["decided_at"]) if item.get("decided_at") else None,
    )


def _event_item(event: CaseEvent) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"CASE#{event.case_id}",
            # by time, then revision, then the order things happen in (a case is reported before it is decided)
            "sk": f"EVENT#{_iso(event.at)}#{event.revision:08d}#{_EVENT_ORDER[event.kind]}#{event.kind.value}",
            "case_id": event.case_id,
            "kind": event.kind.value,
            "at": _iso(event.at),
            "role": event.role,
            "detail": event.detail,
            "revision": event.revision,
        }
    )


def _event_from_item(item: dict[str, Any]) -> CaseEvent:
    return CaseEvent(
        case_id=item["case_id"],
        kind=CaseEventKind(item["kind"]),
        at=datetime.fromisoformat(item["at"]),
        role=item["role"],
        detail=item["detail"],
        revision=int(item["revision"]),
    )


def _decision_values(decision: Decision) -> dict[str, Any]:
    return {
        "decision_id": decision.decision_id,
        "case_id": decision.case_id,
        "target_type": decision.target.type,
        "target_id": decision.target.id,
        "outcome": decision.outcome,
        "action": decision.action,
        "statement": {
            "facts": decision.statement.facts,
            "ground": decision.statement.ground,
            "automated": decision.statement.automated,
            "redress": decision.statement.redress,
        },
        "moderator_id": decision.moderator_id,
        "decided_at": _iso(decision.decided_at),
        "report_count": decision.report_count,
        "affected_account_id": decision.affected_account_id,
        "supersedes": decision.supersedes,
    }


def _decision_item(decision: Decision, statement: dict[str, Any] | None) -> dict[str, Any]:
    values = {"pk": f"DECISION#{decision.decision_id}", "sk": "DECISION", **_decision_values(decision)}
    order = f"{_iso(decision.decided_at)}#{decision.decision_id}"
    if decision.affected_account_id:
        values |= {"affected_pk": f"ACCOUNT#{decision.affected_account_id}", "affected_sk": order}
    if statement is not None:
        values |= {
            "statement_record": json.dumps(statement, separators=(",", ":")),
            "stmt_pk": f"STMT#{decision.decided_at.date().isoformat()}",
            "stmt_sk": order,
        }
    return to_item(values)


def _decision_from_item(item: dict[str, Any]) -> Decision:
    statement = item["statement"]
    return Decision(
        decision_id=item["decision_id"],
        case_id=item["case_id"],
        target=Target(item["target_type"], item["target_id"]),
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
        affected_account_id=item.get("affected_account_id"),
        supersedes=item.get("supersedes"),
        superseded_by=item.get("superseded_by"),
    )


def _appeal_key(appeal_id: str) -> dict[str, Any]:
    return _key(f"APPEAL#{appeal_id}", "APPEAL")


def _appeal_item(appeal: Appeal) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pk": f"APPEAL#{appeal.appeal_id}",
        "sk": "APPEAL",
        "appeal_id": appeal.appeal_id,
        "decision_id": appeal.decision_id,
        "case_id": appeal.case_id,
        "appellant_id": appeal.appellant_id,
        "appellant_role": appeal.appellant_role,
        "explanation": appeal.explanation,
        "filed_at": _iso(appeal.filed_at),
        "status": appeal.status.value,
    }
    if appeal.status is AppealStatus.OPEN:
        values |= {"appeal_q_pk": _OPEN_APPEALS, "appeal_q_sk": f"{_iso(appeal.filed_at)}#{appeal.appeal_id}"}
    return to_item(values)


def _appeal_from_item(item: dict[str, Any]) -> Appeal:
    return Appeal(
        appeal_id=item["appeal_id"],
        decision_id=item["decision_id"],
        case_id=item["case_id"],
        appellant_id=item["appellant_id"],
        appellant_role=item["appellant_role"],
        explanation=item["explanation"],
        filed_at=datetime.fromisoformat(item["filed_at"]),
        status=AppealStatus(item["status"]),
        decided_at=datetime.fromisoformat(item["decided_at"]) if item.get("decided_at") else None,
        new_decision_id=item.get("new_decision_id"),
    )


def _mute_from_item(item: dict[str, Any]) -> Mute:
    return Mute(
        muted_until=datetime.fromisoformat(item["muted_until"]),
        reason=item["reason"],
        moderator_id=item["moderator_id"],
        muted_at=datetime.fromisoformat(item["muted_at"]),
    )

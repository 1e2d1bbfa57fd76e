"""Compliance exports' records in their own DynamoDB table (layout in infra/tables.py, `EXPORTS`).

The request part of a record (who asked, when, what) is written once, with `attribute_not_exists`, and never updated:
every later write names only progress attributes. Segments are counted in a number set, so a redelivered message
cannot count its segment twice, and the count that reaches the total is seen by exactly one worker.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from chalicelib.domain.exports import Export, ExportRequest, ExportStatus
from chalicelib.services.ports import AlreadyExists
from chalicelib.store.cursors import CursorSealer, key_position
from chalicelib.store.dynamo import (
    ClientProvider,
    TableAdapter,
    error_code,
    from_item,
    to_attr,
    to_item,
    translated_errors,
)

_STATE = "STATE"
_SEGMENT = "SEGMENT#"
_LIST_PK = "EXPORTS"


def _pk(export_id: str) -> str:
    return f"EXPORT#{export_id}"


class ExportsStore(TableAdapter):
    def __init__(self, table_name: str, client: ClientProvider, cursors: CursorSealer) -> None:
        super().__init__(table_name, client)
        self._cursors = cursors

    def create(self, export: Export) -> None:
        try:
            with translated_errors():
                self.client.put_item(
                    TableName=self._table, Item=_export_item(export), ConditionExpression="attribute_not_exists(pk)"
                )
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise AlreadyExists(export.export_id) from error
            raise

    def get(self, export_id: str) -> Export | None:
        with translated_errors():
            response = self.client.get_item(
                TableName=self._table, Key=_key(_pk(export_id), _STATE), ConsistentRead=True
            )
        item = response.get("Item")
        return None if item is None else _export_from_item(from_item(item))

    def recent(self, limit: int, cursor: str | None) -> tuple[list[Export], str | None]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "exports_by_time",
            "KeyConditionExpression": "list_pk = :pk",
            "ExpressionAttributeValues": {":pk": to_attr(_LIST_PK)},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            position = self._cursors.unseal("exports", cursor)
            query["ExclusiveStartKey"] = key_position(position, ("pk", "sk", "list_pk", "list_sk"))
        with translated_errors():
            response = self.client.query(**query)
        exports = [_export_from_item(from_item(item)) for item in response.get("Items", [])]
        after = response.get("LastEvaluatedKey")
        return exports, None if after is None else self._cursors.seal("exports", after)

    def save_segment(self, export_id: str, segment: int, result: dict[str, Any]) -> None:
        with translated_errors():
            self.client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": _pk(export_id),
                        "sk": f"{_SEGMENT}{segment:05d}",
                        "result": json.dumps(result, sort_keys=True),
                    }
                ),
            )

    def segment_results(self, export_id: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": to_attr(_pk(export_id)), ":prefix": to_attr(_SEGMENT)},
            "ConsistentRead": True,
        }
        while True:
            with translated_errors():
                response = self.client.query(**query)
            results += [json.loads(item["result"]["S"]) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return results
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def finish_segment(self, export_id: str, segment: int, accounts: int, events: int) -> int | None:
        try:
            with translated_errors():
                response = self.client.update_item(
                    TableName=self._table,
                    Key=_key(_pk(export_id), _STATE),
                    UpdateExpression="ADD done :segment, accounts :accounts, events :events",
                    ConditionExpression="#status = :running AND NOT contains(done, :number)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":segment": {"NS": [str(segment)]},
                        ":number": {"N": str(segment)},
                        ":accounts": {"N": str(accounts)},
                        ":events": {"N": str(events)},
                        ":running": to_attr(ExportStatus.RUNNING.value),
                    },
                    ReturnValues="UPDATED_NEW",
                )
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return len(response["Attributes"]["done"]["NS"])

    def note_error(self, export_id: str, segment: int | None, error: str) -> None:
        where = "the finaliser" if segment is None else f"segment {segment}"
        self._progress(export_id, "SET last_error = :error", {":error": to_attr(f"{where}: {error}"[:500])})

    def complete(self, export_id: str, completed_at: datetime) -> bool:
        return self._progress(
            export_id,
            "SET #status = :complete, completed_at = :at",
            {":complete": to_attr(ExportStatus.COMPLETE.value), ":at": to_attr(completed_at.isoformat())},
        )

    def fail(self, export_id: str, reason: str) -> bool:
        return self._progress(
            export_id,
            "SET #status = :failed, failure = :reason",
            {":failed": to_attr(ExportStatus.FAILED.value), ":reason": to_attr(reason[:1000])},
        )

    def _progress(self, export_id: str, update: str, values: dict[str, Any]) -> bool:
        """Updates progress attributes of a running export (the request part is never named)."""
        names = {"#status": "status"} if "#status" in update else {}
        try:
            with translated_errors():
                self.client.update_item(
                    TableName=self._table,
                    Key=_key(_pk(export_id), _STATE),
                    UpdateExpression=update,
                    ConditionExpression="attribute_exists(pk) AND #status = :running",
                    ExpressionAttributeNames={**names, "#status": "status"},
                    ExpressionAttributeValues={**values, ":running": to_attr(ExportStatus.RUNNING.value)},
                )
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _export_item(export: Export) -> dict[str, Any]:
    return to_item(
        {
            "pk": _pk(export.export_id),
            "sk": _STATE,
            "list_pk": _LIST_PK,
            "list_sk": f"{export.requested_at.isoformat()}#{export.export_id}",
            "export_id": export.export_id,
            "requested_by": export.requested_by,
            "requested_at": export.requested_at.isoformat(),
            "request": export.request.as_dict(),
            "policy_version": export.policy_version,
            "segments": export.segments,
            "status": export.status.value,
            "accounts": export.accounts,
        }
    )


def _export_from_item(item: dict[str, Any]) -> Export:
    request = item["request"]
    return Export(
        export_id=item["export_id"],
        requested_by=item["requested_by"],
        requested_at=datetime.fromisoformat(item["requested_at"]),
        request=ExportRequest(
            include_history=bool(request["include_history"]),
            history_from=_day(request.get("history_from")),
            history_to=_day(request.get("history_to")),
        ),
        policy_version=item["policy_version"],
        segments=int(item["segments"]),
        status=ExportStatus(item["status"]),
        done=frozenset(int(n) for n in item.get("done") or ()),
        accounts=int(item.get("accounts", 0)),
        events=int(item.get("events", 0)),
        failure=item.get("failure"),
        completed_at=datetime.fromisoformat(item["completed_at"]) if item.get("completed_at") else None,
        last_error=item.get("last_error"),
    )


def _day(value: str | None) -> date | None:
    return None if not value else date.fromisoformat(value)

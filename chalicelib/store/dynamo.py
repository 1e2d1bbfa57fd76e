"""The DynamoDB client (created lazily, standard retries, short timeouts) and translation of its failures."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.domain.errors import Unavailable
from chalicelib.services.ports import VersionConflict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Failures that mean "try again later", never "your request was wrong".
_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ResourceNotFoundException",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
        "TransactionInProgressException",
    }
)


def make_dynamodb_client(region: str) -> DynamoDBClient:
    """A client with standard retries and short timeouts (the endpoint follows AWS_ENDPOINT_URL, as boto3 does)."""
    import boto3
    from botocore.config import Config as BotoConfig

    # Timeouts stay well under API Gateway's 29 s even with retries: 3 attempts x (1 s connect + 3 s read).
    boto_config = BotoConfig(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=1,
        read_timeout=3,
        tcp_keepalive=True,
    )
    return boto3.client("dynamodb", region_name=region, config=boto_config)


class StorageRejected(RuntimeError):
    """DynamoDB refused a request as malformed (a key too long, an unencodable string): a bug, never transient."""


@contextmanager
def translated_errors() -> Iterator[None]:
    """Throttling, unreachable tables and connection failures become `Unavailable` (the client may retry); a
    request DynamoDB or botocore rejects as invalid becomes `StorageRejected`, never reported as transient."""
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        yield
    except ClientError as error:
        if error_code(error) in _TRANSIENT_CODES:
            raise Unavailable("storage is busy or unavailable; try again shortly") from error
        if error_code(error) == "ValidationException":
            raise StorageRejected(f"DynamoDB rejected the request: {error_code(error)}") from error
        raise
    except (BotoConnectionError, HTTPClientError) as error:  # connection and read timeouts, endpoint errors
        raise Unavailable("storage is busy or unavailable; try again shortly") from error
    except (BotoCoreError, UnicodeError) as error:  # parameter validation, unencodable text: permanent
        raise StorageRejected(f"the request could not be sent: {type(error).__name__}") from error


ClientProvider = Callable[[], Any]


class TableAdapter:
    """Base of the stores: one table, and a client obtained on first use from the composition's provider."""

    def __init__(self, table_name: str, client: ClientProvider) -> None:
        self._table = table_name
        self._client_provider = client

    @property
    def client(self) -> Any:
        return self._client_provider()


def transact_write(client: Any, transaction: list[dict[str, Any]]) -> None:
    """One atomic write. A failed condition or a competing transaction is `VersionConflict`; throttling is
    `Unavailable`; either way nothing of the transaction was written."""
    from botocore.exceptions import ClientError

    try:
        with translated_errors():
            client.transact_write_items(TransactItems=transaction)
    except ClientError as error:
        if error_code(error) != "TransactionCanceledException":
            raise
        reasons = cancellation_reasons(error)
        if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
            raise VersionConflict() from error
        raise Unavailable("storage is busy; try again shortly") from error


def batch_get(client: Any, table: str, keys: list[dict[str, Any]], projection: str | None = None) -> list[Any]:
    """Consistent reads of many items (100 a call), retrying unprocessed keys; items come back as plain values."""
    found: list[Any] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        if projection:
            request[table]["ProjectionExpression"] = projection
        for _ in range(5):
            with translated_errors():
                response = client.batch_get_item(RequestItems=request)
            found += [from_item(item) for item in response.get("Responses", {}).get(table, [])]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        if request:
            raise Unavailable("storage is busy; try again shortly")
    return found


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def cancellation_reasons(error: Exception) -> list[str]:
    response = getattr(error, "response", None) or {}
    return [str(reason.get("Code", "None")) for reason in response.get("CancellationReasons", [])]


# Plain JSON-ish values <-> DynamoDB attribute values, without importing boto3's resource layer.
def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {key: to_attr(item) for key, item in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(item) for item in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_attr(attr: Mapping[str, Any]) -> Any:
    (kind, raw), *_ = attr.items()
    if kind == "S":
        return raw
    if kind == "N":
        number = Decimal(raw)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: from_attr(item) for key, item in raw.items()}
    if kind == "L":
        return [from_attr(item) for item in raw]
    if kind == "SS":
        return sorted(raw)
    if kind == "NS":
        return sorted(int(Decimal(number)) for number in raw)
    raise TypeError(f"unexpected attribute type {kind}")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: to_attr(value) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: from_attr(value) for key, value in item.items()}

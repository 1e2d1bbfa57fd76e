"""The Idempotency port on Powertools' idempotency utility, with its records in the idempotency table.

Records are keyed by a hash of (operation, caller, Idempotency-Key) and validated against the request's keyed
fingerprint, so the table never holds a hash of the request itself (a sign-up's birth date could be recovered from
a plain hash by trying every date). A `work` that raises leaves no record; records expire after 24 hours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import DomainError, Unavailable
from chalicelib.services.ports import IdempotencyInProgress, IdempotencyKeyMismatch, IdempotentRequest

EXPIRES_AFTER_SECONDS = 24 * 3600


class PowertoolsIdempotency:
    def __init__(self, table_name: str, client: Callable[[], Any]) -> None:
        self._table = table_name
        self._client_provider = client
        self._persistence: Any = None
        self._config: Any = None
        self._lambda_context: Any = None

    def register_lambda_context(self, context: Any) -> None:
        """Lets an interrupted attempt's "in progress" record expire with the invocation that made it."""
        self._lambda_context = context

    def _layer(self) -> tuple[Any, Any]:
        if self._persistence is None:
            from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

            self._persistence = DynamoDBPersistenceLayer(table_name=self._table, boto3_client=self._client_provider())
            self._config = IdempotencyConfig(
                event_key_jmespath="[operation, caller_id, key]",
                payload_validation_jmespath="fingerprint",
                raise_on_no_idempotency_key=True,
                expires_after_seconds=EXPIRES_AFTER_SECONDS,
                use_local_cache=False,
            )
        return self._persistence, self._config

    def run_once(self, request: IdempotentRequest, work: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        persistence, config = self._layer()
        if self._lambda_context is not None:
            config.register_lambda_context(self._lambda_context)
        ran = False

        def run(request: dict[str, str]) -> dict[str, Any]:
            nonlocal ran
            ran = True
            return work()

        wrapped = idempotent_function(
            run, data_keyword_argument="request", persistence_store=persistence, config=config
        )
        data = {
            "operation": request.operation,
            "caller_id": request.caller_id,
            "key": request.key,
            "fingerprint": request.fingerprint,
        }
        try:
            result: dict[str, Any] = wrapped(request=data)
        except IdempotencyValidationError:
            raise IdempotencyKeyMismatch(request.operation) from None
        except IdempotencyAlreadyInProgressError:
            raise IdempotencyInProgress(request.operation) from None
        except IdempotencyPersistenceLayerError as error:
            # The work refused the request (a domain error) and then its record could not be deleted: the client
            # still hears the refusal, not a 503. (The record lapses with the invocation.)
            refusal = _domain_error_behind(error)
            if refusal is not None:
                raise refusal from None
            raise Unavailable("storage is busy or unavailable; try again shortly") from error
        return result, not ran


def _domain_error_behind(error: BaseException) -> DomainError | None:
    """The work's own refusal, if the persistence failure happened while handling it (Powertools raises the delete
    failure from inside its handler of the work's exception)."""
    seen: BaseException | None = error.__context__
    for _ in range(4):
        if seen is None:
            return None
        if isinstance(seen, DomainError):
            return seen
        seen = seen.__context__
    return None

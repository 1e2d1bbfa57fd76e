"""The HTTP API's composition: the one place that builds what the API's routes use, and nothing else.

`compose_api` wires explicit parts (tests and the local stack call it with their own clock or secret);
`compose_api_from_environment` is what the deployed function runs on its first request: configuration checked,
the root secret read once from SSM Parameter Store (through Powertools' Parameters utility), keys derived.
Stores build their DynamoDB client on first use, so a cold start pays only for what a request touches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.config import ApiConfig, UnsafeConfiguration, load_api_config, policy_in_force
from chalicelib.domain.errors import Unavailable
from chalicelib.keys import ServiceKeys, WeakSecret
from chalicelib.policy import Policy
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.appeals import AppealsDeps
from chalicelib.services.exports import ExportsDeps
from chalicelib.services.guardians import GuardiansDeps
from chalicelib.services.moderation import ModerationDeps
from chalicelib.services.ports import Clock, Idempotency
from chalicelib.services.reports import ReportingDeps


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApiDeps:
    policy: Policy
    keys: ServiceKeys
    accounts: AccountsDeps
    reporting: ReportingDeps
    moderation: ModerationDeps
    appeals: AppealsDeps
    exports: ExportsDeps
    guardians: GuardiansDeps
    idempotency: Idempotency
    dynamodb: Callable[[], Any]  # the shared DynamoDB client, built on first use


def compose_api(config: ApiConfig, root_secret: bytes, clock: Clock = utc_now, policy: Policy | None = None) -> ApiDeps:
    from chalicelib.store.band_ends import BandEndSealer
    from chalicelib.store.cursors import CursorSealer
    from chalicelib.store.dynamo import make_dynamodb_client
    from chalicelib.store.exports_store import ExportsStore
    from chalicelib.store.guardians_store import GuardianStore
    from chalicelib.store.idempotency import PowertoolsIdempotency
    from chalicelib.store.objects import S3Objects, SqsQueue, make_s3_client, make_sqs_client
    from chalicelib.store.reports_store import ReportsStore
    from chalicelib.store.settings_store import SettingsStore

    try:
        keys = ServiceKeys.derive(root_secret)
    except WeakSecret as error:
        raise UnsafeConfiguration(f"refusing to start: ROOT_SECRET_PARAMETER: {error}") from None
    policy = policy or policy_in_force(config.policy_version)
    client = functools.cache(lambda: make_dynamodb_client(config.region))
    sealer = CursorSealer(keys.cursors)
    settings_store = SettingsStore(config.settings_table, client, sealer)
    reports_store = ReportsStore(config.reports_table, client, sealer)
    idempotency = PowertoolsIdempotency(config.idempotency_table, client)
    return ApiDeps(
        policy=policy,
        keys=keys,
        accounts=AccountsDeps(
            store=settings_store,
            policy=policy,
            clock=clock,
            band_ends=BandEndSealer(config.band_end_key_alias, config.region),
        ),
        reporting=ReportingDeps(
            reports=reports_store,
            accounts=settings_store,
            policy=policy,
            clock=clock,
            report_id_key=keys.report_ids,
            fingerprint_key=keys.request_fingerprints,
        ),
        moderation=ModerationDeps(reports=reports_store, policy=policy, clock=clock),
        appeals=AppealsDeps(
            reports=reports_store,
            policy=policy,
            clock=clock,
            appeal_id_key=keys.report_ids,
            fingerprint_key=keys.request_fingerprints,
        ),
        exports=ExportsDeps(
            exports=ExportsStore(config.exports_table, client, sealer),
            queue=SqsQueue(config.export_queue, functools.cache(lambda: make_sqs_client(config.region))),
            objects=S3Objects(config.export_bucket, functools.cache(lambda: make_s3_client(config.region))),
            accounts=settings_store,
            policy=policy,
            clock=clock,
            statements=reports_store.statements,
            items_per_segment=config.export_items_per_segment,
        ),
        guardians=GuardiansDeps(
            accounts=settings_store,
            links=GuardianStore(config.settings_table, client),
            policy=policy,
            clock=clock,
            code_key=keys.pairing_codes,
        ),
        idempotency=idempotency,
        dynamodb=client,
    )


def read_root_secret(config: ApiConfig) -> bytes:
    """The root secret, read once from SSM Parameter Store (a SecureString, decrypted); never a default."""
    import boto3
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    provider = SSMProvider(boto3_client=boto3.client("ssm", region_name=config.region))
    try:
        value = provider.get(config.root_secret_parameter, decrypt=True, max_age=365 * 24 * 3600)
    except Exception as error:
        if _is_transient(error):  # throttled or unreachable: the configuration may be fine, try again shortly
            raise Unavailable("the service's secret could not be read yet; try again shortly") from error
        raise UnsafeConfiguration(  # a missing parameter, no permission: the service cannot start safely
            f"refusing to start: ROOT_SECRET_PARAMETER {config.root_secret_parameter!r} could not be read "
            f"({type(error).__name__})"
        ) from None
    if not isinstance(value, str) or not value.strip():
        raise UnsafeConfiguration("refusing to start: the parameter ROOT_SECRET_PARAMETER names is empty")
    return value.encode()


_TRANSIENT_SSM_CODES = frozenset({"ThrottlingException", "InternalServerError", "ServiceUnavailable"})


def _is_transient(error: BaseException) -> bool:
    """Whether an SSM failure (Powertools wraps botocore's) is throttling or a connection problem."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    cause: BaseException | None = error
    for _ in range(4):
        if cause is None:
            return False
        if isinstance(cause, BotoConnectionError | HTTPClientError):
            return True
        if isinstance(cause, ClientError):
            return str(cause.response.get("Error", {}).get("Code")) in _TRANSIENT_SSM_CODES
        cause = cause.__cause__ or cause.__context__
    return False


def compose_api_from_environment(env: Mapping[str, str], *, allow_local_auth: bool = False) -> ApiDeps:
    config = load_api_config(env, allow_local_auth=allow_local_auth)
    return compose_api(config, read_root_secret(config))


def policy_version_from_environment(env: Mapping[str, str]) -> str:
    """The policy version in force (POLICY_VERSION if set, else the newest kept), without composing anything:
    what the public policy route serves. An unknown version refuses, as the composition does."""
    return policy_in_force(env.get("POLICY_VERSION") or None).version

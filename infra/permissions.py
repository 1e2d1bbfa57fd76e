"""What each Lambda function may do, as plain data: the CDK stack writes each function's IAM policy from this, and
the tests hold it to what the function's code is seen to call (tests/infra/test_permissions.py).

One function per set of permissions: the API; the reports stream consumer; the birthday job; the policy migration;
the export worker and the export dead-letter consumer. Actions are exact (never a wildcard) and every resource is one
table, one index, one stream, one bucket prefix, one queue or one key, by ARN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.exports import EXPORT_DLQ, EXPORT_QUEUE, NamedResource
from infra.tables import EXPORTS, IDEMPOTENCY, REPORTS, SETTINGS, TableSpec

# Queues only the stack knows (no code names them): where failed asynchronous work goes.
STREAM_FAILURES = NamedResource("ReportsStreamFailures", "", "safety-settings-reports-stream-failures")
JOB_FAILURES = NamedResource("JobFailures", "", "safety-settings-job-failures")


@dataclass(frozen=True)
class TableAccess:
    table: TableSpec
    actions: tuple[str, ...] = ()  # on the table itself
    indexes: tuple[str, ...] = ()  # indexes it queries (dynamodb:Query on each index's ARN)
    scan: bool = False  # dynamodb:Scan on the table (only the export worker)
    stream: bool = False  # reads the table's stream (Lambda's event source, with the function's role)

    def writes(self) -> bool:
        return any(action in WRITE_ACTIONS for action in self.actions)


WRITE_ACTIONS = frozenset({"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"})
STREAM_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
# What Lambda's SQS event source calls with the function's role.
RECEIVE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


@dataclass(frozen=True)
class FunctionAccess:
    name: str  # the Chalice function's name (.chalice/config.json lambda_functions)
    logical_id: str  # its resource in the template `chalice package` writes
    summary: str
    tables: tuple[TableAccess, ...] = ()
    band_end_key: tuple[str, ...] = ()  # KMS actions on the band-end key
    export_objects: tuple[str, ...] = ()  # S3 actions on the export bucket's exports/ prefix
    sends_to: tuple[NamedResource, ...] = ()  # queues its code sends to
    receives_from: tuple[NamedResource, ...] = ()  # queues Lambda polls for it
    fails_to: NamedResource | None = None  # where its failed asynchronous invocations or stream batches go
    root_secret: bool = False  # reads the root secret (Secrets Manager, through Parameter Store's reference)
    environment: tuple[str, ...] = field(default_factory=tuple)  # the resource names it is told, as variables

    def writes_data(self) -> bool:
        """Whether it writes anything kept under the data key (a table item, a message, an object)."""
        tables = any(grant.writes() for grant in self.tables)
        return tables or bool(self.sends_to) or self.fails_to is not None or "s3:PutObject" in self.export_objects


API = FunctionAccess(
    name="api_handler",
    logical_id="APIHandler",
    summary="the HTTP API: accounts, settings, reports, moderation, appeals, exports (never Scan, never decrypt)",
    tables=(
        TableAccess(
            SETTINGS,
            (
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:DescribeTable",  # an export sizes its segments from the table's item count
                "dynamodb:UpdateItem",  # family pairing's rate windows (codes made, wrong codes)
                "dynamodb:DeleteItem",  # a pairing code, used once: deleted with the link it makes
            ),
        ),
        TableAccess(
            REPORTS,
            (
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:ConditionCheckItem",
            ),
            indexes=("moderation_queue", "decisions_by_account", "statements", "appeals_queue"),
        ),
        # No GetItem: Powertools reads a record back only if a failed conditional PutItem does not return it, which
        # DynamoDB does for boto3 1.26.164 and later (ReturnValuesOnConditionCheckFailure)
        TableAccess(IDEMPOTENCY, ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")),
        TableAccess(
            EXPORTS,
            (
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",  # an export whose work could not be queued is failed at once
            ),
            indexes=("exports_by_time",),
        ),
    ),
    band_end_key=("kms:GenerateDataKey", "kms:DescribeKey"),  # seals; never kms:Decrypt
    export_objects=("s3:GetObject",),  # signs download links for auditors
    sends_to=(EXPORT_QUEUE,),
    root_secret=True,
    environment=(
        "SETTINGS_TABLE",
        "REPORTS_TABLE",
        "IDEMPOTENCY_TABLE",
        "EXPORTS_TABLE",
        "BAND_END_KEY_ALIAS",
        "EXPORT_BUCKET",
        "EXPORT_QUEUE",
        "ROOT_SECRET_PARAMETER",
        "AUTH_MODE",
    ),
)

REPORTS_STREAM = FunctionAccess(
    name="reports_stream",
    logical_id="ReportsStream",
    summary="the reports table's stream: counts reports into cases, closes cases out",
    tables=(
        TableAccess(
            REPORTS,
            (
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ),
            stream=True,
        ),
    ),
    fails_to=STREAM_FAILURES,
    environment=("REPORTS_TABLE",),
)

TRANSITIONS = FunctionAccess(
    name="band_transitions",
    logical_id="BandTransitions",
    summary="the daily birthday job: band changes, notices ending, overlays taking effect",
    tables=(
        TableAccess(
            SETTINGS,
            # DeleteItem: a guardian's link item, when the teen turns 18
            ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"),
            indexes=("band_ends", "notices", "policy_versions"),  # policy_versions: on a day an overlay takes effect
        ),
    ),
    band_end_key=("kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"),  # the only function that may decrypt
    fails_to=JOB_FAILURES,
    environment=("SETTINGS_TABLE", "BAND_END_KEY_ALIAS"),
)

MIGRATION = FunctionAccess(
    name="policy_migration",
    logical_id="PolicyMigration",
    summary="moves accounts to a new policy version (invoked by `safety-settings policy migrate`)",
    tables=(
        TableAccess(
            SETTINGS,
            ("dynamodb:BatchGetItem", "dynamodb:PutItem"),
            indexes=("policy_versions",),
        ),
    ),
    fails_to=JOB_FAILURES,
    environment=("SETTINGS_TABLE",),
)

EXPORT_WORKER = FunctionAccess(
    name="export_worker",
    logical_id="ExportWorker",
    summary="one segment of a compliance export, and the finaliser",
    tables=(
        TableAccess(SETTINGS, ("dynamodb:Query",), scan=True),
        TableAccess(REPORTS, indexes=("statements",)),
        TableAccess(EXPORTS, ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem")),
    ),
    export_objects=("s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"),
    sends_to=(EXPORT_QUEUE,),
    receives_from=(EXPORT_QUEUE,),
    environment=("SETTINGS_TABLE", "REPORTS_TABLE", "EXPORTS_TABLE", "EXPORT_BUCKET", "EXPORT_QUEUE"),
)

EXPORT_DEAD_LETTERS = FunctionAccess(
    name="export_dead_letters",
    logical_id="ExportDeadLetters",
    summary="marks an export failed when one of its parts gave up, and deletes what it wrote",
    tables=(TableAccess(EXPORTS, ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem")),),
    export_objects=("s3:DeleteObject",),
    receives_from=(EXPORT_DLQ,),
    environment=("SETTINGS_TABLE", "REPORTS_TABLE", "EXPORTS_TABLE", "EXPORT_BUCKET", "EXPORT_QUEUE"),
)

FUNCTIONS: tuple[FunctionAccess, ...] = (
    API,
    REPORTS_STREAM,
    TRANSITIONS,
    MIGRATION,
    EXPORT_WORKER,
    EXPORT_DEAD_LETTERS,
)

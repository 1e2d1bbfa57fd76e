"""The deployed service as one CDK stack: the Chalice app (through Chalice's CDK construct) and everything it uses.

Tables, the band-end key, the export bucket and queues are built from the same definitions the local stack uses
(infra/tables.py, infra/keys.py, infra/exports.py); each function's role from infra/permissions.py. What Chalice
generates (the functions, the REST API, their event sources) is adjusted through the construct's template: each
function gets its own role, log group, environment and limits; the API its authorizer, gateway responses,
throttling and access logs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.identity import KNOWN_GROUPS
from infra import exports as export_defs
from infra.gateway import gateway_responses
from infra.keys import BAND_ENDS
from infra.permissions import (
    FUNCTIONS,
    JOB_FAILURES,
    RECEIVE_ACTIONS,
    STREAM_ACTIONS,
    STREAM_FAILURES,
    FunctionAccess,
    TableAccess,
)
from infra.settings import StackSettings
from infra.tables import ALL_TABLES, TableSpec

ROOT = Path(__file__).resolve().parent.parent
METRICS_NAMESPACE = "SafetySettings"
EXPORT_PREFIX = "exports/"
# Jobs that must never run twice at once (each run resumes where the last stopped).
SINGLE_RUN = ("band_transitions", "policy_migration")
# Data and its keys outlive a deleted stack or a replaced resource; a first create that fails and rolls back leaves
# nothing behind (else a retry would fail on the names the rollback kept).
KEEP = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE


class SafetySettingsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, settings: StackSettings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.api_gateway_logs_role: iam.Role | None = None
        self.data_key = kms.Key(
            self,
            "DataKey",
            description="safety-settings: tables, their streams, the export bucket, queues and the root secret",
            enable_key_rotation=True,
            removal_policy=KEEP,
        )
        self.band_end_key = kms.Key(
            self,
            BAND_ENDS.logical_id,
            description=BAND_ENDS.description,
            enable_key_rotation=True,
            removal_policy=KEEP,
        )
        self.keys = {BAND_ENDS.logical_id: self.band_end_key}  # the keys the code uses, by infra/keys.py's id
        self.band_end_alias = kms.Alias(
            self, "BandEndsAlias", alias_name=f"alias/{settings.stage}-band-ends", target_key=self.band_end_key
        )
        self.tables = {spec.logical_id: self._table(spec) for spec in ALL_TABLES}
        self._exports_storage()
        self._failure_queues()
        self.root_secret = secretsmanager.Secret(
            self,
            "RootSecret",
            secret_name=f"{settings.stage}/root-secret",
            description="safety-settings: the root secret the service's keys are derived from (HKDF)",
            encryption_key=self.data_key,
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=KEEP,
        )
        self.user_pool_arn = self._user_pool()
        self.key_policies: dict[str, iam.Policy] = {}
        self.roles = {access.name: self._role(access) for access in FUNCTIONS}
        self.log_groups = {access.name: self._log_group(access) for access in FUNCTIONS}
        self.chalice = Chalice(self, "Service", source_dir=str(ROOT), stage_config=self._stage_config())
        for access in FUNCTIONS:
            self._adjust_function(access)
        self._adjust_event_sources()
        self._adjust_api()
        self._deny_band_end_decrypt_to_all_but_transitions()
        self._alarms()
        cdk.CfnOutput(self, "UserPoolArn", value=self.user_pool_arn)

    # --- data -----------------------------------------------------------------------------------------------------

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        s = self.settings
        key = dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING)
        sort = dynamodb.Attribute(name=spec.sort_key, type=dynamodb.AttributeType.STRING) if spec.sort_key else None
        stream = dynamodb.StreamViewType[spec.stream_view_type] if spec.stream_view_type else None
        table = dynamodb.Table(
            self,
            spec.logical_id,
            partition_key=key,
            sort_key=sort,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            max_read_request_units=s.max_read_units,
            max_write_request_units=s.max_write_units,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.data_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True, recovery_period_in_days=35
            ),
            deletion_protection=True,
            time_to_live_attribute=spec.ttl_attribute,
            stream=stream,
            removal_policy=KEEP,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.partition_key, type=dynamodb.AttributeType.STRING),
                sort_key=(
                    dynamodb.Attribute(name=index.sort_key, type=dynamodb.AttributeType.STRING)
                    if index.sort_key
                    else None
                ),
                projection_type=dynamodb.ProjectionType[index.projection],
                non_key_attributes=list(index.include) or None,
                max_read_request_units=s.max_read_units,
                max_write_request_units=s.max_write_units,
            )
        return table

    def _exports_storage(self) -> None:
        s = self.settings
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logs cannot be delivered under SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,  # S3 delivers by bucket policy, never an ACL
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=cdk.Duration.days(365))],
            removal_policy=KEEP,
        )
        self.export_bucket = s3.Bucket(
            self,
            export_defs.EXPORT_BUCKET.logical_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.data_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,  # an export's files are written once; the manifest's SHA-256 sums prove them
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="exports-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-exports",
                    prefix=EXPORT_PREFIX,
                    expiration=cdk.Duration.days(s.export_expiry_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=KEEP,
        )
        # Its consumer runs up to 60 s: a message stays hidden six times that (AWS's advice for Lambda consumers).
        self.export_dlq = self._queue(export_defs.EXPORT_DLQ.logical_id, retention_days=14, visibility=360)
        self.export_queue = self._queue(
            export_defs.EXPORT_QUEUE.logical_id,
            retention_days=4,
            visibility=export_defs.VISIBILITY_TIMEOUT_SECONDS,
            dead_letters=self.export_dlq,
        )

    def _failure_queues(self) -> None:
        self.stream_failures = self._queue(STREAM_FAILURES.logical_id, retention_days=14)
        self.job_failures = self._queue(JOB_FAILURES.logical_id, retention_days=14)

    def _queue(
        self, logical_id: str, *, retention_days: int, visibility: int = 30, dead_letters: sqs.IQueue | None = None
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            logical_id,
            removal_policy=KEEP,  # a dead-letter queue holds failed work; none is lost with the stack
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.data_key,
            data_key_reuse=cdk.Duration.hours(1),
            enforce_ssl=True,
            retention_period=cdk.Duration.days(retention_days),
            visibility_timeout=cdk.Duration.seconds(visibility),
            dead_letter_queue=(
                sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=export_defs.MAX_RECEIVES)
                if dead_letters
                else None
            ),
        )

    def queue(self, logical_id: str) -> sqs.Queue:
        return {
            export_defs.EXPORT_QUEUE.logical_id: self.export_queue,
            export_defs.EXPORT_DLQ.logical_id: self.export_dlq,
            STREAM_FAILURES.logical_id: self.stream_failures,
            JOB_FAILURES.logical_id: self.job_failures,
        }[logical_id]

    # --- identity -------------------------------------------------------------------------------------------------

    def _user_pool(self) -> str:
        self.user_pool: cognito.UserPool | None = None
        if self.settings.user_pool_arn:
            return self.settings.user_pool_arn
        pool = self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,  # accounts come from the platform's sign-up flow, never from the open web
            sign_in_case_sensitive=False,
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=KEEP,
        )
        for group in sorted(KNOWN_GROUPS):
            group_resource = cognito.CfnUserPoolGroup(
                self,
                "Group" + "".join(part.title() for part in group.split("-")),
                user_pool_id=pool.user_pool_id,
                group_name=group,
                description=f"safety-settings: the {group} group",
            )
            group_resource.apply_removal_policy(KEEP)  # deleting it would take every member's group away
        # The app signs in with SRP and sends the ID token (a REST API's Cognito authorizer without OAuth scopes
        # accepts ID tokens, whose `cognito:groups` the service reads). Machine callers (the sign-up service) are
        # users of the pool too.
        client = pool.add_client(
            "AppClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
        )
        cdk.CfnOutput(self, "UserPoolClientId", value=client.user_pool_client_id)
        return pool.user_pool_arn

    # --- functions ------------------------------------------------------------------------------------------------

    def _role(self, access: FunctionAccess) -> iam.Role:
        role = iam.Role(
            self,
            f"{access.logical_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"safety-settings {access.name}: {access.summary}",
            inline_policies={"access": iam.PolicyDocument(statements=self.statements(access))},
        )
        if access.band_end_key:
            # Its own policy resource: the key's policy names the birthday job's role, so a statement inside the
            # role naming the key would make the role and the key each wait for the other.
            self.key_policies[access.name] = iam.Policy(
                self,
                f"{access.logical_id}BandEndKey",
                policy_name="band-end-key",
                statements=[_allow(access.band_end_key, [self.band_end_key.key_arn], sid="BandEndKey")],
                roles=[role],
            )
        return role

    def statements(self, access: FunctionAccess) -> list[iam.PolicyStatement]:
        """The function's whole policy, statement by statement (infra/permissions.py says what, this says where)."""
        log_group = f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{self.log_group_name(access)}"
        out = [_allow(("logs:CreateLogStream", "logs:PutLogEvents"), [f"{log_group}:*"], sid="OwnLogGroup")]
        for grant in access.tables:
            out += self._table_statements(grant)
        data_key_services = {"dynamodb"} if access.tables else set()
        if access.export_objects:
            objects = self.export_bucket.arn_for_objects(f"{EXPORT_PREFIX}*")
            out.append(_allow(access.export_objects, [objects], sid="ExportObjects"))
            data_key_services.add("s3")
        queues = [*access.sends_to, *access.receives_from, *([access.fails_to] if access.fails_to else [])]
        if access.sends_to:
            arns = [self.queue(q.logical_id).queue_arn for q in access.sends_to]
            out.append(_allow(("sqs:GetQueueUrl", "sqs:SendMessage"), arns, sid="SendsTo"))
        if access.receives_from:
            arns = [self.queue(q.logical_id).queue_arn for q in access.receives_from]
            out.append(_allow(RECEIVE_ACTIONS, arns, sid="ReceivesFrom"))
        if access.fails_to:
            out.append(_allow(("sqs:SendMessage",), [self.queue(access.fails_to.logical_id).queue_arn], sid="FailsTo"))
        if queues:
            data_key_services.add("sqs")
        if access.root_secret:
            parameter = (
                f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter"
                f"/aws/reference/secretsmanager/{self.settings.stage}/root-secret"
            )
            out.append(_allow(("ssm:GetParameter",), [parameter], sid="RootSecretReference"))
            out.append(_allow(("secretsmanager:GetSecretValue",), [self.root_secret.secret_arn], sid="RootSecret"))
            data_key_services.add("secretsmanager")
        if data_key_services:
            out.append(self._data_key_statement(access, sorted(data_key_services)))
        return out

    def _table_statements(self, grant: TableAccess) -> list[iam.PolicyStatement]:
        table = self.tables[grant.table.logical_id]
        sid = grant.table.logical_id
        out = [_allow(grant.actions, [table.table_arn], sid=sid)] if grant.actions else []
        if grant.scan:
            out.append(_allow(("dynamodb:Scan",), [table.table_arn], sid=f"{sid}Scan"))
        if grant.indexes:
            arns = [f"{table.table_arn}/index/{name}" for name in grant.indexes]
            out.append(_allow(("dynamodb:Query",), arns, sid=f"{sid}Indexes"))
        if grant.stream:
            assert table.table_stream_arn is not None
            out.append(_allow(STREAM_ACTIONS, [table.table_stream_arn], sid=f"{sid}Stream"))
        return out

    def _data_key_statement(self, access: FunctionAccess, services: list[str]) -> iam.PolicyStatement:
        """The data key, only through the services that hold data under it (never for the function's own use)."""
        writes = ("kms:Encrypt", "kms:GenerateDataKey") if access.writes_data() else ()
        key_actions = ("kms:Decrypt", "kms:DescribeKey", *writes)
        statement = _allow(key_actions, [self.data_key.key_arn], sid="DataKeyThroughServices")
        statement.add_condition(
            "StringEquals", {"kms:ViaService": [f"{name}.{self.region}.amazonaws.com" for name in services]}
        )
        return statement

    def log_group_name(self, access: FunctionAccess) -> str:
        return f"/aws/lambda/{self.settings.stage}/{access.name}"

    def _log_group(self, access: FunctionAccess) -> logs.CfnLogGroup:
        group = logs.CfnLogGroup(
            self,
            f"{access.logical_id}Logs",
            log_group_name=self.log_group_name(access),
            retention_in_days=self.settings.log_retention_days,
        )
        group.apply_removal_policy(KEEP)
        return group

    def _stage_config(self) -> dict[str, Any]:
        """What Chalice packages with: no role of its own (each function gets one below), a regional endpoint, the
        environment every function shares. Per-function settings here would be ignored; they are set below."""
        return {
            "api_gateway_stage": "api",
            "api_gateway_endpoint_type": "REGIONAL",
            "manage_iam_role": False,
            "iam_role_arn": self.roles["api_handler"].role_arn,
            "environment_variables": {
                "POWERTOOLS_SERVICE_NAME": "safety-settings",
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        }

    def function_environment(self) -> dict[str, str]:
        """Every resource name a function may be told (each is told only those infra/permissions.py lists)."""
        names = {spec.env_var: self.tables[spec.logical_id].table_name for spec in ALL_TABLES}
        return {
            **names,
            BAND_ENDS.env_var: self.band_end_alias.alias_name,
            export_defs.EXPORT_BUCKET.env_var: self.export_bucket.bucket_name,
            export_defs.EXPORT_QUEUE.env_var: self.export_queue.queue_name,
            "ROOT_SECRET_PARAMETER": f"/aws/reference/secretsmanager/{self.settings.stage}/root-secret",
            "AUTH_MODE": "cognito",
        }

    def _adjust_function(self, access: FunctionAccess) -> None:
        function = self.chalice.get_resource(access.logical_id)
        function.add_property_override("Role", self.roles[access.name].role_arn)
        env = self.function_environment()
        for name in access.environment:
            function.add_property_override(f"Environment.Variables.{name}", env[name])
        # JSON lines (Powertools writes them; Lambda's own lines follow), into the group that keeps them 90 days.
        function.add_property_override(
            "LoggingConfig", {"LogGroup": self.log_groups[access.name].ref, "LogFormat": "JSON"}
        )
        if access.name in self.key_policies:
            function.node.add_dependency(self.key_policies[access.name])
        reserved = self._reserved_concurrency(access.name)
        if reserved is not None:
            function.add_property_override("ReservedConcurrentExecutions", reserved)
        if access.fails_to and access.name in ("band_transitions", "policy_migration"):
            queue = self.queue(access.fails_to.logical_id)
            function.add_property_override("DeadLetterQueue", {"Type": "SQS", "TargetArn": queue.queue_arn})

    def _reserved_concurrency(self, name: str) -> int | None:
        """The jobs run one at a time; the export worker never takes the API's share; the dead-letter consumer runs
        as many as its event source's least maximum (2). Off (`reserveConcurrency=false`) for accounts whose
        concurrency quota is too small to reserve any (Lambda keeps 100 unreserved)."""
        if not self.settings.reserve_concurrency:
            return None
        reserved = {name: 1 for name in SINGLE_RUN}
        reserved |= {"export_worker": self.settings.export_worker_concurrency, "export_dead_letters": 2}
        return reserved.get(name)

    def _adjust_event_sources(self) -> None:
        reports = self.tables["ReportsTable"]
        stream = self.chalice.get_resource("ReportsStream")
        source = "Events.ReportsStreamDynamodbEventSource.Properties"
        stream.add_property_override(f"{source}.Stream", reports.table_stream_arn)
        stream.add_property_override(f"{source}.FunctionResponseTypes", ["ReportBatchItemFailures"])
        stream.add_property_override(f"{source}.BisectBatchOnFunctionError", True)
        stream.add_property_override(f"{source}.MaximumRetryAttempts", 10)
        stream.add_property_override(
            f"{source}.DestinationConfig", {"OnFailure": {"Destination": self.stream_failures.queue_arn}}
        )
        worker = self.chalice.get_resource("ExportWorker")
        source = "Events.ExportWorkerSqsEventSource.Properties"
        worker.add_property_override(f"{source}.Queue", self.export_queue.queue_arn)
        worker.add_property_override(f"{source}.FunctionResponseTypes", ["ReportBatchItemFailures"])
        worker.add_property_override(
            f"{source}.ScalingConfig", {"MaximumConcurrency": self.settings.export_worker_concurrency}
        )
        dead = self.chalice.get_resource("ExportDeadLetters")
        source = "Events.ExportDeadLettersSqsEventSource.Properties"
        dead.add_property_override(f"{source}.Queue", self.export_dlq.queue_arn)
        dead.add_property_override(f"{source}.FunctionResponseTypes", ["ReportBatchItemFailures"])
        # The least an SQS event source runs at once: with the reservation at 2 too, its poller is never throttled.
        dead.add_property_override(f"{source}.ScalingConfig", {"MaximumConcurrency": 2})

    # --- the API --------------------------------------------------------------------------------------------------

    def _adjust_api(self) -> None:
        s = self.settings
        self.access_log_group = logs.CfnLogGroup(
            self,
            "ApiAccessLogs",
            log_group_name=f"/aws/apigateway/{s.stage}/access",
            retention_in_days=s.log_retention_days,
        )
        self.access_log_group.apply_removal_policy(KEEP)
        api = self.chalice.get_resource("RestAPI")
        api.add_property_override("Name", s.stage)
        # Without it SAM also deploys a stage named "Stage": unthrottled, unlogged, unwatched, and just as reachable.
        api.add_property_override("OpenApiVersion", "2.0")
        api.add_property_override(
            "DefinitionBody.securityDefinitions.users.x-amazon-apigateway-authorizer.providerARNs", [self.user_pool_arn]
        )
        api.add_property_override("GatewayResponses", gateway_responses())
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": s.throttle_rate,
                    "ThrottlingBurstLimit": s.throttle_burst,
                    "MetricsEnabled": True,
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": False,  # full request logs would hold tokens and bodies
                }
            ],
        )
        api.add_property_override(
            "AccessLogSetting", {"DestinationArn": self.access_log_group.attr_arn, "Format": json.dumps(ACCESS_LOG)}
        )
        # API Gateway writes execution logs (ERROR) to a group it would create with no retention: the stack makes it.
        self.execution_log_group = logs.CfnLogGroup(
            self,
            "ApiExecutionLogs",
            log_group_name=cdk.Fn.join("", ["API-Gateway-Execution-Logs_", cdk.Fn.ref("RestAPI"), "/api"]),
            retention_in_days=s.log_retention_days,
        )
        self.execution_log_group.apply_removal_policy(KEEP)
        if s.manage_api_gateway_account:
            self._api_gateway_account(api)

    def _api_gateway_account(self, api: cdk.CfnResource) -> None:
        """API Gateway writes logs with one role per account and region, set in its account settings."""
        groups = f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:*"
        role = self.api_gateway_logs_role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway's account-wide role for writing access and execution logs",
            inline_policies={
                "logs": iam.PolicyDocument(
                    statements=[
                        _allow(
                            (
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogGroups",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                                "logs:GetLogEvents",
                                "logs:FilterLogEvents",
                            ),
                            [groups],
                            sid="ApiGatewayLogs",
                        )
                    ]
                )
            },
        )
        from aws_cdk import aws_apigateway as apigateway

        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        # The setting is account-wide and outlives the stack; so must the role it names, or every API in the region
        # would stop logging when this stack is deleted.
        account.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        api.node.add_dependency(account)

    def _deny_band_end_decrypt_to_all_but_transitions(self) -> None:
        """Belt and braces: even an administrator's role cannot open a band end with the key; only the birthday job's
        role may (the key policy can still be changed by the account, which CloudTrail records)."""
        self.band_end_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheBirthdayJobDecrypts",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                # Re-encrypting under another key would open a sealed value as surely as decrypting it.
                actions=["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"ArnNotEquals": {"aws:PrincipalArn": self.roles["band_transitions"].role_arn}},
            )
        )

    # --- alarms ---------------------------------------------------------------------------------------------------

    def _alarms(self) -> None:
        # The alarm topic has a key of its own, so the key that holds the service's data names no other service.
        # CloudWatch must be let in twice: by the key (it encrypts what it publishes) and by the topic's policy
        # (which replaces SNS's default one): without either, no alarm would ever reach anyone, silently.
        self.alarms_key = kms.Key(
            self,
            "AlarmsKey",
            description="safety-settings: the alarm topic",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,  # it holds no data: alarm messages in flight
            pending_window=cdk.Duration.days(7),
        )
        self.alarms_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchPublishesAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        topic = sns.Topic(
            self, "Alarms", display_name="safety-settings alarms", master_key=self.alarms_key, enforce_ssl=True
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchPublishesAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:*"
                    },
                },
            )
        )
        if self.settings.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.settings.alarm_email))
        notify = actions.SnsAction(topic)
        # Depth where nothing consumes the queue; messages sent where a consumer drains it within seconds (the
        # export dead-letter queue's marks the export failed): either way, any one message alarms.
        for name, queue, drained in (
            ("ExportDeadLetters", self.export_dlq, True),
            ("StreamFailures", self.stream_failures, False),
            ("JobFailures", self.job_failures, False),
        ):
            period = cdk.Duration.minutes(5)
            metric = (
                queue.metric_number_of_messages_sent(period=period)
                if drained
                else queue.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum")
            )
            alarm = metric.create_alarm(
                self,
                f"{name}Waiting",
                alarm_description=f"a message reached {name}: work that failed every retry",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(notify)
        server_errors = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="5XXError",
            dimensions_map={"ApiName": self.settings.stage, "Stage": "api"},
            statistic="Sum",
            period=cdk.Duration.minutes(5),
        ).create_alarm(
            self,
            "ApiServerErrors",
            alarm_description="the API answered 5xx: the service, not a client, failed",
            threshold=5,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        server_errors.add_alarm_action(notify)
        self.alarm_topic = topic


# One JSON line per request: never the Authorization header, never a body.
ACCESS_LOG = {
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "method": "$context.httpMethod",
    "resource": "$context.resourcePath",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "responseLength": "$context.responseLength",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "errorType": "$context.error.responseType",
    "sub": "$context.authorizer.claims.sub",
}


def _allow(actions_: tuple[str, ...] | list[str], resources: list[str], *, sid: str) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, effect=iam.Effect.ALLOW, actions=sorted(actions_), resources=resources)

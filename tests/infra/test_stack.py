"""The synthesized stack holds each property the deployment promises (CDK assertions over the template)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.api.routes import ROUTES
from chalicelib.identity import KNOWN_GROUPS
from infra.exports import MAX_RECEIVES
from infra.permissions import FUNCTIONS
from infra.tables import ALL_TABLES
from tests.infra.conftest import EXISTING_POOL, Synth

PUBLIC_PATHS = {(route.method.lower(), route.path) for route in ROUTES if route.public}


def _template(synth: Synth) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(synth.template)


def _ref_id(value: Any) -> str:
    """The logical id a `Ref` or `Fn::GetAtt` points at."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a reference: {value!r}")


def _function(synth: Synth, logical_id: str) -> dict[str, Any]:
    return synth.template["Resources"][logical_id]["Properties"]


# --- tables -------------------------------------------------------------------------------------------------------


def test_every_table_is_on_demand_capped_recoverable_protected_and_under_the_data_key(synth: Synth) -> None:
    data_key = synth.logical_id(synth.stack.data_key)
    tables = synth.resources("AWS::DynamoDB::Table")
    assert len(tables) == len(ALL_TABLES)
    for logical_id, table in tables.items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert props["OnDemandThroughput"] == {"MaxReadRequestUnits": 4000, "MaxWriteRequestUnits": 2000}
        assert props["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True,
            "RecoveryPeriodInDays": 35,
        }
        assert props["DeletionProtectionEnabled"] is True
        # Kept when the stack is deleted or the table replaced; only a first create that rolls back removes it
        assert table["DeletionPolicy"] == "RetainExceptOnCreate" and table["UpdateReplacePolicy"] == "Retain"
        sse = props["SSESpecification"]
        assert sse["SSEEnabled"] is True and sse["SSEType"] == "KMS"
        assert _ref_id(sse["KMSMasterKeyId"]) == data_key
        for index in props.get("GlobalSecondaryIndexes", []):  # an index has its own ceiling
            assert index["OnDemandThroughput"] == {"MaxReadRequestUnits": 4000, "MaxWriteRequestUnits": 2000}


def test_ttl_and_streams_exactly_where_the_code_uses_them(synth: Synth) -> None:
    for spec in ALL_TABLES:
        props = synth.template["Resources"][synth.logical_id(synth.stack.tables[spec.logical_id])]["Properties"]
        if spec.ttl_attribute:
            assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props, spec.logical_id
        if spec.stream_view_type:
            assert props["StreamSpecification"] == {"StreamViewType": spec.stream_view_type}
        else:
            assert "StreamSpecification" not in props, spec.logical_id


def test_keys_rotate_and_only_the_birthday_job_may_open_a_band_end(synth: Synth) -> None:
    keys = synth.resources("AWS::KMS::Key")
    assert keys and all(key["Properties"]["EnableKeyRotation"] is True for key in keys.values())
    band_end = keys[synth.logical_id(synth.stack.band_end_key)]["Properties"]["KeyPolicy"]["Statement"]
    deny = [s for s in band_end if s["Effect"] == "Deny"]
    assert deny == [
        {
            "Sid": "OnlyTheBirthdayJobDecrypts",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
            "Resource": "*",
            "Condition": {
                "ArnNotEquals": {
                    "aws:PrincipalArn": {"Fn::GetAtt": [synth.logical_id(synth.stack.roles["band_transitions"]), "Arn"]}
                }
            },
        }
    ]
    # And of the functions' own policies, only the birthday job's grants kms:Decrypt on that key.
    band_end_id = synth.logical_id(synth.stack.band_end_key)
    decrypting = {
        name
        for name, statements in _statements_by_function(synth).items()
        for s in statements
        if "kms:Decrypt" in _actions(s) and band_end_id in json.dumps(s["Resource"])
    }
    assert decrypting == {"band_transitions"}


# --- the export bucket and the queues ------------------------------------------------------------------------------


def test_export_bucket_is_private_kms_encrypted_tls_only_and_expires_exports(synth: Synth) -> None:
    template = _template(synth)
    bucket_id = synth.logical_id(synth.stack.export_bucket)
    bucket = synth.template["Resources"][bucket_id]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert _ref_id(encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == synth.logical_id(
        synth.stack.data_key
    )
    rule = bucket["LifecycleConfiguration"]["Rules"][0]
    assert rule["Prefix"] == "exports/" and rule["ExpirationInDays"] == 30 and rule["Status"] == "Enabled"
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "LoggingConfiguration" in bucket
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "s3:*",
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                    }
                ]
            },
        },
    )


def test_every_queue_is_kms_encrypted_tls_only_with_retention_and_the_export_queue_dead_letters(synth: Synth) -> None:
    template = _template(synth)
    data_key = synth.logical_id(synth.stack.data_key)
    queues = synth.resources("AWS::SQS::Queue")
    assert len(queues) == 4
    for logical_id, queue in queues.items():
        props = queue["Properties"]
        assert _ref_id(props["KmsMasterKeyId"]) == data_key, logical_id
        assert queue["DeletionPolicy"] == "RetainExceptOnCreate"  # failed work outlives the stack
        assert props["MessageRetentionPeriod"] in (4 * 86_400, 14 * 86_400)
        template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": logical_id}],
                "PolicyDocument": {
                    "Statement": [{"Condition": {"Bool": {"aws:SecureTransport": "false"}}, "Effect": "Deny"}]
                },
            },
        )
    export_queue = queues[synth.logical_id(synth.stack.export_queue)]["Properties"]
    assert export_queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [synth.logical_id(synth.stack.export_dlq), "Arn"]},
        "maxReceiveCount": MAX_RECEIVES,
    }
    assert export_queue["VisibilityTimeout"] > 900  # longer than the worker may run


# --- identity and the API ------------------------------------------------------------------------------------------


def test_without_a_pool_the_stack_creates_one_with_every_group(synth: Synth) -> None:
    pools = synth.resources("AWS::Cognito::UserPool")
    assert len(pools) == 1
    pool = next(iter(pools.values()))["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"} and pool["UserPoolTier"] == "PLUS"
    assert pool["DeletionProtection"] == "ACTIVE" and pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    groups = {g["Properties"]["GroupName"] for g in synth.resources("AWS::Cognito::UserPoolGroup").values()}
    assert groups == KNOWN_GROUPS
    authorizer = _authorizer(synth)
    assert authorizer["providerARNs"] == [{"Fn::GetAtt": [next(iter(pools)), "Arn"]}]


def test_with_a_pool_named_the_stack_creates_none_and_trusts_that_one(synth_configured: Synth) -> None:
    assert synth_configured.resources("AWS::Cognito::UserPool") == {}
    assert synth_configured.resources("AWS::Cognito::UserPoolGroup") == {}
    assert _authorizer(synth_configured)["providerARNs"] == [EXISTING_POOL]


def test_the_authorizer_guards_every_route_but_health_policy_and_openapi(synth: Synth) -> None:
    paths = _api(synth)["DefinitionBody"]["paths"]
    seen = set()
    for path, methods in paths.items():
        for method, operation in methods.items():
            if method == "options":  # CORS preflight: none configured
                continue
            seen.add((method, path))
            if (method, path) in PUBLIC_PATHS:
                assert "security" not in operation, (method, path)
            else:
                assert operation.get("security") == [{"users": []}], (method, path)
    assert seen == {(route.method.lower(), route.path) for route in ROUTES}
    assert {path for _, path in PUBLIC_PATHS} == {
        "/v1/health",
        "/v1/policy",
        "/v1/policy/versions/{version}",
        "/v1/openapi.json",
    }


@pytest.mark.parametrize(
    ("response_type", "status"),
    [
        ("UNAUTHORIZED", "401"),
        ("ACCESS_DENIED", "403"),
        ("MISSING_AUTHENTICATION_TOKEN", "404"),
        ("RESOURCE_NOT_FOUND", "404"),
        ("REQUEST_TOO_LARGE", "413"),
        ("THROTTLED", "429"),
        ("QUOTA_EXCEEDED", "429"),
        ("INTEGRATION_TIMEOUT", "504"),
        ("DEFAULT_5XX", None),
        ("DEFAULT_4XX", None),
    ],
)
def test_gateway_answers_are_problem_json_like_the_apps(synth: Synth, response_type: str, status: str | None) -> None:
    response = _api(synth)["GatewayResponses"][response_type]
    assert response.get("StatusCode") == status
    assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/problem+json'"
    for template in response["ResponseTemplates"].values():
        body = json.loads(template)
        assert body["type"].startswith("urn:safety-settings:problem:") and body["code"] and body["detail"]
        assert "$" not in template  # nothing from the request (a header, a path, a token) is echoed
        if status:
            assert body["status"] == int(status)


def test_stage_throttling_and_access_logs_follow_the_context(synth: Synth, synth_configured: Synth) -> None:
    for stack, rate, burst in ((synth, 200.0, 400), (synth_configured, 50, 100)):
        api = _api(stack)
        assert api["MethodSettings"] == [
            {
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingRateLimit": rate,
                "ThrottlingBurstLimit": burst,
                "MetricsEnabled": True,
                "LoggingLevel": "ERROR",
                "DataTraceEnabled": False,
            }
        ]
        log_format = json.loads(api["AccessLogSetting"]["Format"])
        assert "$context.requestId" in log_format.values()
        assert not any("header" in value.lower() or "body" in value.lower() for value in log_format.values())
        assert _ref_id(api["AccessLogSetting"]["DestinationArn"]) == stack.logical_id(stack.stack.access_log_group)


def test_every_log_group_keeps_90_days_by_default_and_what_the_context_says(
    synth: Synth, synth_configured: Synth
) -> None:
    for stack, days in ((synth, 90), (synth_configured, 365)):
        groups = stack.resources("AWS::Logs::LogGroup")
        assert len(groups) == len(FUNCTIONS) + 2  # one per function, the API's access and execution logs
        assert {group["Properties"]["RetentionInDays"] for group in groups.values()} == {days}
        for access in FUNCTIONS:
            config = _function(stack, access.logical_id)["LoggingConfig"]
            assert config["LogFormat"] == "JSON"
            assert config["LogGroup"] == {"Ref": stack.logical_id(stack.stack.log_groups[access.name])}


# --- functions -----------------------------------------------------------------------------------------------------


def test_each_function_has_a_role_of_its_own_and_the_powertools_settings(synth: Synth) -> None:
    roles = set()
    for access in FUNCTIONS:
        props = _function(synth, access.logical_id)
        roles.add(_ref_id(props["Role"]))
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == "safety-settings"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "SafetySettings"
        assert set(access.environment) <= env.keys()
        assert props["Runtime"] == "python3.11"
    assert len(roles) == len(FUNCTIONS)
    assert "DefaultRole" not in synth.template["Resources"]  # chalice's shared role is gone


def test_api_answers_before_api_gateway_gives_up_and_jobs_never_run_twice(
    synth: Synth, synth_configured: Synth
) -> None:
    assert _function(synth, "APIHandler")["Timeout"] < 29
    assert "ReservedConcurrentExecutions" not in _function(synth, "APIHandler")
    for logical_id in ("BandTransitions", "PolicyMigration"):
        assert _function(synth, logical_id)["ReservedConcurrentExecutions"] == 1
    assert _function(synth, "ExportWorker")["ReservedConcurrentExecutions"] == 10
    assert _function(synth_configured, "ExportWorker")["ReservedConcurrentExecutions"] == 4
    # An SQS event source never polls more at once than its function may run (no throttled receives)
    for stack, logical_id, most in ((synth_configured, "ExportWorker", 4), (synth, "ExportDeadLetters", 2)):
        (source,) = _function(stack, logical_id)["Events"].values()
        assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": most}
        assert _function(stack, logical_id)["ReservedConcurrentExecutions"] == most


def test_queue_and_stream_consumers_report_partial_batch_failures_and_keep_what_fails(synth: Synth) -> None:
    stream = _function(synth, "ReportsStream")["Events"]["ReportsStreamDynamodbEventSource"]["Properties"]
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _ref_id(stream["Stream"]) == synth.logical_id(synth.stack.tables["ReportsTable"])
    assert _ref_id(stream["DestinationConfig"]["OnFailure"]["Destination"]) == synth.logical_id(
        synth.stack.stream_failures
    )
    for logical_id, queue in (
        ("ExportWorker", synth.stack.export_queue),
        ("ExportDeadLetters", synth.stack.export_dlq),
    ):
        (event,) = _function(synth, logical_id)["Events"].values()
        assert event["Type"] == "SQS"
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert _ref_id(event["Properties"]["Queue"]) == synth.logical_id(queue)
    for logical_id in ("BandTransitions", "PolicyMigration"):  # invoked asynchronously: a schedule, the CLI
        dead = _function(synth, logical_id)["DeadLetterQueue"]
        assert dead["Type"] == "SQS" and _ref_id(dead["TargetArn"]) == synth.logical_id(synth.stack.job_failures)


def test_alarms_watch_every_dead_letter_queue_and_the_apis_5xx(synth: Synth) -> None:
    alarms = list(synth.resources("AWS::CloudWatch::Alarm").values())
    watched = {
        _ref_id(d["Value"])
        for alarm in alarms
        for d in alarm["Properties"].get("Dimensions", [])
        if d["Name"] == "QueueName"
    }
    assert watched == {
        synth.logical_id(q) for q in (synth.stack.export_dlq, synth.stack.stream_failures, synth.stack.job_failures)
    }
    metrics = {a["Properties"]["MetricName"] for a in alarms}
    assert {"ApproximateNumberOfMessagesVisible", "NumberOfMessagesSent"} <= metrics  # depth, and the drained DLQ
    (server_errors,) = [a for a in alarms if a["Properties"]["MetricName"] == "5XXError"]
    assert {d["Name"]: d["Value"] for d in server_errors["Properties"]["Dimensions"]} == {
        "ApiName": "safety-settings",
        "Stage": "api",
    }
    assert all(alarm["Properties"]["AlarmActions"] for alarm in alarms)
    # The topic has a key of its own that lets CloudWatch encrypt, and a policy that lets it publish (a topic
    # policy replaces SNS's default one): without either, no alarm would reach anyone
    (topic_id, topic), *_ = synth.resources("AWS::SNS::Topic").items()
    alarms_key = synth.logical_id(synth.stack.alarms_key)
    assert _ref_id(topic["Properties"]["KmsMasterKeyId"]) == alarms_key != synth.logical_id(synth.stack.data_key)
    key_statements = synth.template["Resources"][alarms_key]["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and set(s["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
        for s in key_statements
    )
    (policy,) = [
        p for p in synth.resources("AWS::SNS::TopicPolicy").values() if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    assert any(
        s["Effect"] == "Allow"
        and s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and s["Action"] == "sns:Publish"
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )
    data_key_statements = synth.template["Resources"][synth.logical_id(synth.stack.data_key)]["Properties"]
    assert "cloudwatch" not in json.dumps(data_key_statements["KeyPolicy"])  # the data key names no other service


def test_without_reservations_no_function_reserves_concurrency(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.infra.conftest import synthesize

    stack = synthesize(tmp_path_factory.mktemp("cdk-unreserved"), {"reserveConcurrency": "false"})
    assert all(
        "ReservedConcurrentExecutions" not in f["Properties"]
        for f in stack.resources("AWS::Serverless::Function").values()
    )
    assert stack.findings == []


# --- IAM -------------------------------------------------------------------------------------------------------------


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def _statements_by_function(synth: Synth) -> dict[str, list[dict[str, Any]]]:
    """Every IAM statement that applies to each function's role: its inline policies and attached policies."""
    out: dict[str, list[dict[str, Any]]] = {}
    policies = synth.resources("AWS::IAM::Policy")
    for access in FUNCTIONS:
        role_id = synth.logical_id(synth.stack.roles[access.name])
        role = synth.template["Resources"][role_id]["Properties"]
        statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        for policy in policies.values():
            if {"Ref": role_id} in policy["Properties"].get("Roles", []):
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        assert "ManagedPolicyArns" not in role, access.name
        out[access.name] = statements
    return out


def test_no_iam_statement_has_a_wildcard_action_or_a_bare_wildcard_resource(synth: Synth) -> None:
    for resource_type in ("AWS::IAM::Role", "AWS::IAM::Policy"):
        for logical_id, resource in synth.resources(resource_type).items():
            props = resource["Properties"]
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
            documents += [props["PolicyDocument"]] if "PolicyDocument" in props else []
            for statement in (s for d in documents for s in d["Statement"]):
                assert not any("*" in action for action in _actions(statement)), (logical_id, statement)
                assert "*" not in _resources(statement), (logical_id, statement)


def test_each_functions_policy_holds_exactly_the_actions_permissions_declares(synth: Synth) -> None:
    """infra/permissions.py is held to the code by tests/infra/test_permissions.py; here the template to it."""
    from infra.permissions import RECEIVE_ACTIONS, STREAM_ACTIONS

    for access in FUNCTIONS:
        statements = _statements_by_function(synth)[access.name]
        granted = {action for s in statements if s["Effect"] == "Allow" for action in _actions(s)}
        expected = {"logs:CreateLogStream", "logs:PutLogEvents"}
        for grant in access.tables:
            expected |= set(grant.actions) | ({"dynamodb:Query"} if grant.indexes else set())
            expected |= {"dynamodb:Scan"} if grant.scan else set()
            expected |= set(STREAM_ACTIONS) if grant.stream else set()
        expected |= set(access.band_end_key) | set(access.export_objects)
        expected |= {"sqs:GetQueueUrl", "sqs:SendMessage"} if access.sends_to else set()
        expected |= set(RECEIVE_ACTIONS) if access.receives_from else set()
        expected |= {"sqs:SendMessage"} if access.fails_to else set()
        expected |= {"ssm:GetParameter", "secretsmanager:GetSecretValue"} if access.root_secret else set()
        expected |= {"kms:Decrypt", "kms:DescribeKey"}  # the data key, only through the services holding data
        expected |= {"kms:Encrypt", "kms:GenerateDataKey"} if access.writes_data() else set()
        assert granted == expected, access.name


def test_the_api_can_never_scan_and_only_the_export_worker_can(synth: Synth) -> None:
    scanning = {
        name
        for name, statements in _statements_by_function(synth).items()
        for s in statements
        if "dynamodb:Scan" in _actions(s)
    }
    assert scanning == {"export_worker"}


def test_table_statements_name_the_exact_table_and_index_arns(synth: Synth) -> None:
    table_ids = {synth.logical_id(t) for t in synth.stack.tables.values()}
    for name, statements in _statements_by_function(synth).items():
        for statement in statements:
            if not any(action.startswith("dynamodb:") for action in _actions(statement)):
                continue
            for resource in _resources(statement):
                text = json.dumps(resource)
                assert any(table_id in text for table_id in table_ids), (name, resource)
                if isinstance(resource, dict) and "Fn::Join" in resource:  # an index or the stream
                    suffix = resource["Fn::Join"][1][-1]
                    assert suffix.startswith("/index/") and "*" not in suffix, (name, resource)


def test_the_data_key_is_usable_only_through_the_services_that_hold_data(synth: Synth) -> None:
    data_key = synth.logical_id(synth.stack.data_key)
    for name, statements in _statements_by_function(synth).items():
        (statement,) = [s for s in statements if data_key in json.dumps(s["Resource"])]
        services = statement["Condition"]["StringEquals"]["kms:ViaService"]
        assert services and all(".amazonaws.com" in json.dumps(s) for s in services), name


# --- helpers --------------------------------------------------------------------------------------------------------


def _api(synth: Synth) -> dict[str, Any]:
    (api,) = synth.resources("AWS::Serverless::Api").values()
    return dict(api["Properties"])


def _authorizer(synth: Synth) -> dict[str, Any]:
    security = _api(synth)["DefinitionBody"]["securityDefinitions"]["users"]
    return dict(security["x-amazon-apigateway-authorizer"])

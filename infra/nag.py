"""cdk-nag's AWS Solutions checks, and every finding the stack acknowledges, each with its written reason.

cdk-nag sees only CloudFormation resources; the functions and the REST API that Chalice generates are SAM resources
until CloudFormation's transform expands them, so `expanded_checks` expands the synthesized template offline with
aws-sam-translator (the transform CloudFormation itself runs) and checks the result in an app of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.permissions import FUNCTIONS

NAG_PACK = "AwsSolutions"
# Parameter values the offline SAM expansion resolves pseudo parameters with (they change no finding).
EXPANSION_PARAMETERS = {"AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}

LOG_STREAMS = (
    "Lambda names a log stream per execution environment, so a function may write streams in its own log group "
    "only: the group is pinned, the streams cannot be"
)
EXPORT_PREFIX = (
    "export files are named per export (exports/<id>/...): access is pinned to the export bucket's exports/ prefix"
)


def add_checks(app: Any) -> None:
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    # The acknowledgments are written into each resource's Metadata too: the audit trail in the template itself,
    # and how the check of the expanded template carries them over to the same resources.
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )


def _ack(construct: Any, rule: str, reason: str) -> None:
    import aws_cdk as cdk

    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"{NAG_PACK}::{NAG_PACK}-{rule}", reason=reason))


def _ref(stack: Any, construct: Any) -> str:
    """How cdk-nag writes a reference to `construct`'s ARN in a finding: `<LogicalId.Arn>`."""
    return f"<{stack.resolve(stack.get_logical_id(construct.node.default_child))}.Arn>"


def acknowledge(stack: Any) -> None:
    """The findings the stack accepts, each for a stated reason (tests/infra/test_nag.py: none other remains)."""
    dead_letters = (
        "it is itself a dead-letter queue: {what} lands here after every retry failed, and an alarm watches its depth"
    )
    _ack(stack.stream_failures, "SQS3", dead_letters.format(what="a reports-stream batch"))
    _ack(stack.job_failures, "SQS3", dead_letters.format(what="a scheduled or invoked job's failed invocation"))
    _ack(
        stack.root_secret,
        "SMG4",
        "the root secret derives the keys that sign paging cursors and derive report ids; rotating it is a planned "
        "operation (README: Operations), since outstanding cursors and idempotent replays would stop matching",
    )
    for access in FUNCTIONS:
        role = stack.roles[access.name]
        group = stack.log_group_name(access)
        _ack(
            role,
            f"IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:{group}:*]",
            LOG_STREAMS,
        )
        if access.export_objects:
            _ack(role, f"IAM5[Resource::{_ref(stack, stack.export_bucket)}/exports/*]", EXPORT_PREFIX)
    if getattr(stack, "api_gateway_logs_role", None) is not None:
        _ack(
            stack.api_gateway_logs_role,
            "IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]",
            "API Gateway's account-wide logging role creates and writes its own execution log groups "
            "(API-Gateway-Execution-Logs_<api id>/<stage>), whose names are not known before the API exists",
        )
    if getattr(stack, "user_pool", None) is not None:
        _ack(
            stack.user_pool,
            "COG2",
            "account holders include 13-year-olds signing in from the platform's app; MFA is offered (TOTP) but not "
            "forced on them. Staff groups (moderator, auditor) belong in a pool that enforces MFA: pass userPoolArn",
        )


# --- the SAM resources, expanded ----------------------------------------------------------------------------------

# By the expanded resource's type: the rule acknowledged on it, and why.
EXPANDED_ACKS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "AWS::Lambda::Function": (
        ("L1", "the service's runtime is fixed at Python 3.11 (the project's stack); moving up is its own change"),
    ),
    "AWS::ApiGateway::RestApi": (
        (
            "APIG2",
            "every request is validated by the app's pydantic models, answering problem+json that names each field; "
            "API Gateway's validator would answer first, in another shape",
        ),
    ),
    "AWS::ApiGateway::Stage": (
        (
            "APIG3",
            "a WAF web ACL is each account's own decision, with its own cost: stage throttling limits floods, and an "
            "ACL can be associated with the stage without changing this stack",
        ),
    ),
}


def expand_sam(template: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation's `AWS::Serverless-2016-10-31` transform, run offline."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # Every function has its own role, so the transform needs no managed policy's ARN; a session with a region (and
    # no credentials: nothing is called) lets it fill in the pseudo parameters.
    session = boto3.session.Session(region_name=EXPANSION_PARAMETERS["AWS::Region"])
    translator = Translator(None, Parser(), boto_session=session)
    expanded: dict[str, Any] = translator.translate(
        json.loads(json.dumps(template)), parameter_values=dict(EXPANSION_PARAMETERS), get_managed_policy_map=dict
    )
    return expanded


def expanded_findings(template: Mapping[str, Any], outdir: Path) -> list[dict[str, Any]]:
    """cdk-nag over the expanded template: the unacknowledged findings (an empty list when all is well)."""
    import aws_cdk as cdk
    from aws_cdk import cloudformation_include as cfn_include

    expanded = expand_sam(template)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "expanded.template.json"
    path.write_text(json.dumps(expanded, indent=1))
    app = cdk.App(outdir=str(outdir / "cdk.out"))
    # The included template already has the bootstrap version parameter and rule: the stack must not add them again.
    synthesizer = cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    stack = cdk.Stack(app, "Expanded", synthesizer=synthesizer)
    included = cfn_include.CfnInclude(stack, "Template", template_file=str(path))
    for logical_id, resource in expanded["Resources"].items():
        construct = included.get_resource(logical_id)
        # The same acknowledgments, with the same reasons, the stack's own check wrote into the template.
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule["id"], reason=rule["reason"]))
        for rule, reason in EXPANDED_ACKS.get(resource["Type"], ()):
            _ack(construct, rule, reason)
    add_checks(app)
    return _synth_findings(app, outdir / "cdk.out")


def _synth_findings(app: Any, outdir: Path) -> list[dict[str, Any]]:
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
    return report_findings(outdir)


def report_findings(outdir: Path) -> list[dict[str, Any]]:
    """The violations cdk-nag wrote into the cloud assembly's validation report (none: no report, or empty)."""
    report = outdir / "validation-report.json"
    if not report.exists():
        return []
    data = json.loads(report.read_text())
    findings = []
    for plugin in data.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []) + violation.get("violatingResources", []):
                findings.append(
                    {
                        "plugin": plugin.get("pluginName"),
                        "rule": violation.get("ruleName"),
                        "severity": violation.get("severity"),
                        "path": construct.get("constructPath") or construct.get("resourceLogicalId"),
                        "description": violation.get("description", "")[:200],
                    }
                )
    return findings

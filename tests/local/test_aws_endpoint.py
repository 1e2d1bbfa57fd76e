"""The embedded moto as an AWS endpoint: what the API wrote can be read with the AWS tools, as in AWS."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from devstack.local_stack import LocalStack, moto_port_for
from tests.local.test_http import sign_up


def test_a_plain_boto3_client_at_the_moto_url_lists_the_tables_and_reads_what_the_api_wrote(stack: LocalStack) -> None:
    # Given an account signed up through the API
    assert sign_up(stack, "u-aws-1").status_code == 201

    # When a boto3 client of its own, pointed only at the moto URL, looks at DynamoDB
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name=os.environ["AWS_DEFAULT_REGION"],
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
    )
    tables = client.list_tables()["TableNames"]
    items = client.scan(TableName=os.environ["SETTINGS_TABLE"])["Items"]

    # Then it sees the service's tables, and the account the API wrote
    assert {os.environ["SETTINGS_TABLE"], os.environ["REPORTS_TABLE"], os.environ["IDEMPOTENCY_TABLE"]} <= set(tables)
    assert any("u-aws-1" in json.dumps(item) for item in items)


@pytest.mark.parametrize("service", ["dynamodb", "ssm", "kms", "s3", "sqs"])
def test_every_aws_client_the_app_builds_goes_to_the_embedded_moto(stack: LocalStack, service: str) -> None:
    # When the app builds a client the way it does in AWS, naming no endpoint
    client = boto3.client(service, region_name=os.environ["AWS_DEFAULT_REGION"])  # type: ignore[call-overload]

    # Then it talks to the embedded moto
    assert client.meta.endpoint_url == stack.moto_url


@pytest.mark.parametrize(
    ("env", "port"),
    [({"PORT": "8000"}, 8001), ({"PORT": "8000", "MOTO_PORT": "9100"}, 9100), ({"PORT": "0"}, 0), ({}, 0)],
)
def test_moto_listens_on_moto_port_else_the_port_after_the_apis(env: dict[str, str], port: int) -> None:
    assert moto_port_for(env) == port

"""The tables, keys and queues the stack declares are those `make run` creates (on moto): same keys, indexes,
projections, TTL and streams; the same keys by purpose; the same dead-letter rule. Both are built from infra/*.py;
this holds the two builders to each other."""

from __future__ import annotations

import json
from typing import Any

import boto3

from infra.exports import EXPORT_QUEUE, MAX_RECEIVES, VISIBILITY_TIMEOUT_SECONDS
from infra.keys import ALL_KEYS
from infra.tables import ALL_TABLES
from tests.infra.conftest import Synth


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, Any]:
    """Each index's keys, projection and projected attributes: DescribeTable and the template spell them alike."""
    return {
        index["IndexName"]: (
            {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]},
            index["Projection"]["ProjectionType"],
            sorted(index["Projection"].get("NonKeyAttributes", [])),
        )
        for index in indexes
    }


def _shape(table: dict[str, Any], ttl: str | None, stream: str | None) -> dict[str, Any]:
    return {
        "keys": {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]},
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]},
        "indexes": _indexes(table.get("GlobalSecondaryIndexes", [])),
        "ttl": ttl,
        "stream": stream,
    }


def _shape_of_description(table: dict[str, Any], ttl: dict[str, Any]) -> dict[str, Any]:
    enabled = ttl["AttributeName"] if ttl.get("TimeToLiveStatus") == "ENABLED" else None
    return _shape(table, enabled, table.get("StreamSpecification", {}).get("StreamViewType"))


def _shape_of_template(props: dict[str, Any]) -> dict[str, Any]:
    ttl = props.get("TimeToLiveSpecification")
    enabled = ttl["AttributeName"] if ttl and ttl["Enabled"] else None
    return _shape(props, enabled, props.get("StreamSpecification", {}).get("StreamViewType"))


def test_every_table_has_the_same_keys_indexes_ttl_and_stream_in_both(synth: Synth, aws: None) -> None:
    # Given the tables `make run` creates (tests/conftest.py's `aws` fixture runs the same create_tables on moto)
    client = boto3.client("dynamodb", region_name="eu-west-1")
    for spec in ALL_TABLES:
        name = spec.name_in({})
        local = _shape_of_description(
            client.describe_table(TableName=name)["Table"],
            client.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
        )
        # When the deployed table of the same definition is read from the template
        logical_id = synth.logical_id(synth.stack.tables[spec.logical_id])
        deployed = _shape_of_template(synth.template["Resources"][logical_id]["Properties"])
        # Then they are the same table
        assert local == deployed, spec.logical_id
        assert set(local["indexes"]) == {index.name for index in spec.indexes}


def test_every_key_the_code_uses_exists_in_both_and_is_found_the_same_way(synth: Synth, aws: None) -> None:
    kms = boto3.client("kms", region_name="eu-west-1")
    local_aliases = {entry["AliasName"] for entry in kms.list_aliases()["Aliases"]}
    aliases = synth.resources("AWS::KMS::Alias")
    for spec in ALL_KEYS:
        assert spec.alias_in({}) in local_aliases
        key_id = synth.logical_id(synth.stack.keys[spec.logical_id])
        (alias,) = [a for a in aliases.values() if a["Properties"]["TargetKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}]
        told = {
            access_env[spec.env_var]
            for access_env in (
                f["Properties"]["Environment"]["Variables"]
                for f in synth.resources("AWS::Serverless::Function").values()
            )
            if spec.env_var in access_env
        }
        assert told == {alias["Properties"]["AliasName"]}  # every function that uses it is told the stack's alias


def test_the_export_queue_dead_letters_the_same_way_in_both(synth: Synth, aws: None) -> None:
    sqs = boto3.client("sqs", region_name="eu-west-1")
    url = sqs.get_queue_url(QueueName=EXPORT_QUEUE.name_in({}))["QueueUrl"]
    local = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    deployed = synth.template["Resources"][synth.logical_id(synth.stack.export_queue)]["Properties"]
    assert int(local["VisibilityTimeout"]) == deployed["VisibilityTimeout"] == VISIBILITY_TIMEOUT_SECONDS
    assert int(json.loads(local["RedrivePolicy"])["maxReceiveCount"]) == MAX_RECEIVES
    assert deployed["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES

"""The compliance export's bucket and queues, as plain data: the local stack and the CDK stack both build from these.

Code finds the bucket and queues by name, read from environment variables, so the same code runs on moto and in AWS.
A segment message that fails `MAX_RECEIVES` times moves to the dead-letter queue, whose consumer marks the export
failed (never complete with lines missing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_RECEIVES = 5  # AWS's advice for a Lambda consumer: throttled deliveries count as receives
# Longer than the worker's 900 s timeout, so a message is never handed to a second worker while the first still runs.
VISIBILITY_TIMEOUT_SECONDS = 960


@dataclass(frozen=True)
class NamedResource:
    logical_id: str
    env_var: str
    default_name: str

    def name_in(self, env: Mapping[str, str]) -> str:
        return env.get(self.env_var) or self.default_name


EXPORT_BUCKET = NamedResource("ExportBucket", "EXPORT_BUCKET", "safety-settings-exports")
EXPORT_QUEUE = NamedResource("ExportQueue", "EXPORT_QUEUE", "safety-settings-exports")
EXPORT_DLQ = NamedResource("ExportDeadLetters", "EXPORT_DLQ", "safety-settings-exports-dead")


def create_export_resources(s3: Any, sqs: Any, env: Mapping[str, str] | None = None) -> None:
    """The private, encrypted bucket and the queue with its dead-letter queue, where they do not exist yet (the local
    stack, tests and benchmarks)."""
    env = os.environ if env is None else env
    bucket = EXPORT_BUCKET.name_in(env)
    if bucket not in {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}:
        region = s3.meta.region_name
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **location)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {  # a worker stopped mid-upload leaves parts nobody will complete
                    "ID": "abort-incomplete-uploads",
                    "Filter": {"Prefix": "exports/"},
                    "Status": "Enabled",
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                },
            ]
        },
    )
    dead = sqs.create_queue(QueueName=EXPORT_DLQ.name_in(env))["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(
        QueueName=EXPORT_QUEUE.name_in(env),
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
        },
    )

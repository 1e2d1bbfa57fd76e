"""The export bucket (S3) and the export queue (SQS): streaming multipart writes that hash what they store, streamed
reads, presigned downloads (SigV4), and the queue the export's work is fanned out on.

A writer holds at most one part (8 MiB) in memory whatever the object's size; an object smaller than one part is a
single PutObject. A writer that fails aborts its multipart upload, so no half object is left behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.domain.errors import Unavailable

PART_BYTES = 8 * 1024 * 1024  # above S3's 5 MiB minimum for every part but the last
READ_CHUNK = 1024 * 1024


def make_s3_client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    # Presigned URLs must be SigV4 (boto3's default for S3 presigning is SigV2).
    config = Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 5})
    return boto3.client("s3", region_name=region, config=config)


def make_sqs_client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("sqs", region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 5}))


class S3Writer:
    def __init__(self, client: Any, bucket: str, key: str, content_type: str) -> None:
        self._client, self._bucket, self._key, self._content_type = client, bucket, key, content_type
        self._buffer = bytearray()
        self._hash = hashlib.sha256()
        self._size = 0
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self._buffer += data
        self._hash.update(data)
        self._size += len(data)
        if len(self._buffer) >= PART_BYTES:
            self._upload_part()

    def _upload_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._content_type
            )["UploadId"]
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=bytes(self._buffer)
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer.clear()

    def close(self) -> tuple[int, str]:
        if self._upload_id is None:
            self._client.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), ContentType=self._content_type
            )
        else:
            if self._buffer:
                self._upload_part()
            self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        self._buffer.clear()
        return self._size, self._hash.hexdigest()

    def abort(self) -> None:
        if self._upload_id is not None:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            self._upload_id = None


class S3Objects:
    def __init__(self, bucket: str, client: Callable[[], Any]) -> None:
        self._bucket = bucket
        self._client_provider = client

    @property
    def _client(self) -> Any:
        return self._client_provider()

    def writer(self, key: str, content_type: str) -> S3Writer:
        return S3Writer(self._client, self._bucket, key, content_type)

    def read(self, key: str) -> Iterator[bytes]:
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(READ_CHUNK)
        finally:
            body.close()

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            data: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise Unavailable("the export bucket could not be read; try again shortly") from error
        return data

    def put(self, key: str, body: bytes, content_type: str) -> str:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)
        return hashlib.sha256(body).hexdigest()

    def presign(self, key: str, seconds: int, filename: str) -> str:
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=seconds,
        )
        return url

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self._client.delete_objects(
                Bucket=self._bucket, Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True}
            )


class SqsQueue:
    """The export queue, found by name on first use."""

    def __init__(self, name: str, client: Callable[[], Any]) -> None:
        self._name = name
        self._client_provider = client
        self._url: str | None = None

    def _queue_url(self) -> str:
        if self._url is None:
            self._url = str(self._client_provider().get_queue_url(QueueName=self._name)["QueueUrl"])
        return self._url

    def send(self, messages: list[dict[str, Any]]) -> None:
        """Sends every message (batches of 10), retrying any the queue did not take; `Unavailable` if some stay."""
        for start in range(0, len(messages), 10):
            pending = {str(i): json.dumps(m, sort_keys=True) for i, m in enumerate(messages[start : start + 10])}
            for _ in range(5):
                response = self._client_provider().send_message_batch(
                    QueueUrl=self._queue_url(),
                    Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()],
                )
                pending = {f["Id"]: pending[f["Id"]] for f in response.get("Failed", [])}
                if not pending:
                    break
            if pending:
                raise Unavailable("the export's work could not be queued; try again shortly")

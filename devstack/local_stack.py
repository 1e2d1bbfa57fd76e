"""The whole service in one process: an embedded moto (AWS) and the Chalice app behind a local API Gateway.

`make run` starts it (`python -m devstack.local_stack`; the API on $PORT, moto on $MOTO_PORT, default $PORT + 1),
with the export workers fed from moto's queues (devstack/queue_pump.py);
tests/local start the same thing in-process with `start_local_stack()`. `LocalStack.start_stream_pump` plays Lambda's
part for a table's stream (devstack/stream_pump.py). Neither moto nor the app is thread-safe, so
each sits behind its own lock (moto's here, the app's in devstack/gateway.py). Only an app request waits on moto's
lock while holding the app's, never the reverse, so the two cannot deadlock.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from chalice.app import Chalice
from werkzeug.serving import BaseWSGIServer, make_server

from devstack import moto_patches
from devstack.gateway import ApiServer
from devstack.queue_pump import QueuePump
from devstack.stream_pump import Handler, StreamPump, streams_client
from devstack.token import local_jwt_secret
from infra.exports import EXPORT_BUCKET, EXPORT_DLQ, EXPORT_QUEUE, create_export_resources
from infra.keys import create_keys
from infra.tables import ALL_TABLES, REPORTS, TableSpec, create_tables

HOST = "127.0.0.1"
LOCAL_REGION = "eu-west-1"
ROOT_SECRET_PARAMETER = "/safety-settings/local/root-secret"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# --- moto, one request at a time -------------------------------------------------------------------------


class _SerialisedWsgi:
    """moto's backends are plain dicts changed without locks, so moto serves one request at a time.

    The request body is read before taking the lock and the response is read whole inside it, so a slow client
    never holds the lock and no lazy response body runs after it is released.
    """

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"] = io.BytesIO(_read_wsgi_body(environ))
        with self._lock:
            response = self._app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()


def _read_wsgi_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # werkzeug's mark for a chunked body: read to its end
        body: bytes = stream.read()
        return body
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream.read(length) if length > 0 else b""


def _start_moto(port: int) -> tuple[BaseWSGIServer, threading.Thread]:
    """moto's ThreadedMotoServer, built by hand so that its WSGI app can be wrapped in the lock."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    class QuietMotoRequestHandler(MotoRequestHandler):
        def log_request(self, *args: Any) -> None:
            """One line per DynamoDB call would drown the API's own request log."""

    app = _SerialisedWsgi(DomainDispatcherApplication(create_backend_app))
    server = make_server(HOST, port, app, threaded=True, request_handler=QuietMotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    return server, thread


# --- environment, tables and the stack as a whole ---------------------------------------------------------


def moto_port_for(env: Mapping[str, str]) -> int:
    """$MOTO_PORT, else $PORT + 1 (with PORT=0, as in tests: any free port)."""
    if env.get("MOTO_PORT"):
        return int(env["MOTO_PORT"])
    port = int(env.get("PORT") or 0)
    return port + 1 if port else 0


def _environment(moto_url: str) -> dict[str, str | None]:
    """What the app reads at start-up (None: unset). Credentials and endpoints are forced so nothing reaches AWS.

    AWS_ENDPOINT_URL sends every client the app builds (DynamoDB, SSM, KMS, S3, SQS...) to moto; a service-specific
    AWS_ENDPOINT_URL_<SERVICE> from the shell would win over it, and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS would turn
    both off, so those are unset.
    """
    region = os.environ.get("AWS_DEFAULT_REGION") or LOCAL_REGION
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": None,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AUTH_MODE": "local",
            "ROOT_SECRET_PARAMETER": ROOT_SECRET_PARAMETER,
            "LOCAL_JWT_SECRET": local_jwt_secret(),
            "POWERTOOLS_METRICS_NAMESPACE": os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "SafetySettings",
        }
    )
    for spec in ALL_TABLES:
        env[spec.env_var] = os.environ.get(spec.env_var) or spec.default_name
    for resource in (EXPORT_BUCKET, EXPORT_QUEUE, EXPORT_DLQ):
        env[resource.env_var] = resource.name_in(os.environ)
    return env


def _changes_since(before: Mapping[str, str]) -> dict[str, str | None]:
    """What to set (None: unset) to put the environment back as `before` had it."""
    now = os.environ
    return {name: before.get(name) for name in before.keys() | now.keys() if before.get(name) != now.get(name)}


def _set_environment(env: Mapping[str, str | None]) -> None:
    """Set each variable of `env`, or unset it where its value is None."""
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _create_tables(moto_url: str, region: str) -> None:
    import secrets

    import boto3

    create_tables(boto3.client("dynamodb", endpoint_url=moto_url, region_name=region))
    create_keys(boto3.client("kms", endpoint_url=moto_url, region_name=region))
    create_export_resources(
        boto3.client("s3", endpoint_url=moto_url, region_name=region),
        boto3.client("sqs", endpoint_url=moto_url, region_name=region),
    )
    # The root secret the app derives its keys from, where the deployed function finds it: SSM Parameter Store.
    boto3.client("ssm", endpoint_url=moto_url, region_name=region).put_parameter(
        Name=ROOT_SECRET_PARAMETER, Value=secrets.token_urlsafe(48), Type="SecureString", Overwrite=True
    )


def _forget_moto_data() -> None:
    """moto keeps its data in module globals; the next stack (or moto mock) in this process starts empty."""
    from moto.core.base_backend import BackendDict

    BackendDict.reset()


def _reports_stream_consumer() -> Handler:
    """What Lambda runs on the reports table's stream in AWS, composed as the deployed consumer is (on first use)."""
    import functools

    from chalicelib.workers.reports_stream import compose_stream_worker, handle_reports_stream

    composed = functools.cache(lambda: compose_stream_worker(os.environ))
    return lambda event: handle_reports_stream(event, composed())


def _export_pumps(moto_url: str) -> list[QueuePump]:
    """What Lambda runs on the export queue and its dead-letter queue in AWS, composed as the deployed workers are."""
    import functools

    import boto3

    from chalicelib.workers.exports import compose_export_worker, handle_dead_letters, handle_export_messages

    composed = functools.cache(lambda: compose_export_worker(os.environ))
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name=os.environ["AWS_DEFAULT_REGION"])
    return [
        QueuePump(sqs, EXPORT_QUEUE.name_in(os.environ), lambda event: handle_export_messages(event, composed())),
        QueuePump(sqs, EXPORT_DLQ.name_in(os.environ), lambda event: handle_dead_letters(event, composed()), 10),
    ]


def _local_app() -> Chalice:
    """The app the local stack serves: the deployed routes and composition, with local HS256 tokens (opted in)."""
    from devstack.local_app import build_local_app

    return build_local_app()


@dataclass
class LocalStack:
    url: str
    moto_url: str
    _moto: BaseWSGIServer
    _moto_thread: threading.Thread
    _previous_env: dict[str, str | None] = field(default_factory=dict, repr=False)  # what stop() puts back
    _api: ApiServer | None = None
    _pumps: list[StreamPump | QueuePump] = field(default_factory=list, repr=False)
    _stopped: bool = field(default=False, repr=False)

    def start_stream_pump(self, handler: Handler, table: TableSpec = REPORTS, interval: float = 0.2) -> StreamPump:
        """Deliver `table`'s stream records to `handler` as Lambda would, polling every `interval` seconds, until
        the pump or the stack stops."""
        import boto3

        region = os.environ["AWS_DEFAULT_REGION"]
        pump = StreamPump(
            boto3.client("dynamodb", endpoint_url=self.moto_url, region_name=region),
            streams_client(endpoint_url=self.moto_url, region_name=region),
            table.name_in(os.environ),
            handler,
        )
        pump.start(interval)
        self._pumps.append(pump)
        return pump

    def stop(self) -> None:
        """Stop the stream pumps, then both servers; close their sockets, put moto and the environment back as they
        were (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        for pump in self._pumps:
            pump.stop()
        if self._api is not None:
            self._api.stop()
        self._moto.shutdown()
        self._moto.server_close()
        self._moto_thread.join()
        moto_patches.uninstall()
        _forget_moto_data()
        _set_environment(self._previous_env)


def start_local_stack(port: int = 0, moto_port: int = 0) -> LocalStack:
    """Start moto and the API on 127.0.0.1 (port 0: any free port); return once both accept connections."""
    environment_before = dict(os.environ)
    moto_patches.install()
    moto, moto_thread = _start_moto(moto_port)
    moto_url = f"http://{HOST}:{moto.server_port}"
    _set_environment(_environment(moto_url))
    stack = LocalStack(url="", moto_url=moto_url, _moto=moto, _moto_thread=moto_thread)
    try:
        _create_tables(moto_url, os.environ["AWS_DEFAULT_REGION"])
        stack._api = ApiServer(_local_app(), HOST, port)
        stack._api.start()
        stack.start_stream_pump(_reports_stream_consumer())
        for pump in _export_pumps(moto_url):
            pump.start(0.2)
            stack._pumps.append(pump)
    except BaseException:
        stack._previous_env = _changes_since(environment_before)
        stack.stop()
        raise
    # Everything starting changed, ours and the app's import's (chalice sets AWS_EXECUTION_ENV): stop() puts it
    # back, and leaves alone what others set while the stack runs.
    stack._previous_env = _changes_since(environment_before)
    stack.url = f"http://{HOST}:{stack._api.port}"
    return stack


def _banner(stack: LocalStack) -> str:
    tables = ", ".join(os.environ[spec.env_var] for spec in ALL_TABLES)
    region = os.environ["AWS_DEFAULT_REGION"]
    return "\n".join(
        [
            f"safety-settings is listening on {stack.url}   (try: curl {stack.url}/v1/health)",
            f"  DynamoDB: moto at {stack.moto_url}, in memory (gone when this stops); tables {tables}",
            "  Reports:  the stream consumer (aggregation into cases, close-outs) polls moto's stream every 0.2 s",
            f"  Exports:  the export workers poll moto's queue {os.environ['EXPORT_QUEUE']} every 0.2 s; files go to "
            f"the bucket {os.environ['EXPORT_BUCKET']}",
            f"  AWS CLI:  AWS_ENDPOINT_URL={stack.moto_url} AWS_DEFAULT_REGION={region} "
            "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws dynamodb list-tables",
            "  Tokens:   make token SUB=u-1 GROUPS=auditor   (send as: Authorization: Bearer <token>)",
            f"            HS256, LOCAL_JWT_SECRET={os.environ['LOCAL_JWT_SECRET']}",
            "  Stop with Ctrl+C.",
        ]
    )


def main() -> None:
    import jwt

    # The documented default secret is short on purpose; PyJWT's advice about key length is for real keys.
    warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)
    port = int(os.environ.get("PORT") or 8000)
    stack = start_local_stack(port, moto_port_for({**os.environ, "PORT": str(port)}))
    print(_banner(stack), flush=True)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stopping.wait(timeout=1.0):  # a timed wait keeps the main thread responsive to signals
        pass
    stack.stop()
    print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()

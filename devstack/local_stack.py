"""The whole service in one process: moto's DynamoDB, and the Chalice app behind a small local gateway.

`make run` starts it (`python -m devstack.local_stack`, port from $PORT); tests/local start the same thing
in-process with `start_local_stack()`. Neither moto nor chalice's local server is thread-safe, so each sits
behind its own lock. Only an app request waits on moto's lock while holding the app's, never the reverse, so
the two cannot deadlock.
"""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    NotAuthorizedError,
    ThreadedHTTPServer,
)
from werkzeug.serving import BaseWSGIServer, make_server

from devstack import moto_patches
from devstack.token import local_jwt_secret
from infra.tables import ALL_TABLES, create_tables

HOST = "127.0.0.1"
MAX_BODY_BYTES = 16 * 1024  # API Gateway would take more; the service never needs more than this
LOCAL_REGION = "eu-west-1"
ROOT_SECRET_PARAMETER = "/safety-settings/local/root-secret"
PROBLEM_JSON = "application/problem+json"
_MAX_CHUNK_LINE = 1024
_MAX_TRAILER_LINES = 64
_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    413: "Payload too large",
    500: "Internal error",
}

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


def _start_moto() -> tuple[BaseWSGIServer, threading.Thread]:
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
    server = make_server(HOST, 0, app, threaded=True, request_handler=QuietMotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    return server, thread


# --- the gateway in front of the app ----------------------------------------------------------------------


class RouteNotFoundError(LocalGatewayException):
    CODE = 404


class RequestRefusedError(Exception):
    """A request the gateway answers itself, before the app sees it."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


# What chalice's own errors mean to a client. Their bodies are never passed on: the 403 for an unknown route
# quotes the caller's Authorization header back.
_GATEWAY_PROBLEMS: dict[type[LocalGatewayException], RequestRefusedError] = {
    NotAuthorizedError: RequestRefusedError(401, "unauthenticated", "this route needs a bearer token"),
    ForbiddenError: RequestRefusedError(403, "forbidden", "the authorizer refused this request"),
    RouteNotFoundError: RequestRefusedError(404, "not_found", "no route matches this path"),
}
_GATEWAY_FAILED = RequestRefusedError(500, "internal_error", "the local gateway failed; see the server log")

# http.server's status -> what we answer: a method no route has is a 405, like the app's own answer.
_HTTP_SERVER_ERRORS: dict[int, tuple[int, str, str]] = {
    400: (400, "bad_request", "the request line or headers are malformed"),
    414: (414, "uri_too_long", "the URL is too long"),
    431: (431, "request_header_fields_too_large", "the request headers are too large"),
    501: (405, "method_not_allowed", "this method is not allowed here"),
}


class _Gateway(LocalGateway):
    def _generate_lambda_event(self, method: str, path: str, headers: dict[str, Any], body: bytes | None) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError as error:
            # The only ValueError here is "no route matches". chalice answers that with API Gateway's 403,
            # which quotes the Authorization header back; we answer 404 before chalice can build that.
            raise RouteNotFoundError({}) from error


class GatewayRequestHandler(ChaliceRequestHandler):
    """chalice's request handler, plus a body limit, problem+json errors and one app call at a time."""

    def __init__(
        self,
        request: Any,
        client_address: tuple[str, int],
        server: Any,
        app_object: Chalice,
        config: Config,
        app_lock: threading.Lock,
    ) -> None:
        # Set before the base __init__, which handles the whole connection before it returns.
        self.local_gateway = _Gateway(app_object, config)
        self._app_lock = app_lock
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    def _generic_handle(self) -> None:
        try:
            body = self._read_body()
            response = self._call_app(body)
        except RequestRefusedError as refusal:
            self._send_problem(refusal)
            return
        except LocalGatewayException as error:
            self._send_problem(_GATEWAY_PROBLEMS.get(type(error), _GATEWAY_FAILED))
            return
        except Exception:
            # chalice local would drop the connection; a client should see a 500 and the log a traceback.
            traceback.print_exc()
            self._send_problem(_GATEWAY_FAILED)
            return
        headers = {**response["headers"], **response["multiValueHeaders"]}
        self._send_http_response(response["statusCode"], headers, self._handle_binary(response)["body"])

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = _generic_handle

    def do_OPTIONS(self) -> None:
        # No browser calls this API (no CORS), so OPTIONS is just another method no route has.
        self._send_problem(RequestRefusedError(405, "method_not_allowed", "this method is not allowed here"))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (unknown method, bad request line, huge URL or headers) as problem+json."""
        status, problem_code, detail = _HTTP_SERVER_ERRORS.get(code, (code, "bad_request", message or "bad request"))
        self.close_connection = True
        body = _problem_body(RequestRefusedError(status, problem_code, detail))
        self.send_response(status)
        self.send_header("Content-Type", PROBLEM_JSON)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _call_app(self, body: bytes | None) -> dict[str, Any]:
        # chalice local keeps request state on the app object (and the app keeps some of its own), so the app
        # handles one request at a time; reading bodies and writing responses happen outside the lock.
        with self._app_lock:
            response: dict[str, Any] = self.local_gateway.handle_request(
                method=self.command, path=self.path, headers=dict(self.headers), body=body
            )
        return response

    def handle_expect_100(self) -> bool:
        """Refuse an announced oversized body before the client sends it."""
        try:
            self._declared_length()
        except RequestRefusedError as refusal:
            self._send_problem(refusal)
            return False
        accepted: bool = super().handle_expect_100()
        return accepted

    # Reading the body, never more than MAX_BODY_BYTES of it.

    def _read_body(self) -> bytes | None:
        transfer_encoding = self.headers.get("Transfer-Encoding")
        if transfer_encoding is None:
            length = self._declared_length()
            return self.rfile.read(length) if length else None
        if self.headers.get("Content-Length") is not None:
            raise RequestRefusedError(400, "bad_request", "send Content-Length or chunked encoding, not both")
        if transfer_encoding.strip().lower() != "chunked":
            raise RequestRefusedError(400, "bad_request", "the only transfer encoding accepted is chunked")
        return self._read_chunked()

    def _declared_length(self) -> int:
        values = set(self.headers.get_all("Content-Length") or ["0"])
        if len(values) != 1 or not next(iter(values)).strip().isdigit():
            raise RequestRefusedError(400, "bad_request", "Content-Length must be one whole number")
        length = int(next(iter(values)))
        if length > MAX_BODY_BYTES:
            raise _too_large()
        return length

    def _read_chunked(self) -> bytes | None:
        body = bytearray()
        while (size := self._chunk_size()) > 0:
            if len(body) + size > MAX_BODY_BYTES:
                raise _too_large()
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(_MAX_CHUNK_LINE).strip():
                raise RequestRefusedError(400, "bad_request", "malformed chunked body")
            body += chunk
        self._skip_trailers()
        return bytes(body) or None

    def _chunk_size(self) -> int:
        line = self.rfile.readline(_MAX_CHUNK_LINE)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            size = -1
        if size < 0 or not line.endswith(b"\n"):
            raise RequestRefusedError(400, "bad_request", "malformed chunk size")
        return size

    def _skip_trailers(self) -> None:
        for _ in range(_MAX_TRAILER_LINES):
            if self.rfile.readline(_MAX_CHUNK_LINE).strip() == b"":
                return
        raise RequestRefusedError(400, "bad_request", "too many trailer lines")

    def _send_problem(self, refusal: RequestRefusedError) -> None:
        headers: dict[str, Any] = {"Content-Type": PROBLEM_JSON}
        if refusal.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if refusal.status in (400, 413):
            # Part of the body may still be unread on the socket: this connection cannot carry another.
            headers["Connection"] = "close"
        self._send_http_response(refusal.status, headers, _problem_body(refusal))


def _too_large() -> RequestRefusedError:
    return RequestRefusedError(413, "payload_too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes")


def _problem_body(refusal: RequestRefusedError) -> bytes:
    problem = {
        "type": f"urn:safety-settings:problem:{refusal.code}",
        "title": _TITLES.get(refusal.status, "Error"),
        "status": refusal.status,
        "detail": refusal.detail,
        "code": refusal.code,
    }
    return json.dumps(problem).encode()


class _ThreadedServer(ThreadedHTTPServer):
    # socketserver's default backlog of 5 makes a burst of concurrent clients wait on SYN retries.
    request_queue_size = 128


def _serve_app(app: Chalice, port: int) -> tuple[LocalDevServer, threading.Thread]:
    from chalice.deploy.validate import validate_routes

    validate_routes(app.routes)  # what `chalice local` checks: routes API Gateway would refuse
    if not isinstance(app, LocalChalice):
        # As chalice's create_local_server does: current_request per thread (with the lock, belt and braces).
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    config = Config.create(chalice_stage="dev", app_name=app.app_name, lambda_timeout=29, lambda_memory_size=512)
    handler = functools.partial(GatewayRequestHandler, app_lock=threading.Lock())
    server = LocalDevServer(app, config, HOST, port, handler_cls=handler, server_cls=_ThreadedServer)
    # server.server.serve_forever, not LocalDevServer.serve_forever: that one prints a banner of its own.
    thread = threading.Thread(target=server.server.serve_forever, name="chalice-local", daemon=True)
    thread.start()
    return server, thread


# --- environment, tables and the stack as a whole ---------------------------------------------------------


def _environment(moto_url: str) -> dict[str, str]:
    """What the app reads at start-up. Credentials and endpoint are forced so that nothing can reach AWS."""
    region = os.environ.get("AWS_DEFAULT_REGION") or LOCAL_REGION
    env = {
        "AWS_ENDPOINT_URL": moto_url,  # every AWS client the app builds (DynamoDB, SSM, ...) goes to moto
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
    for spec in ALL_TABLES:
        env[spec.env_var] = os.environ.get(spec.env_var) or spec.default_name
    return env


def _apply_environment(env: dict[str, str]) -> dict[str, str | None]:
    """Set `env`, returning what it replaced so that `stop()` can put it back."""
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    return previous


def _restore_environment(previous: dict[str, str | None]) -> None:
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _create_tables(moto_url: str, region: str) -> None:
    import secrets

    import boto3

    create_tables(boto3.client("dynamodb", endpoint_url=moto_url, region_name=region))
    # The root secret the app derives its keys from, where the deployed function finds it: SSM Parameter Store.
    boto3.client("ssm", endpoint_url=moto_url, region_name=region).put_parameter(
        Name=ROOT_SECRET_PARAMETER, Value=secrets.token_urlsafe(48), Type="SecureString", Overwrite=True
    )


def _forget_moto_data() -> None:
    """moto keeps its data in module globals; the next stack (or moto mock) in this process starts empty."""
    from moto.core.base_backend import BackendDict

    BackendDict.reset()


def _local_app() -> Chalice:
    from devstack.local_app import build_local_app

    return build_local_app()


@dataclass
class LocalStack:
    url: str
    moto_url: str
    _moto: BaseWSGIServer
    _moto_thread: threading.Thread
    _previous_env: dict[str, str | None]
    _api: LocalDevServer | None = None
    _api_thread: threading.Thread | None = None
    _stopped: bool = False

    def stop(self) -> None:
        """Stop both servers and put the environment back as it was (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self._api is not None and self._api_thread is not None:
            self._api.shutdown()
            self._api.server.server_close()
            self._api_thread.join()
        self._moto.shutdown()
        self._moto.server_close()
        self._moto_thread.join()
        _forget_moto_data()
        _restore_environment(self._previous_env)


def start_local_stack(port: int = 0) -> LocalStack:
    """Start moto and the API on 127.0.0.1 (port 0: any free port) and return once both accept requests."""
    moto_patches.install()
    moto, moto_thread = _start_moto()
    moto_url = f"http://{HOST}:{moto.server_port}"
    previous_env = _apply_environment(_environment(moto_url))
    stack = LocalStack(url="", moto_url=moto_url, _moto=moto, _moto_thread=moto_thread, _previous_env=previous_env)
    try:
        _create_tables(moto_url, os.environ["AWS_DEFAULT_REGION"])
        stack._api, stack._api_thread = _serve_app(_local_app(), port)
    except BaseException:
        stack.stop()
        raise
    stack.url = f"http://{HOST}:{stack._api.server.server_address[1]}"
    return stack


def _banner(stack: LocalStack) -> str:
    tables = ", ".join(os.environ[spec.env_var] for spec in ALL_TABLES)
    return "\n".join(
        [
            f"safety-settings is listening on {stack.url}   (try: curl {stack.url}/v1/health)",
            f"  DynamoDB: moto at {stack.moto_url}, in memory (gone when this stops); tables {tables}",
            "  Tokens:   make token SUB=u-1 GROUPS=auditor   (send as: Authorization: Bearer <token>)",
            f"            HS256, LOCAL_JWT_SECRET={os.environ['LOCAL_JWT_SECRET']}",
            "  Stop with Ctrl+C.",
        ]
    )


def main() -> None:
    import jwt

    # The documented default secret is short on purpose; PyJWT's advice about key length is for real keys.
    warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)
    stack = start_local_stack(int(os.environ.get("PORT") or 8000))
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

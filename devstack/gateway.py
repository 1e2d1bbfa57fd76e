"""The HTTP side of the local stack: uvicorn speaks HTTP/1.1 (its h11 protocol, a strict RFC 9112 parser), a small
ASGI adapter reads each body and hands the request to chalice's `LocalGateway`, which matches the route, runs the
built-in authorizer and calls the app, one request at a time.

Every request gets one request id, returned in `X-Request-Id`, and exactly one JSON log line in the app's shape: the
app's middleware writes the line of each request the app answers (it reads the id from `requestContext.requestId`),
and `RequestRecord.write` here writes the line of each request refused before the app. Nothing else logs a request.
"""

from __future__ import annotations

import asyncio
import base64
import http
import json
import logging
import socket
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    CustomLocalChalice,
    ForbiddenError,
    LambdaContext,
    LocalChalice,
    LocalGateway,
    NotAuthorizedError,
    RouteMatcher,
)
from uvicorn.protocols.http.h11_impl import H11Protocol

from chalicelib.api.problems import PROBLEM_TITLES
from chalicelib.config import MAX_BODY_BYTES as MAX_APP_BODY_BYTES
from chalicelib.observability import logger

MAX_BODY_BYTES = MAX_APP_BODY_BYTES  # API Gateway would take more; the service never needs more than this
MAX_URL_BYTES = 8 * 1024  # API Gateway's limit for a URL
MAX_HEAD_BYTES = 16 * 1024  # request line and headers together (uvicorn's default)
PROBLEM_JSON = "application/problem+json"
_LOGGED_PATH_CHARS = 200  # a refused path is logged; it is client-chosen text, so only its start

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
}
_H11_DETAILS = {
    400: "the request is not well-formed HTTP/1.1 (RFC 9112): its request line, headers or body framing",
    414: f"the request line is longer than {MAX_HEAD_BYTES} bytes",
    431: f"the request line and headers are longer than {MAX_HEAD_BYTES} bytes",
    501: "the only transfer coding accepted is chunked, once",
}
# Headers of the app's answer that describe the connection or framing: the HTTP server sets its own.
_HOP_BY_HOP = frozenset({b"connection", b"content-length", b"keep-alive", b"transfer-encoding"})

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
RawHeaders = list[tuple[bytes, bytes]]


# --- the one log line of a request ------------------------------------------------------------------------------


@dataclass
class RequestRecord:
    """One request as its log line sees it. The line is written once: by the app's middleware, or by `write`."""

    request_id: str
    method: str
    path: str
    started: float
    route: str | None = None  # the route's template, once matched
    logged: bool = False

    @classmethod
    def new(cls, method: str, raw_path: bytes) -> RequestRecord:
        path = raw_path.split(b"?", 1)[0].decode("ascii", "replace")[:_LOGGED_PATH_CHARS] or "-"
        return cls(request_id=str(uuid.uuid4()), method=method, path=path, started=time.perf_counter())

    def write(self, status: int, outcome: str, failure: BaseException | None = None) -> None:
        if self.logged:
            return
        self.logged = True
        fields = {
            "request_id": self.request_id,
            "method": self.method,
            "route": self.route or self.path,
            "caller_role": "anonymous",
            "status": status,
            "outcome": outcome,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 2),
        }
        if failure is None:
            logger().info("request", extra=fields)
        else:  # a bug in the gateway: the traceback goes in the same line
            logger().error("request", extra=fields, exc_info=failure)


_RECORD = "safety_settings.request"  # the scope key; the ASGI adapter and the protocol share the request's record


def record_of(scope: Scope) -> RequestRecord:
    record = scope.get(_RECORD)
    if record is None:
        record = scope[_RECORD] = RequestRecord.new(scope["method"], scope["raw_path"])
    assert isinstance(record, RequestRecord)
    return record


# --- problem+json answers ---------------------------------------------------------------------------------------


class RequestRefused(Exception):
    """A request the gateway answers itself, before the app sees it."""

    def __init__(self, status: int, detail: str, headers: Iterable[tuple[str, str]] = (), close: bool = False) -> None:
        super().__init__(detail)
        self.status = status
        self.code = _CODES[status]
        self.detail = detail
        self.headers = list(headers)
        self.close = close  # part of the request is still unread: this connection cannot carry another


class ClientDisconnected(Exception):
    pass


@dataclass
class Answer:
    status: int
    headers: RawHeaders
    body: bytes


def problem_answer(refusal: RequestRefused, request_id: str) -> Answer:
    body = json.dumps(
        {
            "type": f"urn:safety-settings:problem:{refusal.code}",
            "title": PROBLEM_TITLES.get(refusal.status) or http.HTTPStatus(refusal.status).phrase,
            "status": refusal.status,
            "detail": refusal.detail,
            "code": refusal.code,
        }
    ).encode()
    headers = [("content-type", PROBLEM_JSON), ("content-length", str(len(body))), ("x-request-id", request_id)]
    headers += refusal.headers
    if refusal.close:
        headers.append(("connection", "close"))
    return Answer(refusal.status, [(name.lower().encode(), value.encode("latin-1")) for name, value in headers], body)


def _too_large() -> RequestRefused:
    return RequestRefused(413, f"request bodies are limited to {MAX_BODY_BYTES} bytes", close=True)


# --- chalice's gateway, with our request id and no 403 that quotes tokens ---------------------------------------


class _Gateway(LocalGateway):
    def __init__(self, app: Chalice, config: Config) -> None:
        super().__init__(app, config)
        # chalice local keeps request state on the app object, the app keeps some of its own, and moto (which the
        # app calls) is not thread-safe: one request at a time. This lock is taken before moto's, never after it.
        self._lock = threading.Lock()
        self._request_id = ""  # the request in flight; read and written only under the lock

    def answer(
        self, request_id: str, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, Any]:
        """The app's answer, as API Gateway's proxy integration gets it from Lambda."""
        with self._lock:
            self._request_id = request_id
            response: dict[str, Any] = self.handle_request(method=method, path=path, headers=headers, body=body)
            return response

    def _generate_lambda_context(self) -> LambdaContext:
        context = super()._generate_lambda_context()
        context.aws_request_id = self._request_id
        return context

    def _generate_lambda_event(self, method: str, path: str, headers: dict[str, Any], body: bytes | None) -> Any:
        try:
            event = super()._generate_lambda_event(method, path, headers, body)
        except ValueError as error:
            # "No route matches" (the adapter checks first, so this is a second line of defence): chalice answers it
            # with API Gateway's 403, which quotes the Authorization header back.
            raise RequestRefused(404, "no route matches this path") from error
        event["requestContext"]["requestId"] = self._request_id
        return event


# --- the ASGI adapter uvicorn serves ----------------------------------------------------------------------------


class GatewayApp:
    """Reads the body (never more than MAX_BODY_BYTES), refuses what API Gateway would, and calls the app."""

    def __init__(self, app: Chalice, config: Config) -> None:
        self._gateway = _Gateway(app, config)
        self._routes = RouteMatcher(list(app.routes))
        self._methods = {route: sorted(methods) for route, methods in app.routes.items()}

    def route_of(self, path: str) -> str | None:
        """The template of the route `path` (no query string) matches, as API Gateway would match it."""
        try:
            route: str = self._routes.match_route(path).route
        except ValueError:
            return None
        return route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off and websockets are refused, but be explicit
            return
        record = record_of(scope)
        try:
            answer = await self._answer(scope, receive, record)
        except RequestRefused as refusal:
            record.write(refusal.status, refusal.code)
            answer = problem_answer(refusal, record.request_id)
        except ClientDisconnected:
            record.write(499, "client_disconnected")  # nginx's status for it; no answer can be sent
            return
        except Exception as error:
            failed = RequestRefused(500, "the local gateway failed; see the server log")
            record.write(500, failed.code, failure=error)
            answer = problem_answer(failed, record.request_id)
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body})

    async def _answer(self, scope: Scope, receive: Receive, record: RequestRecord) -> Answer:
        method: str = scope["method"]
        path = scope["raw_path"].decode("ascii")  # h11 has checked that the target is ASCII
        record.route = self.route_of(path)
        query = scope["query_string"].decode("ascii")
        target = f"{path}?{query}" if query else path
        headers = _check_head(target, scope["headers"])
        body = await _read_body(headers, receive)
        if record.route is None:
            raise RequestRefused(404, "no route matches this path")
        allowed = self._methods[record.route]
        if method not in allowed:  # OPTIONS included: no browser calls this API, so there is no CORS preflight
            raise RequestRefused(405, "this method is not allowed here", [("Allow", ", ".join(allowed))])
        try:
            response = await asyncio.to_thread(self._gateway.answer, record.request_id, method, target, headers, body)
        except NotAuthorizedError as error:
            raise RequestRefused(401, "this route needs a bearer token", [("WWW-Authenticate", "Bearer")]) from error
        except ForbiddenError as error:
            raise RequestRefused(403, "the authorizer refused this request") from error
        record.logged = True  # the app's middleware has written its line
        return _from_lambda(response, record.request_id)


def _check_head(target: str, raw_headers: RawHeaders) -> dict[str, str]:
    """The headers as chalice takes them (a repeated header joined with commas), once the head's size is checked.

    h11 refuses a head over MAX_HEAD_BYTES only while it is still incomplete; one that arrives whole is checked here.
    """
    if len(target) > MAX_URL_BYTES:
        raise RequestRefused(414, f"the URL is longer than {MAX_URL_BYTES} bytes", close=True)
    if len(target) + sum(len(name) + len(value) + 4 for name, value in raw_headers) > MAX_HEAD_BYTES:
        raise RequestRefused(431, _H11_DETAILS[431], close=True)
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:  # h11 has lower-cased the names
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


async def _read_body(headers: dict[str, str], receive: Receive) -> bytes | None:
    # h11 has made sure of the framing: Transfer-Encoding, if any, is exactly "chunked" and its chunks are
    # well-formed; Content-Length is one whole number and the body is exactly that long.
    if "transfer-encoding" in headers and "content-length" in headers:
        # RFC 9112 lets chunked win; a proxy in front might not, which is how requests are smuggled.
        raise RequestRefused(400, "send Content-Length or chunked encoding, not both", close=True)
    if int(headers.get("content-length", "0")) > MAX_BODY_BYTES:
        raise _too_large()  # before reading it, and before any "100 Continue"
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
        if not message.get("more_body", False):
            return bytes(body) or None


def _from_lambda(response: dict[str, Any], request_id: str) -> Answer:
    body = response.get("body") or b""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body)
    elif isinstance(body, str):
        body = body.encode()
    headers: RawHeaders = []
    for name, values in {**response["headers"], **response["multiValueHeaders"]}.items():
        raw_name = name.lower().encode("latin-1")
        if raw_name not in _HOP_BY_HOP:
            headers += [(raw_name, str(value).encode("latin-1")) for value in _as_list(values)]
    names = {name for name, _ in headers}
    if body and b"content-type" not in names:
        headers.append((b"content-type", b"application/json"))  # as chalice local does
    if b"x-request-id" not in names:
        headers.append((b"x-request-id", request_id.encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    return Answer(response["statusCode"], headers, body)


def _as_list(values: Any) -> list[Any]:
    return values if isinstance(values, list) else [values]


# --- uvicorn's h11 protocol, with problem+json for what h11 refuses ---------------------------------------------


class _H11Protocol(H11Protocol):
    """uvicorn's h11 protocol. What h11 refuses is answered as problem+json with its one log line, and a client that
    stops sending in the middle of a body is answered 400 (uvicorn would drop it silently)."""

    app: GatewayApp

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this from its `except h11.RemoteProtocolError` block: that error is the one being handled.
        error = sys.exception()
        status = getattr(error, "error_status_hint", 400)
        data, _ = self.conn.trailing_data
        if status == 431 and b"\n" not in data:
            status = 414  # h11's buffer limit, hit before the request line ended
        status = status if status in _H11_DETAILS else 400
        refusal = RequestRefused(status, _H11_DETAILS[status], close=True)
        record = self._record(data)
        record.write(refusal.status, refusal.code)
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):  # else an answer is already under way
            answer = problem_answer(refusal, record.request_id)
            for event in (
                h11.Response(status_code=status, headers=answer.headers, reason=http.HTTPStatus(status).phrase),
                h11.Data(data=answer.body),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event))
        self.transport.close()

    def _record(self, unparsed: bytes) -> RequestRecord:
        if self.cycle is not None and not self.cycle.response_complete:  # the request's head was read: its body failed
            return record_of(self.scope)  # type: ignore[arg-type]
        # A new request's head failed: what can be told of it, from what is left of it.
        method, _, rest = unparsed.partition(b" ")
        method_text = method.decode("ascii") if method.isalpha() and method.isupper() and len(method) <= 16 else "-"
        record = RequestRecord.new(method_text, rest.split(b" ", 1)[0] if method_text != "-" else b"")
        record.route = self.app.route_of(record.path) if record.path.startswith("/") else None
        return record

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol's: True keeps writing open
        if self.cycle is None or self.cycle.response_complete:
            return None  # between requests: close, as uvicorn does
        if self.conn.their_state is h11.SEND_BODY:
            self.conn.receive_data(b"")  # h11 now finds the body incomplete: send_400_response
            self.handle_events()
            return None
        self.cycle.keep_alive = False  # the request is whole: answer it on the half-open connection, then close
        return True


# --- uvicorn in a thread ----------------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn.Server, saying when it listens, and leaving no connection open behind it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            if cycle is not None and not cycle.response_complete and cycle.more_body:
                # Still sending its request: it would hold the shutdown for the graceful timeout, then be cancelled
                # with a traceback. Hung up on, it is a disconnected client (its one line, no answer).
                connection.transport.close()
        await super().shutdown(sockets)
        for connection in list(self.server_state.connections):  # still open after the graceful timeout
            connection.transport.abort()


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound and listening, so the port is known (and taken) before uvicorn starts.

    Made with proto IPPROTO_TCP, not socket.create_server's 0: asyncio sets TCP_NODELAY only on sockets that say
    they are TCP, and without it a response written as head then body waits for the client's delayed ACK (~40 ms)
    on every reused connection.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except BaseException:
        listener.close()
        raise
    return listener


class ApiServer:
    """The app behind the gateway, served by uvicorn on `host:port` in a thread with its own event loop."""

    def __init__(self, app: Chalice, host: str, port: int) -> None:
        from chalice.deploy.validate import validate_routes

        validate_routes(app.routes)  # what `chalice local` checks: routes API Gateway would refuse
        if not isinstance(app, LocalChalice):
            # As chalice's create_local_server does: current_request per thread (with the lock, belt and braces).
            CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
            app.__class__ = CustomLocalChalice
        chalice_config = Config.create(
            chalice_stage="dev", app_name=app.app_name, lambda_timeout=29, lambda_memory_size=512
        )
        config = uvicorn.Config(
            GatewayApp(app, chalice_config),
            http=_H11Protocol,
            ws="none",
            lifespan="off",
            interface="asgi3",
            loop="asyncio",
            log_config=None,
            log_level=logging.ERROR,  # uvicorn's own warnings ("Invalid HTTP request received.") are answered above
            access_log=False,  # the request log is the app's, one line per request
            proxy_headers=False,
            server_header=False,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            timeout_graceful_shutdown=3,  # for app calls in flight, which take milliseconds
        )
        self._socket = _listening_socket(host, port)
        self.port: int = self._socket.getsockname()[1]
        self._server = _Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="api", daemon=True
        )
        self._chalice_log = app.log
        self._chalice_handlers: list[logging.Handler] = []

    def start(self) -> None:
        """Serve, returning once uvicorn accepts connections."""
        # chalice's own handler prints a plain-text copy of every line the app logs (app.log is Powertools' logger
        # too, both being named after the service): the JSON line is the one kept.
        self._chalice_handlers = [
            handler
            for handler in self._chalice_log.handlers
            if getattr(handler.formatter, "_fmt", None) == Chalice.FORMAT_STRING
        ]
        for handler in self._chalice_handlers:
            self._chalice_log.removeHandler(handler)
        self._thread.start()
        while not self._server.listening.wait(timeout=0.05):
            if not self._thread.is_alive():
                raise RuntimeError("the API server did not start; see the error above")

    def stop(self) -> None:
        """Stop serving, close every socket, and give chalice its log handler back (idempotent)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join()
        self._socket.close()
        for handler in self._chalice_handlers:
            self._chalice_log.addHandler(handler)
        self._chalice_handlers = []

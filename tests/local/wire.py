"""Raw HTTP/1.1 over a socket, for requests no well-behaved client library would send."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = 10  # seconds


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names; a repeated header keeps its last value
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def host_of(url: str) -> tuple[str, int]:
    address = urlsplit(url)
    return str(address.hostname), int(address.port or 80)


def exchange(url: str, request: bytes, half_close: bool = True) -> bytes:
    """Send `request` on a new connection and read until the server closes it.

    `half_close` shuts our sending side afterwards, as a client does when it has nothing more to send: the server
    sees the end of the stream where the request ends and can still answer.
    """
    with socket.create_connection(host_of(url), timeout=TIMEOUT) as connection:
        connection.sendall(request)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        return read_until_closed(connection)


def read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass  # the server closed with our unread bytes in its buffer: what it sent before is still here
    return received


def first_response(raw: bytes) -> RawResponse:
    """The first response in `raw`, its body framed by Content-Length (what a keep-alive client would read)."""
    head, separator, rest = raw.partition(b"\r\n\r\n")
    assert separator, f"no complete response head in {raw[:200]!r}"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    return RawResponse(status=int(status_line.split(" ")[1]), headers=headers, body=rest[:length])


def request_head(method: str, url: str, path: str, headers: list[tuple[str, str]]) -> bytes:
    host, port = host_of(url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

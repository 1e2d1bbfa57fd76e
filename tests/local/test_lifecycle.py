"""Starting and stopping the local stack leaves the process as it found it: sockets, environment, moto."""

from __future__ import annotations

import os
import socket

import boto3
import pytest

from devstack import moto_patches
from devstack.local_stack import start_local_stack
from tests.local.wire import host_of


def accepts_connections(url: str) -> bool:
    try:
        socket.create_connection(host_of(url), timeout=1).close()
    except OSError:
        return False
    return True


def test_stop_closes_both_servers_puts_the_environment_back_and_uninstalls_moto_patches_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a shell that sends SQS somewhere else, and moto as released
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://sqs.example.invalid")
    assert not moto_patches.installed()
    environment_before = dict(os.environ)

    # When a stack starts, serves, and is stopped twice
    stack = start_local_stack(port=0)
    patched_while_serving = moto_patches.installed()
    serving = accepts_connections(stack.url) and accepts_connections(stack.moto_url)
    sqs_while_serving = boto3.client("sqs", region_name=os.environ["AWS_DEFAULT_REGION"]).meta.endpoint_url
    stack.stop()
    stack.stop()

    # Then both servers accepted connections as soon as it started, and SQS went to moto too...
    assert serving
    assert sqs_while_serving == stack.moto_url
    # ...and afterwards neither listens, the environment is as it was, and moto's patches were removed once
    assert not accepts_connections(stack.url)
    assert not accepts_connections(stack.moto_url)
    assert dict(os.environ) == environment_before
    assert patched_while_serving and not moto_patches.installed()

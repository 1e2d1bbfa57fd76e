"""Public views: health, the policy in force, and the OpenAPI document."""

from __future__ import annotations

import json
from importlib import resources

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.policy import policy_document


def health(call: Call) -> Response:
    # Composes (once per process): a function that refuses to start fails its health check too, naming the variable
    # in its log line, instead of answering "ok" and then 500 to every real caller.
    call.compose()
    return Response(body='{"status": "ok"}', headers={"Content-Type": "application/json"})


def policy(call: Call) -> Response:
    return Response(body=json.dumps(policy_document()), headers={"Content-Type": "application/json"})


def openapi(call: Call) -> Response:
    # The committed document; a test fails when it drifts from the route declarations (`make openapi` regenerates it).
    text = resources.files("chalicelib.api").joinpath("openapi.json").read_text(encoding="utf-8")
    return Response(body=text, headers={"Content-Type": "application/json"})

"""Public views: health, the policy in force, and the OpenAPI document."""

from __future__ import annotations

import json
from importlib import resources

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.http import checked_path_id
from chalicelib.domain.errors import NotFound
from chalicelib.policy import UnknownPolicyVersion, policy_document
from chalicelib.policy.loader import VERSION_PATTERN


def health(call: Call) -> Response:
    # Composes (once per process): a function that refuses to start fails its health check too, naming the variable
    # in its log line, instead of answering "ok" and then 500 to every real caller.
    call.compose()
    return Response(body='{"status": "ok"}', headers={"Content-Type": "application/json"})


def policy(call: Call) -> Response:
    """The version in force: the newest kept, or the one the deployment pins (POLICY_VERSION); never composes."""
    version = call.policy_version() or None
    return Response(body=json.dumps(policy_document(version)), headers={"Content-Type": "application/json"})


def policy_version(call: Call) -> Response:
    """Any kept version, so what applied to an account at any time can be read; anything else is 404."""
    version = checked_path_id(call.params["version"], VERSION_PATTERN, "policy version")
    try:
        document = policy_document(version)
    except UnknownPolicyVersion:
        raise NotFound("no such policy version") from None
    return Response(body=json.dumps(document), headers={"Content-Type": "application/json"})


def openapi(call: Call) -> Response:
    # The committed document; a test fails when it drifts from the route declarations (`make openapi` regenerates it).
    text = resources.files("chalicelib.api").joinpath("openapi.json").read_text(encoding="utf-8")
    return Response(body=text, headers={"Content-Type": "application/json"})

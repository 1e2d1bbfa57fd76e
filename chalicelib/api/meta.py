"""Public routes: health, the policy in force, and the OpenAPI document."""

from __future__ import annotations

import json
from importlib import resources

from chalice.app import Blueprint, Response

from chalicelib.policy import policy_document

meta = Blueprint(__name__)


@meta.route("/v1/health", methods=["GET"])
def health() -> Response:
    return Response(body='{"status": "ok"}', headers={"Content-Type": "application/json"})


@meta.route("/v1/policy", methods=["GET"])
def policy() -> Response:
    return Response(body=json.dumps(policy_document()), headers={"Content-Type": "application/json"})


@meta.route("/v1/openapi.json", methods=["GET"])
def openapi() -> Response:
    # The committed document; a test fails when it drifts from the models (`make openapi` regenerates it).
    text = resources.files("chalicelib.api").joinpath("openapi.json").read_text(encoding="utf-8")
    return Response(body=text, headers={"Content-Type": "application/json"})

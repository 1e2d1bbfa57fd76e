"""The served OpenAPI document is generated from the models and covers every route."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.api.access import ACCESS
from chalicelib.api.openapi import OPERATIONS, render

COMMITTED = Path(__file__).resolve().parents[2] / "chalicelib" / "api" / "openapi.json"


def test_the_committed_document_matches_the_models() -> None:
    # Given the committed document / When it is generated again from the models / Then nothing has drifted
    assert COMMITTED.read_text(encoding="utf-8") == render(), "run `make openapi` and commit the result"


def test_every_route_of_the_app_is_documented_and_has_an_access_rule() -> None:
    from app import app

    # Given every route the app serves
    served = {(method, path) for path, methods in app.routes.items() for method in methods}
    # When compared with the document and the access table
    documented = {(operation.method.upper(), operation.path) for operation in OPERATIONS}
    # Then each route is described and has an explicit rule (a missing rule would deny it to everyone)
    assert served == documented
    assert served <= set(ACCESS)


def test_every_error_response_is_problem_json_with_the_problem_schema() -> None:
    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (path, method, status)
                    assert content["application/problem+json"]["schema"]["$ref"].endswith("/ProblemDetails")

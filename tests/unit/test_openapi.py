"""The served OpenAPI document is generated from the models and covers every route."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.api.openapi import render
from chalicelib.api.routes import ROUTES

COMMITTED = Path(__file__).resolve().parents[2] / "chalicelib" / "api" / "openapi.json"


def test_the_committed_document_matches_the_models() -> None:
    # Given the committed document / When it is generated again from the models / Then nothing has drifted
    assert COMMITTED.read_text(encoding="utf-8") == render(), "run `make openapi` and commit the result"


def test_every_route_the_app_serves_is_one_declaration_documented_with_its_access_rule() -> None:
    from app import app

    # Given every route the deployed app serves
    served = {(method, path) for path, methods in app.routes.items() for method in methods}
    # When compared with the declarations and the document generated from them
    declared = {(route.method, route.path) for route in ROUTES}
    document = json.loads(render())
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    # Then each route is declared once, documented, and names who may call it (an empty rule denies everyone)
    assert served == declared == documented
    assert len(ROUTES) == len(declared)
    assert all(route.access for route in ROUTES)


def test_the_report_request_schema_follows_the_policy_file() -> None:
    from chalicelib.policy import load_policy

    # Given the policy's report reasons and target types / When the request schema is generated
    schemas = json.loads(render())["components"]["schemas"]
    rules = load_policy().reports
    # Then the schema offers exactly those, in the policy's order
    assert schemas["ReportRequest"]["properties"]["reason"]["enum"] == list(rules.reasons)
    assert schemas["ReportTarget"]["properties"]["type"]["enum"] == list(rules.target_types)


def test_every_declared_route_answers_its_documented_refusals_as_problem_json() -> None:
    # Given the document / Then every operation documents 405, 413, 414 and 431, and each secured one 401 and 503
    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"405", "413", "414", "431"} <= statuses, (method, path)
            if operation["security"]:
                assert {"401", "503"} <= statuses, (method, path)


def test_every_error_response_is_problem_json_with_the_problem_schema() -> None:
    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (path, method, status)
                    assert content["application/problem+json"]["schema"]["$ref"].endswith("/ProblemDetails")

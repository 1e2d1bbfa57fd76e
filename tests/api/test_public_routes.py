"""The routes anyone may call: health, the policy in force, and the OpenAPI document."""

from __future__ import annotations

import json

from chalicelib.policy import newest_version
from tests.api.helpers import header
from tests.conftest import PROJECT_DIR, Api, body


def test_health_answers_ok_without_a_token(api: Api) -> None:
    # Given no token / When the health route is called
    response = api.call("GET", "/v1/health")
    # Then it answers 200 {"status": "ok"}
    assert response.status_code == 200
    assert body(response) == {"status": "ok"}


def test_the_policy_route_serves_the_policy_file_as_it_is(api: Api) -> None:
    # Given the reviewed policy file
    on_disk = json.loads(
        (PROJECT_DIR / "chalicelib" / "policy" / "versions" / f"{newest_version()}.json").read_text(encoding="utf-8")
    )
    # When the policy is fetched without a token
    response = api.call("GET", "/v1/policy")
    # Then it is that document, as JSON
    assert response.status_code == 200
    assert header(response, "Content-Type") == "application/json"
    assert body(response) == on_disk


def test_the_openapi_document_is_served_as_openapi_3_1_json(api: Api) -> None:
    # Given no token / When the OpenAPI document is fetched
    response = api.call("GET", "/v1/openapi.json")
    # Then it is an OpenAPI 3.1 JSON document describing the account routes
    assert response.status_code == 200
    document = body(response)
    assert document["openapi"].startswith("3.1")
    assert {"/v1/accounts", "/v1/accounts/{account_id}/settings"} <= set(document["paths"])

"""Account routes: sign-up, the settings screen, changes and history."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.api.auth import route_authorizer
from chalicelib.api.documents import history_page, settings_document
from chalicelib.api.http import (
    checked_account_id,
    etag,
    if_match_version,
    json_response,
    page_limit,
    parse_body,
    problem_view,
    query_params,
)
from chalicelib.api.middleware import current_scope
from chalicelib.api.schemas import SettingsPatch, SignUpRequest
from chalicelib.services.change_settings import change_settings
from chalicelib.services.history import read_history
from chalicelib.services.settings_screen import read_account
from chalicelib.services.signup import SignUp, sign_up

accounts = Blueprint(__name__)


@accounts.route("/v1/accounts", methods=["POST"], authorizer=route_authorizer)
@problem_view
def create_account() -> Response:
    body = parse_body(SignUpRequest, accounts.current_request.raw_body)
    scope = current_scope()
    result = sign_up(SignUp(body.account_id, body.birth_date, body.country), scope.signed_in, scope.request_id)
    response = {
        **settings_document(result.account, bootstrap.policy()),
        "requires_parental_consent": result.requires_parental_consent,
    }
    if result.created:
        scope.metrics.append(("SignUps", {"age_band": result.account.age_band}))
    return json_response(response, 201 if result.created else 200, {"ETag": etag(result.account.version)})


@accounts.route("/v1/accounts/{account_id}/settings", methods=["GET"], authorizer=route_authorizer)
@problem_view
def get_settings(account_id: str) -> Response:
    account = read_account(checked_account_id(account_id))
    return json_response(settings_document(account, bootstrap.policy()), headers={"ETag": etag(account.version)})


@accounts.route("/v1/accounts/{account_id}/settings", methods=["PATCH"], authorizer=route_authorizer)
@problem_view
def patch_settings(account_id: str) -> Response:
    request = accounts.current_request
    account_id = checked_account_id(account_id)
    body = parse_body(SettingsPatch, request.raw_body)
    scope = current_scope()
    try:
        account = change_settings(
            account_id,
            body.settings,  # type: ignore[arg-type]  # values are checked against the catalogue
            scope.signed_in,
            if_match_version(request.headers.get("if-match")),
            scope.request_id,
        )
    except Exception as error:
        scope.metrics.append(("ChangesRefused", {"code": getattr(error, "code", "error")}))
        raise
    scope.metrics.append(("ChangesApplied", {}))
    return json_response(settings_document(account, bootstrap.policy()), headers={"ETag": etag(account.version)})


@accounts.route("/v1/accounts/{account_id}/settings/history", methods=["GET"], authorizer=route_authorizer)
@problem_view
def get_history(account_id: str) -> Response:
    params = query_params(accounts.current_request)
    account_id = checked_account_id(account_id)
    page = read_history(account_id, page_limit(params.get("limit")), params.get("next"))
    return json_response(history_page(account_id, page))

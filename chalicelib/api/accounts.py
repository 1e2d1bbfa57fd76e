"""Account views: sign-up, the settings screen, changes and history."""

from __future__ import annotations

import json

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import history_page, settings_document
from chalicelib.api.http import checked_account_id, etag, if_match_version, json_response, page_limit, parse_body
from chalicelib.api.idempotency_key import idempotency_key, lend_lambda_context
from chalicelib.api.schemas import AgeCorrectionRequest, JurisdictionRequest, SettingsPatch, SignUpRequest
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import Account, AgeAssurance, AgeSource, Place
from chalicelib.services.age_correction import AgeCorrection, correct_age
from chalicelib.services.change_settings import change_settings
from chalicelib.services.guardians import is_guardian_of
from chalicelib.services.history import read_history
from chalicelib.services.idempotent import request_fingerprint, run_idempotent
from chalicelib.services.jurisdiction import change_jurisdiction
from chalicelib.services.ports import IdempotentRequest
from chalicelib.services.settings_screen import read_account
from chalicelib.services.signup import SignUp, sign_up

SIGN_UP_KEY_MIN_LENGTH = 16  # a random UUID: nobody can guess another sign-up's key


def create_account(call: Call) -> Response:
    """A sign-up. With an Idempotency-Key, a retry of the same body replays the original answer; any other sign-up
    for an existing account is the same 409, whatever it names (no details can be tested against an account)."""
    key = idempotency_key(call, required=False, min_length=SIGN_UP_KEY_MIN_LENGTH)
    body = parse_body(SignUpRequest, call.request.raw_body)
    deps = call.deps
    scope = call.scope

    def create(mark: str = "") -> dict[str, object]:
        request = SignUp(body.account_id, body.birth_date, body.country, body.subdivision)
        result = sign_up(deps.accounts, request, scope.signed_in, scope.request_id, mark)
        document = {
            **document_of(call, result.account),
            "requires_parental_consent": result.requires_parental_consent,
        }
        scope.metrics.append(("SignUps", {"age_band": result.account.age_band}))
        # Kept as text, so a replay answers exactly the original bytes.
        return {"document": json.dumps(document, separators=(",", ":")), "etag": etag(result.account.version)}

    if key is None:
        created = create()
    else:
        fingerprint = request_fingerprint(deps.keys.request_fingerprints, body.model_dump(mode="json"))
        request = IdempotentRequest("sign_up", scope.signed_in.sub, key, fingerprint)
        lend_lambda_context(call)
        mark = request_fingerprint(deps.keys.request_fingerprints, ["sign_up", scope.signed_in.sub, key, fingerprint])
        created, replayed = run_idempotent(deps.idempotency, request, lambda: create(mark))
        if replayed:
            scope.outcome = "replayed"
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json", "ETag": str(created["etag"])}
    return Response(body=str(created["document"]), status_code=201, headers=headers)


def document_of(call: Call, account: Account) -> dict[str, object]:
    """The settings document under the policy in force, with the rules where the account lives today."""
    deps = call.deps
    return settings_document(account, deps.policy, deps.accounts.clock().date())


def get_settings(call: Call) -> Response:
    account = read_account(call.deps.accounts, checked_account_id(call.params["account_id"]))
    if call.scope.as_guardian and not is_guardian_of(account, call.scope.signed_in.sub):
        raise NotFound("no such account")  # a stranger, or a guardian of another teen: as if it did not exist
    return json_response(document_of(call, account), headers={"ETag": etag(account.version)})


def patch_settings(call: Call) -> Response:
    account_id = checked_account_id(call.params["account_id"])
    body = parse_body(SettingsPatch, call.request.raw_body)
    scope = call.scope
    try:
        account = change_settings(
            call.deps.accounts,
            account_id,
            body.settings,  # type: ignore[arg-type]  # values are checked against the catalogue
            scope.signed_in,
            if_match_version(call.header("If-Match")),
            scope.request_id,
        )
    except Exception as error:
        scope.metrics.append(("ChangesRefused", {"code": getattr(error, "code", "error")}))
        raise
    scope.metrics.append(("ChangesApplied", {}))
    return json_response(document_of(call, account), headers={"ETag": etag(account.version)})


def put_jurisdiction(call: Call) -> Response:
    """The platform reports where the account now lives; the settings document under the rules there."""
    account_id = checked_account_id(call.params["account_id"])
    body = parse_body(JurisdictionRequest, call.request.raw_body)
    scope = call.scope
    place = Place(body.country, body.subdivision or "")
    account = change_jurisdiction(call.deps.accounts, account_id, place, scope.signed_in, scope.request_id)
    return json_response(document_of(call, account), headers={"ETag": etag(account.version)})


def get_history(call: Call) -> Response:
    params = call.query()
    account_id = checked_account_id(call.params["account_id"])
    page = read_history(call.deps.accounts, account_id, page_limit(params.get("limit")), params.get("next"))
    return json_response(history_page(page))


def put_age(call: Call) -> Response:
    """An age correction or age signal; the settings document as it now stands."""
    account_id = checked_account_id(call.params["account_id"])
    body = parse_body(AgeCorrectionRequest, call.request.raw_body)
    correction = AgeCorrection(
        assurance=AgeAssurance(body.assurance),
        source=AgeSource(body.source),
        birth_date=body.birth_date,
        range_lower=None if body.age_range is None else body.age_range.lower,
    )
    scope = call.scope
    account = correct_age(call.deps.accounts, account_id, correction, scope.signed_in, scope.request_id)
    return json_response(document_of(call, account), headers={"ETag": etag(account.version)})

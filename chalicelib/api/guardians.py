"""Family pairing views: make a code, redeem it, list one's teens, end a link."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import rfc3339
from chalicelib.api.http import checked_account_id, json_response
from chalicelib.api.schemas import GuardianLinkOut, LinkedOut, PairingCodeOut, TeensOut
from chalicelib.domain.errors import NotFound
from chalicelib.services.guardians import create_code, redeem_code, teens_of, unlink

MAX_TYPED_CODE = 32  # a code with spaces or dashes between its groups; anything longer is no code


def create_pairing_code(call: Call) -> Response:
    issued = create_code(call.deps.guardians, call.scope.signed_in.sub)
    call.scope.metrics.append(("PairingCodes", {}))
    document = PairingCodeOut(code=issued.code, expires_at=rfc3339(issued.expires_at))
    return json_response(document, status=201, headers={"Cache-Control": "no-store"})


def redeem_pairing_code(call: Call) -> Response:
    typed = call.params["code"]
    if len(typed) > MAX_TYPED_CODE:
        typed = ""  # counted as a failed redemption, like any other wrong code
    teen, guardian = redeem_code(call.deps.guardians, call.scope.signed_in.sub, typed, call.scope.request_id)
    since = next(link.since for link in teen.guardians if link.account_id == guardian.account_id)
    call.scope.metrics.append(("GuardianLinks", {}))
    return json_response(
        LinkedOut(teen_id=teen.account_id, guardian_id=guardian.account_id, since=rfc3339(since)), status=201
    )


def list_my_teens(call: Call) -> Response:
    links = teens_of(call.deps.guardians, call.scope.signed_in.sub)
    teens = [GuardianLinkOut(account_id=link.account_id, since=rfc3339(link.since)) for link in links]
    return json_response(TeensOut(teens=teens))


def delete_guardian(call: Call) -> Response:
    teen_id = checked_account_id(call.params["account_id"])
    guardian_id = call.params["guardian_id"]
    try:
        guardian_id = checked_account_id(guardian_id)
    except NotFound:
        raise NotFound("no such account") from None
    unlink(call.deps.guardians, call.scope.signed_in.sub, teen_id, guardian_id, call.scope.request_id)
    return Response(body="", status_code=204)

"""Each Lambda function's permissions (infra/permissions.py) held to what its code calls: the function's entry code runs
on moto while every botocore call, whichever client makes it (the Encryption SDK's KMS client too), is recorded and
translated into IAM terms, one action on one resource. What a function calls must be declared for it; what is declared
for it must be called, or be listed in NOT_OBSERVED with the reason it cannot be seen here.

What Lambda does with a function's role (reading the stream, receiving from a queue, sending failures on, the data key
through the services, the secret behind Parameter Store's reference) is no call of the code: those are other fields of
`FunctionAccess` (or statements the stack adds) and are left out on both sides. The stack is not synthesized here
(tests/infra/test_stack.py holds the template to infra/permissions.py).
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from infra.exports import EXPORT_BUCKET, EXPORT_DLQ, EXPORT_QUEUE, NamedResource
from infra.keys import BAND_ENDS
from infra.permissions import (
    API,
    EXPORT_DEAD_LETTERS,
    EXPORT_WORKER,
    FUNCTIONS,
    JOB_FAILURES,
    MIGRATION,
    REPORTS_STREAM,
    STREAM_FAILURES,
    TRANSITIONS,
    FunctionAccess,
)
from infra.tables import ALL_TABLES, TableSpec
from tests.api.helpers import BORN_13_15, BORN_16_17, BORN_ADULT, sign_up
from tests.conftest import AUDITOR, FIXED_NOW, SIGNUP, TEST_ENV, TEST_ROOT_SECRET, Api, auth, body, stream_pump
from tests.exports.conftest import Exports

Resource = tuple[str, ...]
Grant = tuple[str, Resource]  # (IAM action, the one resource it is allowed on)

BAND_END_KEY: Resource = ("band_end_key",)
EXPORT_OBJECTS: Resource = ("objects",)  # the export bucket's exports/ prefix
ROOT_SECRET: Resource = ("root_secret",)
EXPORT_PREFIX = "exports/"  # infra/stack.py grants object actions on this prefix only


def table(spec: TableSpec) -> Resource:
    return ("table", spec.logical_id)


def index(spec: TableSpec, name: str) -> Resource:
    return ("index", spec.logical_id, name)


def queue(resource: NamedResource) -> Resource:
    return ("queue", resource.logical_id)


def declared(access: FunctionAccess) -> set[Grant]:
    """What infra/permissions.py lets the function's code call (Lambda's own actions are other fields)."""
    grants: set[Grant] = set()
    for grant in access.tables:
        grants |= {(action, table(grant.table)) for action in grant.actions}
        grants |= {("dynamodb:Scan", table(grant.table))} if grant.scan else set()
        grants |= {("dynamodb:Query", index(grant.table, name)) for name in grant.indexes}
    grants |= {(action, BAND_END_KEY) for action in access.band_end_key}
    grants |= {(action, EXPORT_OBJECTS) for action in access.export_objects}
    grants |= {(action, queue(q)) for q in access.sends_to for action in ("sqs:GetQueueUrl", "sqs:SendMessage")}
    grants |= {("ssm:GetParameter", ROOT_SECRET)} if access.root_secret else set()
    return grants


# Declared and needed, but not called in these scenarios, by function: each grant with the reason it cannot be seen.
# None is now: every declared action is driven below (failure paths by faults injected where AWS would answer), and
# presigning a download link calls nothing, but the API itself reads the manifest (s3:GetObject). An entry the
# scenarios do come to call fails the test: it no longer belongs here.
NOT_OBSERVED: dict[str, dict[Grant, str]] = {}


# -- translation: a botocore call into IAM terms ---------------------------------------------------------------------
class Unmapped(LookupError):
    """A call on a resource the service does not own, or an operation with no translation: never allowed."""


TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
}
SQS_ACTIONS = {
    "SendMessage": "sqs:SendMessage",
    "SendMessageBatch": "sqs:SendMessage",
    "GetQueueUrl": "sqs:GetQueueUrl",
}


@dataclass(frozen=True)
class Names:
    """The test environment's physical names, each back to the resource infra/ declares it as."""

    tables: Mapping[str, TableSpec]
    queues: Mapping[str, NamedResource]
    bucket: str
    band_end_key: frozenset[str]  # its alias, ARN and id
    root_secret: str

    def table(self, name: str) -> Resource:
        if name not in self.tables:
            raise Unmapped(f"table {name}")
        return table(self.tables[name])

    def index(self, table_name: str, index_name: str) -> Resource:
        spec = self.tables.get(table_name)
        if spec is None or index_name not in {i.name for i in spec.indexes}:
            raise Unmapped(f"index {table_name}/{index_name}")
        return index(spec, index_name)

    def queue(self, params: Mapping[str, Any]) -> Resource:
        name = params.get("QueueName") or str(params.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
        if name not in self.queues:
            raise Unmapped(f"queue {name}")
        return queue(self.queues[name])


def to_grants(service: str, operation: str, params: Mapping[str, Any], names: Names) -> list[Grant]:
    try:
        return _TRANSLATIONS[service](operation, params, names)
    except (Unmapped, KeyError) as error:
        return [(f"unmapped {service}:{operation}", (repr(error),))]


def _dynamodb(operation: str, params: Mapping[str, Any], names: Names) -> list[Grant]:
    if operation == "TransactWriteItems":  # IAM checks each item's own action on its own table
        return [
            (TRANSACT_ACTIONS[kind], names.table(request["TableName"]))
            for item in params["TransactItems"]
            for kind, request in item.items()
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", names.table(name)) for name in params["RequestItems"]]
    if "IndexName" in params:
        return [(f"dynamodb:{operation}", names.index(params["TableName"], params["IndexName"]))]
    return [(f"dynamodb:{operation}", names.table(params["TableName"]))]


def _s3(operation: str, params: Mapping[str, Any], names: Names) -> list[Grant]:
    keys = [o["Key"] for o in params["Delete"]["Objects"]] if operation == "DeleteObjects" else [params["Key"]]
    if params["Bucket"] != names.bucket or not all(key.startswith(EXPORT_PREFIX) for key in keys):
        raise Unmapped(f"objects {params['Bucket']}/{keys}")
    return [(S3_ACTIONS[operation], EXPORT_OBJECTS)]


def _sqs(operation: str, params: Mapping[str, Any], names: Names) -> list[Grant]:
    return [(SQS_ACTIONS[operation], names.queue(params))]


def _kms(operation: str, params: Mapping[str, Any], names: Names) -> list[Grant]:
    if params.get("KeyId") not in names.band_end_key:
        raise Unmapped(f"key {params.get('KeyId')}")
    return [(f"kms:{operation}", BAND_END_KEY)]


def _ssm(operation: str, params: Mapping[str, Any], names: Names) -> list[Grant]:
    if operation != "GetParameter" or params["Name"] != names.root_secret:
        raise Unmapped(f"parameter {params.get('Name')}")
    return [("ssm:GetParameter", ROOT_SECRET)]


_TRANSLATIONS: dict[str, Callable[[str, Mapping[str, Any], Names], list[Grant]]] = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "sqs": _sqs,
    "kms": _kms,
    "ssm": _ssm,
}


# -- the recorder --------------------------------------------------------------------------------------------------
Fault = Callable[[Mapping[str, Any]], Any]  # answers a call instead of AWS (a response, or raises), or None: passes


@dataclass
class Recorder:
    """Every botocore call made while a function runs, in IAM terms, by function; and faults injected at the same
    seam (`fail`), so a failure path is driven through the code as AWS would answer it."""

    names: Names
    function: str | None = None
    grants: dict[str, set[Grant]] = field(default_factory=dict)
    faults: list[tuple[str, str, Fault]] = field(default_factory=list)

    @contextmanager
    def running(self, function: str | None) -> Iterator[None]:
        """Calls from now on are `function`'s (None: nobody's, as Lambda's own polling of a queue or stream)."""
        previous, self.function = self.function, function
        try:
            yield
        finally:
            self.function = previous

    def fail(self, service: str, operation: str, fault: Fault) -> None:
        self.faults.append((service, operation, fault))

    def seen(self, function: str) -> set[Grant]:
        return self.grants.get(function, set())

    def record(self, service: str, operation: str, params: Mapping[str, Any]) -> Any:
        if self.function is not None:
            self.grants.setdefault(self.function, set()).update(to_grants(service, operation, params, self.names))
        for faulty_service, faulty_operation, fault in self.faults:
            if (faulty_service, faulty_operation) == (service, operation):
                answer = fault(params)
                if answer is not None:
                    return answer
        return None


def aws_error(operation: str, code: str = "InternalServerError") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)


def once(fault: Fault) -> Fault:
    fired = [False]

    def first_only(params: Mapping[str, Any]) -> Any:
        if fired[0]:
            return None
        fired[0] = True
        return fault(params)

    return first_only


def raising(operation: str) -> Fault:
    def fault(params: Mapping[str, Any]) -> Any:
        raise aws_error(operation)

    return fault


PARAMETER = TEST_ENV["ROOT_SECRET_PARAMETER"]


@pytest.fixture
def recorder(aws: None, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    kms = boto3.client("kms", region_name="eu-west-1")
    key = kms.describe_key(KeyId=BAND_ENDS.alias_in(os.environ))["KeyMetadata"]
    names = Names(
        tables={spec.name_in(os.environ): spec for spec in ALL_TABLES},
        queues={q.name_in(os.environ): q for q in (EXPORT_QUEUE, EXPORT_DLQ, STREAM_FAILURES, JOB_FAILURES)},
        bucket=EXPORT_BUCKET.name_in(os.environ),
        band_end_key=frozenset({BAND_ENDS.alias_in(os.environ), key["Arn"], key["KeyId"]}),
        root_secret=PARAMETER,
    )
    recorder = Recorder(names)
    make_api_call = BaseClient._make_api_call  # type: ignore[attr-defined]  # the one seam every client goes through

    def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        answer = recorder.record(client.meta.service_model.service_name, operation, params)
        return make_api_call(client, operation, params) if answer is None else answer

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    return recorder


def assert_only_declared(recorder: Recorder, access: FunctionAccess) -> None:
    """(a) Everything the function's code called is declared for it."""
    undeclared = recorder.seen(access.name) - declared(access)
    assert not undeclared, f"{access.name} calls what infra/permissions.py does not allow it: {sorted(undeclared)}"


def assert_exactly_declared(recorder: Recorder, access: FunctionAccess) -> None:
    """(a), and (b): everything declared for it was called, or is a NOT_OBSERVED allowance that was not."""
    seen, allowed = recorder.seen(access.name), NOT_OBSERVED.get(access.name, {})
    assert set(allowed) <= declared(access), f"{access.name}: an allowance for an undeclared grant"
    assert not seen & set(allowed), f"{access.name} was seen to call {sorted(seen & set(allowed))}: not NOT_OBSERVED"
    undeclared, unused = seen - declared(access), declared(access) - seen - set(allowed)
    assert not undeclared and not unused, (
        f"{access.name} calls what infra/permissions.py does not allow it: {sorted(undeclared)}; "
        f"it is allowed what its code was never seen to call: {sorted(unused)}"
    )


# -- the functions as deployed ---------------------------------------------------------------------------------------
class Lambdas:
    """The functions app.py registers, invoked by name as Lambda invokes them (each composes from the environment on
    its first invocation, then keeps it), with the stream and the queues delivered as their event sources would."""

    def __init__(self, recorder: Recorder, api: Api) -> None:
        import app as module
        from devstack.queue_pump import QueuePump

        self.app = importlib.reload(module).app  # a fresh composition per test
        self.recorder = recorder
        self.stream = stream_pump(api.deps, lambda event: self.invoke(REPORTS_STREAM, event))
        self.exports = Exports(api)
        self.exports.handler = lambda event: self.invoke(EXPORT_WORKER, event)
        self.exports.dead = QueuePump(self.exports.sqs, EXPORT_DLQ.name_in(os.environ), self.dead_letters, 10)

    def dead_letters(self, event: dict[str, Any]) -> Any:
        return self.invoke(EXPORT_DEAD_LETTERS, event)

    def invoke(self, access: FunctionAccess, event: Any) -> Any:
        with self.recorder.running(access.name):
            return self.app.handler_map[access.name](event, None)

    def drain_stream(self) -> None:
        with self.recorder.running(None):  # the pump's own reads are Lambda's, not the function's
            self.stream.drain()

    def run_exports(self) -> None:
        with self.recorder.running(None):
            self.exports.run()


@pytest.fixture
def lambdas(recorder: Recorder, api: Api) -> Lambdas:
    return Lambdas(recorder, api)


def put_root_secret() -> None:
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name=PARAMETER, Value=TEST_ROOT_SECRET.decode(), Type="SecureString"
    )


def compose_api_as_deployed(api: Api, clock: list[datetime]) -> None:
    """What `compose_api_from_environment` does on the function's first request (configuration, the root secret
    from Parameter Store, every store), with the tests' clock; the routes are then served over it."""
    from chalicelib.api.composition import compose_api, read_root_secret
    from chalicelib.config import load_api_config

    config = load_api_config(TEST_ENV, allow_local_auth=True)
    api.rewire(compose_api(config, read_root_secret(config), clock=lambda: clock[0]))


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.body
    return body(response)


STATEMENT = {
    "facts": "The comment repeats a classmate's name with insults.",
    "ground": "Community Guidelines 4.2 (bullying)",
    "automated": False,
    "redress": "Appeal in the app within six months, or go to a certified out-of-court body.",
}
TAKEN_DOWN = {
    "outcome": "action_taken",
    "action": "remove_content",
    "statement_of_reasons": STATEMENT,
    "affected_account_id": "owner-1",
}
MODERATOR = ("mod-7", "moderator")
REVIEWER = ("mod-8", "moderator")


def file_report(api: Api, reporter: str) -> str:
    """A report on owner-1's comment (the same target each time: one case)."""
    payload = {"target": {"type": "comment", "id": "comment-1", "account_id": "owner-1"}, "reason": "bullying"}
    headers = {**auth(reporter), "Idempotency-Key": uuid.uuid4().hex}
    return str(ok(api.call("POST", "/v1/reports", {**payload, "good_faith": True}, headers), 201)["report_id"])


def decide_open_case(api: Api, decision: dict[str, Any]) -> str:
    (case,) = ok(api.call("GET", "/v1/moderation/queue", headers=auth(*MODERATOR)))["items"]
    path = f"/v1/moderation/cases/{case['case_id']}/decision"
    return str(ok(api.call("POST", path, decision, {**auth(*MODERATOR), "If-Match": case["etag"]}))["decision_id"])


def few_accounts(api: Api) -> None:
    """An account in each band, one with a change in its history."""
    for account_id, born in (("kid", BORN_13_15), ("teen", BORN_16_17), ("owner-1", BORN_ADULT)):
        sign_up(api, account_id, born)
    ok(api.call("PATCH", "/v1/accounts/kid/settings", {"settings": {"comments": "no_one"}}, auth("kid")))


# -- the scenarios ---------------------------------------------------------------------------------------------------
def test_the_api_calls_exactly_what_it_is_allowed(
    api: Api, lambdas: Lambdas, recorder: Recorder, clock: list[datetime]
) -> None:
    # Given the root secret in Parameter Store
    put_root_secret()
    signup = {"account_id": "kid", "birth_date": BORN_13_15, "country": "GB"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    with recorder.running(API.name):
        # When the API composes as on its first request, and every family of routes is called: sign-up (with a
        # replay, and a refused second sign-up whose idempotency record is deleted), the settings screen, a change,
        # the history, an age correction, a jurisdiction change
        compose_api_as_deployed(api, clock)
        first = ok(api.call("POST", "/v1/accounts", signup, {**auth(*SIGNUP), **key}), 201)
        assert ok(api.call("POST", "/v1/accounts", signup, {**auth(*SIGNUP), **key}), 201) == first
        again = {**auth(*SIGNUP), "Idempotency-Key": uuid.uuid4().hex}
        assert api.call("POST", "/v1/accounts", signup, again).status_code == 409
        sign_up(api, "owner-1", BORN_ADULT)
        ok(api.call("GET", "/v1/accounts/kid/settings", headers=auth("kid")))
        ok(api.call("PATCH", "/v1/accounts/kid/settings", {"settings": {"comments": "no_one"}}, auth("kid")))
        ok(api.call("GET", "/v1/accounts/kid/settings/history", headers=auth(*AUDITOR)))
        younger = {"birth_date": "2012-08-10", "assurance": "self_declared", "source": "self"}
        ok(api.call("PUT", "/v1/accounts/kid/age", younger, auth("kid")))
        ok(api.call("PUT", "/v1/accounts/kid/jurisdiction", {"country": "FR"}, auth(*SIGNUP)))
        # And reports are filed, read and listed, the case is queued, read and decided, the decision read by the
        # account it affects and listed, its statement listed
        report_id = file_report(api, "reporter-a")
        file_report(api, "reporter-b")
        lambdas.drain_stream()
        ok(api.call("GET", f"/v1/reports/{report_id}", headers=auth("reporter-a")))
        ok(api.call("GET", "/v1/reports", headers=auth("reporter-a")))
        (case,) = ok(api.call("GET", "/v1/moderation/queue", headers=auth(*MODERATOR)))["items"]
        ok(api.call("GET", f"/v1/moderation/cases/{case['case_id']}", headers=auth(*MODERATOR)))
        decision_id = decide_open_case(api, TAKEN_DOWN)
        lambdas.drain_stream()
        ok(api.call("GET", f"/v1/decisions/{decision_id}", headers=auth("owner-1")))
        ok(api.call("GET", "/v1/accounts/owner-1/decisions", headers=auth("owner-1")))
        window = f"from={FIXED_NOW:%Y-%m-%d}T00:00:00Z&to={FIXED_NOW + timedelta(days=1):%Y-%m-%d}T00:00:00Z"
        assert ok(api.call("GET", f"/v1/moderation/statements?{window}", headers=auth(*MODERATOR)))["statements"]
        # And the decision is appealed, the appeal read, queued and upheld; a reporter is muted
        appeal = {"explanation": "It was not bullying"}
        headers = {**auth("reporter-a"), "Idempotency-Key": uuid.uuid4().hex}
        appeal_id = ok(api.call("POST", f"/v1/decisions/{decision_id}/appeals", appeal, headers), 201)["appeal_id"]
        ok(api.call("GET", f"/v1/appeals/{appeal_id}", headers=auth("reporter-a")))
        ok(api.call("GET", "/v1/moderation/appeals", headers=auth(*REVIEWER)))
        upheld = {"outcome": "upheld", "statement_of_reasons": STATEMENT}
        ok(api.call("POST", f"/v1/moderation/appeals/{appeal_id}/decision", upheld, auth(*REVIEWER)))
        mute = {"hours": 24, "reason": "spam waves"}
        ok(api.call("POST", "/v1/moderation/reporters/reporter-b/mute", mute, auth(*MODERATOR)))
        # And family pairing: a code made and redeemed (after a wrong one), the guardian's teens and read of the
        # teen's screen, the link ended
        code = ok(api.call("POST", "/v1/pairing-codes", None, auth("kid")), 201)["code"]
        assert api.call("POST", "/v1/pairing-codes/ABCDEFGH/redeem", None, auth("owner-1")).status_code == 404
        ok(api.call("POST", f"/v1/pairing-codes/{code}/redeem", None, auth("owner-1")), 201)
        ok(api.call("GET", "/v1/guardians/me/teens", headers=auth("owner-1")))
        ok(api.call("GET", "/v1/accounts/kid/settings", headers=auth("owner-1")))
        assert api.call("DELETE", "/v1/accounts/kid/guardians/owner-1", None, auth("kid")).status_code == 204
        # And an export is started, run by the workers, read once complete and listed
        export_id = lambdas.exports.start(key=uuid.uuid4().hex)
        lambdas.run_exports()
        complete = lambdas.exports.get(export_id)
        ok(api.call("GET", "/v1/exports", headers=auth(*AUDITOR)))
        # And an export whose work the queue refuses is failed at once (never left running)
        recorder.fail("sqs", "SendMessageBatch", refuse_every_message)
        refused = {**auth(*AUDITOR), "Idempotency-Key": uuid.uuid4().hex}
        assert api.call("POST", "/v1/exports", {"include_history": False}, refused).status_code == 503
        listed = ok(api.call("GET", "/v1/exports", headers=auth(*AUDITOR)))["exports"]
    # Then the complete export's files are signed GetObject links (presigning calls nothing: s3:GetObject is what
    # the link is used with), and the refused export is failed
    assert complete["status"] == "complete" and complete["downloads"], complete
    assert all("X-Amz-Signature=" in url and f"/{EXPORT_PREFIX}" in url for url in complete["downloads"].values())
    assert sorted(export["status"] for export in listed) == ["complete", "failed"]
    # And the API called exactly what it is allowed, and the workers it fed nothing else
    assert_exactly_declared(recorder, API)
    assert_only_declared(recorder, REPORTS_STREAM)
    assert_only_declared(recorder, EXPORT_WORKER)


def refuse_every_message(params: Mapping[str, Any]) -> Any:
    failed = [{"Id": e["Id"], "SenderFault": False, "Code": "ServiceUnavailable"} for e in params["Entries"]]
    return {"Successful": [], "Failed": failed}


def test_the_reports_stream_calls_exactly_what_it_is_allowed(api: Api, lambdas: Lambdas, recorder: Recorder) -> None:
    # Given reports on one comment, one filed after the others were counted into a case
    sign_up(api, "owner-1", BORN_ADULT)
    file_report(api, "reporter-a")
    file_report(api, "reporter-b")
    # When the stream delivers them, then the decision on their case, then a reversal on appeal
    lambdas.drain_stream()
    file_report(api, "reporter-c")
    lambdas.drain_stream()
    decision_id = decide_open_case(api, {"outcome": "no_violation", "action": None, "statement_of_reasons": STATEMENT})
    lambdas.drain_stream()
    headers = {**auth("reporter-a"), "Idempotency-Key": uuid.uuid4().hex}
    appeal = {"explanation": "It was bullying"}
    appeal_id = ok(api.call("POST", f"/v1/decisions/{decision_id}/appeals", appeal, headers), 201)["appeal_id"]
    reversal = {**TAKEN_DOWN, "outcome": "reversed"}
    ok(api.call("POST", f"/v1/moderation/appeals/{appeal_id}/decision", reversal, auth(*REVIEWER)))
    lambdas.drain_stream()
    # Then every report was counted into the case and closed out as the reversal decided
    reports = ok(api.call("GET", "/v1/reports", headers=auth("reporter-c")))["reports"]
    assert [report["status"] for report in reports] == ["decided"]
    # And the consumer called exactly what it is allowed
    assert_exactly_declared(recorder, REPORTS_STREAM)


def test_the_birthday_job_calls_exactly_what_it_is_allowed(
    api: Api, lambdas: Lambdas, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a 15-year-old who turns 16 on 2026-12-20, and a 17-year-old in Vermont sharing their location, which
    # Vermont's overlay stops from 2027-01-01
    sign_up(api, "kid", "2010-12-20")
    ok(api.sign_up("vt-teen", BORN_16_17, "US", "US-VT"), 201)
    # And a 17-year-old with a guardian, who turns 18 that day (the job ends the link)
    sign_up(api, "nearly-18", "2008-12-20")
    sign_up(api, "parent", BORN_ADULT)
    code = ok(api.call("POST", "/v1/pairing-codes", None, auth("nearly-18")), 201)["code"]
    ok(api.call("POST", f"/v1/pairing-codes/{code}/redeem", None, auth("parent")), 201)
    ok(api.call("PATCH", "/v1/accounts/vt-teen/settings", {"settings": {"location_sharing": True}}, auth("vt-teen")))
    today = [datetime(2026, 12, 20, 0, 5, tzinfo=UTC)]
    monkeypatch.setattr("chalicelib.workers.transitions.utc_now", lambda: today[0])
    # When the scheduled job runs on the birthday, again in a later slot, and on the day the overlay takes effect
    moved = lambdas.invoke(TRANSITIONS, scheduled_event())
    lambdas.invoke(TRANSITIONS, scheduled_event())
    today[0] = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    lambdas.invoke(TRANSITIONS, scheduled_event())
    # Then the kid moved to 16-17, and Vermont's rule reached the teen
    assert (moved["complete"], moved["moved"]) == (True, 2)
    adult = ok(api.call("GET", "/v1/accounts/nearly-18/settings", headers=auth("nearly-18")))
    assert (adult["age"]["band"], adult["guardians"]) == ("18+", [])
    kid = ok(api.call("GET", "/v1/accounts/kid/settings", headers=auth("kid")))
    teen = ok(api.call("GET", "/v1/accounts/vt-teen/settings", headers=auth("vt-teen")))
    assert (kid["age"]["band"], teen["settings"]["location_sharing"]["value"]) == ("16-17", False)
    # And the job called exactly what it is allowed
    assert_exactly_declared(recorder, TRANSITIONS)


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-20T00:05:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/band-transitions"],
        "detail": {},
    }


def test_the_policy_migration_calls_exactly_what_it_is_allowed(
    api: Api, lambdas: Lambdas, recorder: Recorder, clock: list[datetime]
) -> None:
    from chalicelib.api.composition import compose_api
    from chalicelib.config import load_api_config
    from chalicelib.policy import load_policy, newest_version

    # Given accounts signed up under the previous policy version
    previous = load_policy("2026-11-25")
    config = load_api_config(TEST_ENV, allow_local_auth=True)
    api.rewire(compose_api(config, TEST_ROOT_SECRET, clock=lambda: clock[0], policy=previous))
    for account_id, born in (("kid", BORN_13_15), ("teen", BORN_16_17), ("adult", BORN_ADULT)):
        sign_up(api, account_id, born)
    # When the migration is invoked, dry first
    dry = lambdas.invoke(MIGRATION, {"dry_run": True})
    done = lambdas.invoke(MIGRATION, {})
    # Then every account is on the newest version
    assert (dry["accounts_seen"], done["accounts_seen"], done["done"]) == (3, 3, True)
    assert {newest_version()} == {
        ok(api.call("GET", f"/v1/accounts/{a}/settings", headers=auth(a)))["policy_version"]
        for a in ("kid", "teen", "adult")
    }
    # And the migration called exactly what it is allowed
    assert_exactly_declared(recorder, MIGRATION)


def test_the_export_worker_calls_exactly_what_it_is_allowed(
    api: Api, lambdas: Lambdas, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.s3.models

    import chalicelib.store.objects

    # Given accounts with history, a decision with a statement of reasons, and an export in two segments whose
    # files are written in small parts (the multipart upload a large export makes), the first part failing once
    few_accounts(api)
    file_report(api, "reporter-a")
    lambdas.drain_stream()
    decide_open_case(api, TAKEN_DOWN)
    api.rewire(replace(api.deps, exports=replace(api.deps.exports, items_per_segment=4)))
    monkeypatch.setattr(chalicelib.store.objects, "PART_BYTES", 64)
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1)  # S3's 5 MiB minimum part, scaled down alike
    recorder.fail("s3", "UploadPart", once(raising("UploadPart")))
    export_id = lambdas.exports.start(key=uuid.uuid4().hex)
    # When the workers run its segments and its finaliser
    lambdas.run_exports()
    # Then it is complete, every segment counted
    found = lambdas.exports.get(export_id)
    assert (found["status"], found["progress"]["segments_done"], found["progress"]["segments"]) == ("complete", 2, 2)
    # And the worker called exactly what it is allowed
    assert_exactly_declared(recorder, EXPORT_WORKER)


def test_the_export_dead_letter_consumer_calls_exactly_what_it_is_allowed(
    api: Api, lambdas: Lambdas, recorder: Recorder
) -> None:
    # Given an export in two segments, the second of which can never read its accounts
    few_accounts(api)
    api.rewire(replace(api.deps, exports=replace(api.deps.exports, items_per_segment=4)))

    def second_segment_fails(params: Mapping[str, Any]) -> Any:
        if params.get("Segment") == 1:
            raise aws_error("Scan")
        return None

    recorder.fail("dynamodb", "Scan", second_segment_fails)
    export_id = lambdas.exports.start(key=uuid.uuid4().hex)
    # When the workers run until the failing segment's message reaches the dead-letter queue and its consumer
    lambdas.run_exports()
    # Then the export is failed, naming the segment, and nothing it wrote is left
    found = lambdas.exports.get(export_id)
    assert found["status"] == "failed" and found["failure"].startswith("segment 1 kept failing"), found
    listed = lambdas.exports.s3.list_objects_v2(Bucket=EXPORT_BUCKET.name_in(os.environ), Prefix=EXPORT_PREFIX)
    assert listed.get("KeyCount", 0) == 0
    # And the consumer called exactly what it is allowed, and the worker nothing else
    assert_exactly_declared(recorder, EXPORT_DEAD_LETTERS)
    assert_only_declared(recorder, EXPORT_WORKER)


SCENARIOS = {
    API.name: test_the_api_calls_exactly_what_it_is_allowed,
    REPORTS_STREAM.name: test_the_reports_stream_calls_exactly_what_it_is_allowed,
    TRANSITIONS.name: test_the_birthday_job_calls_exactly_what_it_is_allowed,
    MIGRATION.name: test_the_policy_migration_calls_exactly_what_it_is_allowed,
    EXPORT_WORKER.name: test_the_export_worker_calls_exactly_what_it_is_allowed,
    EXPORT_DEAD_LETTERS.name: test_the_export_dead_letter_consumer_calls_exactly_what_it_is_allowed,
}


def test_every_function_has_its_scenario_and_names_only_resources_the_translation_knows() -> None:
    # Given the functions infra/permissions.py declares / Then each has its scenario above, and every table and queue
    # its code may use is one a recorded call can be translated back to
    assert set(SCENARIOS) == {access.name for access in FUNCTIONS}
    assert {grant.table for access in FUNCTIONS for grant in access.tables} <= set(ALL_TABLES)
    assert {q for access in FUNCTIONS for q in access.sends_to} <= {EXPORT_QUEUE, EXPORT_DLQ}

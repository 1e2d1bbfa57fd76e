"""Builds the Chalice app from the route declarations: the middleware, one registration per route, and the views'
error handling. Which authorizer guards the routes is an argument: `app.py` passes Cognito, always; only the local
stack and the tests pass their local HS256 authorizer, which lives outside `chalicelib/` and never ships.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, CognitoUserPoolAuthorizer, Response
from pydantic import ValidationError

from chalicelib.api.access import AccessTable
from chalicelib.api.call import Call
from chalicelib.api.middleware import RequestMiddleware, current_scope, problem_json
from chalicelib.api.problems import problem, problem_from_error, problem_from_validation
from chalicelib.api.routes import ROUTES, Route
from chalicelib.config import UnsafeConfiguration
from chalicelib.domain.errors import DomainError
from chalicelib.policy import newest_version

APP_NAME = "safety-settings"
# The deployment (infra/) puts the real user pool's ARN in the template; nothing here reads it from the environment.
USER_POOL_ARN_PLACEHOLDER = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_SetAtDeploy"

AuthorizerFactory = Callable[[Chalice], Any]


def cognito_authorizer(app: Chalice) -> Any:
    return CognitoUserPoolAuthorizer("users", provider_arns=[USER_POOL_ARN_PLACEHOLDER])


class Composed:
    """The dependencies, composed once on first use (thread-safe), so importing the app builds nothing. A refusal to
    start (`UnsafeConfiguration`) is kept: the function's environment will not change while it runs. A transient
    failure (SSM throttled) is not: the next request composes again."""

    def __init__(self, compose: Callable[[], Any]) -> None:
        self._compose = compose
        self._built: Any = None
        self._refusal: UnsafeConfiguration | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        if self._built is None:
            with self._lock:
                if self._refusal is not None:
                    raise self._refusal
                if self._built is None:
                    try:
                        self._built = self._compose()
                    except UnsafeConfiguration as refusal:
                        self._refusal = refusal
                        raise
        return self._built


def create_app(
    authorizer: AuthorizerFactory,
    compose: Callable[[], Any],
    routes: tuple[Route, ...] = ROUTES,
    policy_version: Callable[[], str] | None = None,
) -> Chalice:
    """The app. `policy_version` names the policy in force for the public policy route, which must answer without
    composing (no secret is needed to read a policy); by default the newest kept version."""
    # configure_logs=False: the service logs through Powertools only (chalice would add a second, plain-text copy
    # of every line, on the logger of the same name).
    app = Chalice(app_name=APP_NAME, configure_logs=False)
    app.register_middleware(RequestMiddleware(AccessTable((r.method, r.path, r.access) for r in routes)), "http")
    route_authorizer = authorizer(app)
    composed = Composed(compose)
    in_force = policy_version or newest_version
    for route in routes:
        app.route(
            route.path,
            methods=[route.method],
            name=route.operation_id,
            authorizer=None if route.public else route_authorizer,
            content_types=["*/*"],  # checked by the view wrapper, as problem+json, only where a body is read
        )(_view_handler(app, route, composed, in_force))
    return app


def _is_json(content_type: str | None) -> bool:
    if content_type is None:  # as API Gateway and chalice: no Content-Type is taken as JSON
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json"


def _view_handler(
    app: Chalice, route: Route, composed: Composed, policy_version: Callable[[], str]
) -> Callable[..., Response]:
    def handle(**params: str) -> Response:
        scope = current_scope()
        request = app.current_request
        assert request is not None  # chalice sets it before any view runs
        try:
            if route.request is not None and not _is_json(request.headers.get("content-type")):
                return problem_json(415, "unsupported_media_type", "send the body as application/json")
            call = Call(request, scope, composed, params, app.lambda_context, policy_version)
            return route.view(call)
        except DomainError as error:
            scope.outcome = error.code
            return problem_from_error(error)
        except ValidationError as error:
            response, scope.outcome = problem_from_validation(error)
            return response
        except Exception as error:
            # A bug, or a function that refuses to start (`UnsafeConfiguration`, naming the variable): the request's
            # one log line carries the traceback; the client gets a plain 500.
            scope.crash = error
            return problem(500, "internal_error", "something went wrong on our side")

    handle.__name__ = route.operation_id
    return handle

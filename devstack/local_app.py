"""The app as `make run` and the tests serve it: the same routes and composition as `app.py`, guarded by the local
HS256 authorizer instead of Cognito. This explicit opt-in is the only way to get local authentication."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import AuthRequest, AuthResponse, Chalice

from chalicelib.api.application import create_app
from chalicelib.api.composition import compose_api_from_environment, policy_version_from_environment
from devstack.local_auth import claims_context
from devstack.token import local_jwt_secret


def local_authorizer(secret: str) -> Callable[[Chalice], Any]:
    def register(app: Chalice) -> Any:
        @app.authorizer(name="local_jwt")
        def local_jwt(auth_request: AuthRequest) -> AuthResponse:
            principal, context = claims_context(auth_request.token, secret)
            # Allowed through with the verdict in the context: the app's access table answers 401 as problem+json
            # (an authorizer that raises makes chalice local drop the connection).
            return AuthResponse(routes=["*"], principal_id=principal, context=context)

        return local_jwt

    return register


def build_local_app(compose: Callable[[], Any] | None = None, env: Mapping[str, str] | None = None) -> Chalice:
    """The app with local tokens; by default composed from the (local stack's) environment, which must name
    `AUTH_MODE=local` explicitly."""
    environment = os.environ if env is None else env
    compose = compose or (lambda: compose_api_from_environment(environment, allow_local_auth=True))
    return create_app(
        local_authorizer(local_jwt_secret()),
        compose,
        policy_version=lambda: policy_version_from_environment(environment),
    )

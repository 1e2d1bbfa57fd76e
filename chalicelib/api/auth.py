"""The authorizer every non-public route uses: Cognito in AWS, a built-in HS256 check locally and in tests."""

from __future__ import annotations

import os
from typing import Any

from chalice.app import AuthRequest, AuthResponse, Blueprint, CognitoUserPoolAuthorizer

from chalicelib.config import get_config

auth = Blueprint(__name__)
route_authorizer: Any

if get_config().auth_mode == "cognito":
    route_authorizer = CognitoUserPoolAuthorizer("users", provider_arns=[os.environ["USER_POOL_ARN"]])
else:

    @auth.authorizer(name="local_jwt")
    def local_jwt(auth_request: AuthRequest) -> AuthResponse:
        from chalicelib.local_auth import claims_context

        principal, context = claims_context(auth_request.token)
        # Allowed through with the verdict in the context: the app's access table answers 401 as problem+json
        # (an authorizer that raises makes chalice local drop the connection).
        return AuthResponse(routes=["*"], principal_id=principal, context=context)

    route_authorizer = local_jwt

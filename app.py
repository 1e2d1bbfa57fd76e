"""safety-settings: age-aware safety settings, abuse reports and an audit trail, on Chalice + DynamoDB.

The deployed HTTP API: Cognito guards every route but the public ones, always. Dependencies are composed from the
function's environment on the first request, so importing this module (as `chalice package` does) reads nothing.
"""

from __future__ import annotations

import os

from chalicelib.api.application import cognito_authorizer, create_app
from chalicelib.api.composition import compose_api_from_environment

app = create_app(cognito_authorizer, lambda: compose_api_from_environment(os.environ))

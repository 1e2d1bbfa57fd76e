"""safety-settings: age-aware safety settings, abuse reports and an audit trail, on Chalice + DynamoDB."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.api.accounts import accounts
from chalicelib.api.auth import auth
from chalicelib.api.meta import meta
from chalicelib.api.middleware import handle_request
from chalicelib.api.moderation import moderation
from chalicelib.api.reports import reports

app = Chalice(app_name="safety-settings")
app.register_middleware(handle_request, "http")
app.register_blueprint(auth)
app.register_blueprint(meta)
app.register_blueprint(accounts)
app.register_blueprint(reports)
app.register_blueprint(moderation)

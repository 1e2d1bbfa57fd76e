"""safety-settings: age-aware safety settings, abuse reports and an audit trail, on Chalice + DynamoDB.

The deployed HTTP API: Cognito guards every route but the public ones, always. Dependencies are composed from the
function's environment on the first request (or record), so importing this module (as `chalice package` does)
reads nothing. The reports stream consumer composes only the reports table; the birthday job only the settings
table and the band-end key; the policy migration only the settings table; the export
workers the tables they read, the exports table, bucket and queue.
"""

from __future__ import annotations

import os

from chalicelib.api.application import cognito_authorizer, create_app
from chalicelib.api.composition import compose_api_from_environment, policy_version_from_environment
from chalicelib.workers.exports import compose_export_worker, register_exports
from chalicelib.workers.migration import compose_migration, register_migration
from chalicelib.workers.reports_stream import compose_stream_worker, register_reports_stream
from chalicelib.workers.transitions import compose_transitions, register_transitions

app = create_app(
    cognito_authorizer,
    lambda: compose_api_from_environment(os.environ),
    policy_version=lambda: policy_version_from_environment(os.environ),
)
register_reports_stream(app, lambda: compose_stream_worker(os.environ), os.environ.get("REPORTS_STREAM_ARN"))
register_transitions(app, lambda: compose_transitions(os.environ))
register_migration(app, lambda: compose_migration(os.environ))
register_exports(
    app, lambda: compose_export_worker(os.environ), os.environ.get("EXPORT_QUEUE"), os.environ.get("EXPORT_DLQ")
)

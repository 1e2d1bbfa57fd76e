"""The process environment the benchmark runs in, and the composition it measures: fake AWS credentials, no real
endpoint, a bench root secret.

Imported before the app (like tests/conftest.py), so nothing the benchmark does can reach AWS. Nothing composes from
the environment: the benchmark calls `compose_api(config, root_secret)` itself, which skips only the SSM read of the
root secret (a network call) that `compose_api_from_environment` makes on a deployed function's first request.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "bench-secret-at-least-32-bytes-long!"  # the local app's HS256 authorizer checks tokens with it
ROOT_SECRET = b"bench-root-secret-of-at-least-32-bytes!"
REGION = "eu-west-1"

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "LOCAL_JWT_SECRET": JWT_SECRET,
    "POWERTOOLS_METRICS_NAMESPACE": "SafetySettingsBench",
    "POWERTOOLS_DEV": "false",
}
# The API's configuration as the deployed function would read it (default table names, Cognito).
CONFIG_ENV = {
    "AWS_REGION": REGION,
    "AUTH_MODE": "cognito",
    "ROOT_SECRET_PARAMETER": "/safety-settings/bench/root-secret",
}


def prepare() -> None:
    os.environ.update(BENCH_ENV)
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL", "AUTH_MODE", "ROOT_SECRET_PARAMETER"):
        os.environ.pop(name, None)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def compose() -> Any:
    """The API's dependencies, composed as `app.py` does on its first request, minus the SSM read."""
    from chalicelib.api.composition import compose_api
    from chalicelib.config import load_api_config

    return compose_api(load_api_config(CONFIG_ENV), ROOT_SECRET)


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Sends the app's log and EMF lines to /dev/null at the file-descriptor level.

    The lines are still formatted and written (that is part of a request's cost); they just do not flood the report.
    Powertools' handler holds its own reference to stdout, so swapping `sys.stdout` would not be enough.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)

"""The process environment the benchmark runs in: local auth, fake AWS credentials, no real endpoint.

Imported before the app (like tests/conftest.py), so nothing the benchmark does can reach AWS.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "bench-secret-at-least-32-bytes-long!"

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AUTH_MODE": "local",
    "LOCAL_JWT_SECRET": JWT_SECRET,
    "POWERTOOLS_METRICS_NAMESPACE": "SafetySettingsBench",
    "POWERTOOLS_DEV": "false",
}


def prepare() -> None:
    os.environ.update(BENCH_ENV)
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


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

"""Synthesizes the stack offline: the entry point `cdk synth` runs (`python -m infra.main`) and the tests' fixture.

Chalice's construct runs `chalice package` in this process; its pip is pinned to the wheelhouse built from the lock
(tools/package.py), so a synth never reaches the network. Its scratch files go under build/, not the working
directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.package import BUILD, DEFAULT_REGION, ensure_wheelhouse, offline_pip_env, one_build_at_a_time

ROOT = Path(__file__).resolve().parent.parent
STACK_ID = "SafetySettings"
# CDK feature flags the stack relies on (the same for `cdk synth` and the tests).
FEATURE_FLAGS = {
    # S3 delivers server access logs by a bucket policy on the log bucket, never a (deprecated) ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


@contextmanager
def offline_packaging() -> Iterator[None]:
    """Chalice's pip on the wheelhouse, a region for its template, and its `chalice.out/` under build/."""
    with one_build_at_a_time():
        wheelhouse = ensure_wheelhouse()
        saved = dict(os.environ)
        cwd = Path.cwd()
        scratch = BUILD / "cdk"
        scratch.mkdir(parents=True, exist_ok=True)
        os.environ.update(offline_pip_env(wheelhouse))
        if not ({"AWS_REGION", "AWS_DEFAULT_REGION"} & os.environ.keys()):
            os.environ["AWS_DEFAULT_REGION"] = DEFAULT_REGION
        os.chdir(scratch)
        try:
            yield
        finally:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(saved)


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None, *, nag: bool = True) -> Any:
    """The CDK app with the stack (and cdk-nag's AWS Solutions checks), not yet synthesized."""
    import aws_cdk as cdk

    from infra.nag import acknowledge, add_checks
    from infra.settings import settings_from_context
    from infra.stack import SafetySettingsStack

    app = cdk.App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    settings = settings_from_context(app.node.try_get_context)
    with offline_packaging():
        stack = SafetySettingsStack(
            app,
            STACK_ID,
            settings,
            stack_name=settings.stage,
            description="safety-settings: age-aware safety settings, abuse reports and an audit trail",
        )
    if nag:
        add_checks(app)
        acknowledge(stack)
    return app

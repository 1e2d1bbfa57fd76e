"""Structured logs and metrics (Powertools), built once per process.

No tracer: the X-Ray SDK import alone costs about half a second of cold start; request ids in every log line and
EMF metrics cover what a trace would show for a service this size.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = "safety-settings"


@cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


def count(name: str, dimensions: dict[str, str] | None = None, value: int = 1) -> None:
    """Emits one count metric as an EMF line, with its own dimensions so metrics never mix dimensions."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    # The namespace is Powertools' own setting, POWERTOOLS_METRICS_NAMESPACE, set on every function.
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        default_dimensions={"service": SERVICE},
    ) as metric:
        for key, dimension in (dimensions or {}).items():
            metric.add_dimension(name=key, value=dimension)

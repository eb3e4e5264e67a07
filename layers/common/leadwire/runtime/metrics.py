"""What leadwire counts: the custom metrics, sent as EMF when the handler returns, in the full observability tier.

The basic tier turns them off with POWERTOOLS_METRICS_DISABLED, which Powertools honours only in the flush at the end
of an invocation: its `single_metric` prints at once regardless, and a metric that reaches 100 values (which, never
flushed, each does over a warm container's invocations) is printed on the spot. Every EMF line printed becomes a
custom metric, billed, that the basic tier promises not to have; so when metrics are off nothing is added at all.

A count comes after what it counts (an email SES took, an event the bus took): one that fails is logged, never
raised, or the sender would think the email unsent and send it again."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

logger = Logger(child=True)
_metrics = Metrics()  # every instance shares one metric set (each reads its namespace from the environment)
Handler = TypeVar("Handler", bound=Callable[..., Any])
Counter = TypeVar("Counter", bound=Callable[..., None])


def _when_on(record: Counter) -> Counter:
    """`record` skipped when metrics are off, and logged instead of raised when it fails."""
    @wraps(record)
    def guarded(name: str, *args: Any, **kwargs: Any) -> None:
        if is_metrics_disabled():
            return
        try:
            record(name, *args, **kwargs)
        except Exception as error:
            logger.warning("metric not recorded", extra={"metric": name, "error": type(error).__name__})

    return guarded  # type: ignore[return-value]


@_when_on
def count(name: str, value: float = 1, unit: str = MetricUnit.Count) -> None:
    _metrics.add_metric(name=name, unit=unit, value=value)


@_when_on
def count_by(name: str, dimension: str, value: str) -> None:
    """One more of `name` under a dimension of its own (a lead by its source), sent at once as its own EMF line."""
    with single_metric(name=name, unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name=dimension, value=value)


def flushed(handler: Handler) -> Handler:
    """The handler, its invocation's metrics printed when it returns; as it is when metrics are off (Powertools would
    warn, on every cold start, that it had nothing to print). Its Metrics is made here, as the handler module loads
    with the function's environment, so the flush has the namespace whatever imported this module first."""
    return handler if is_metrics_disabled() else Metrics().log_metrics(handler)

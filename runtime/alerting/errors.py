"""Exceptions raised by codeopt_runtime.alerting.

They join the runtime's tree (``RuntimeLibError``) and ``ValueError``, because every one of them
reports a bad argument or configuration that plain Python code would have rejected with a
``ValueError``. Nothing here is ever raised out of ``AlertManager.evaluate``: failures of user
callables there are recorded, not propagated.
"""

from __future__ import annotations

from ..errors import RuntimeLibError

__all__ = ["AlertingError", "ConfigError", "MetricsError"]


class AlertingError(RuntimeLibError):
    """Base class of the metrics and alerting errors."""


class MetricsError(AlertingError, ValueError):
    """A metric was declared or used inconsistently (bad name, labels, negative counter increment)."""


class ConfigError(AlertingError, ValueError):
    """A rule, route, matcher, silence or SLO was configured with invalid values."""

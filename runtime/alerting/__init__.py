"""codeopt_runtime.alerting: metrics, Prometheus exposition and Alertmanager-style alerting.

``MetricsCollector`` (metrics.py) registers counters/gauges/histograms, gathers process metrics and
runtime component stats, and renders the Prometheus text format (exposition.py). ``AlertManager``
(manager.py) evaluates rules (rules.py, burnrate.py) on explicit ticks and notifies receivers with
Alertmanager's grouping, dedup, inhibition and silences (dispatch.py, silences.py), escalates
(escalation.py) and runs remediation hooks (remediation.py). See docs/runtime/alerting.md.

Names load on first use (PEP 562): ``import codeopt_runtime.alerting`` imports nothing else, and
neither psutil nor prometheus_client is imported until a function needs it.
"""

from __future__ import annotations

from ..lazy import attach as _attach

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .burnrate import DEFAULT_WINDOWS, SLO, BurnWindow, burn_rate_rules
    from .durations import seconds
    from .errors import AlertingError, ConfigError, MetricsError
    from .escalation import Escalation
    from .exposition import MetricsServer, from_prometheus, register_with_prometheus, render, serve_metrics
    from .manager import AlertManager, Evaluation
    from .matchers import Matcher, parse_matchers
    from .metrics import Counter, Gauge, Histogram, MetricsCollector
    from .model import AlertView
    from .notify import Notification, WebhookNotifier
    from .remediation import RemediationHook
    from .routing import Receiver, Route
    from .rules import AlertRule, EvalContext, threshold
    from .silences import InhibitRule, Silence

_WHERE = {
    "DEFAULT_WINDOWS": "burnrate",
    "SLO": "burnrate",
    "BurnWindow": "burnrate",
    "burn_rate_rules": "burnrate",
    "seconds": "durations",
    "AlertingError": "errors",
    "ConfigError": "errors",
    "MetricsError": "errors",
    "Escalation": "escalation",
    "MetricsServer": "exposition",
    "from_prometheus": "exposition",
    "register_with_prometheus": "exposition",
    "render": "exposition",
    "serve_metrics": "exposition",
    "AlertManager": "manager",
    "Evaluation": "manager",
    "Matcher": "matchers",
    "parse_matchers": "matchers",
    "Counter": "metrics",
    "Gauge": "metrics",
    "Histogram": "metrics",
    "MetricsCollector": "metrics",
    "AlertView": "model",
    "Notification": "notify",
    "WebhookNotifier": "notify",
    "RemediationHook": "remediation",
    "Receiver": "routing",
    "Route": "routing",
    "AlertRule": "rules",
    "EvalContext": "rules",
    "threshold": "rules",
    "InhibitRule": "silences",
    "Silence": "silences",
}

__all__ = [
    "DEFAULT_WINDOWS",
    "SLO",
    "AlertManager",
    "AlertRule",
    "AlertView",
    "AlertingError",
    "BurnWindow",
    "ConfigError",
    "Counter",
    "Escalation",
    "EvalContext",
    "Evaluation",
    "Gauge",
    "Histogram",
    "InhibitRule",
    "Matcher",
    "MetricsCollector",
    "MetricsError",
    "MetricsServer",
    "Notification",
    "Receiver",
    "RemediationHook",
    "Route",
    "Silence",
    "WebhookNotifier",
    "burn_rate_rules",
    "from_prometheus",
    "parse_matchers",
    "register_with_prometheus",
    "render",
    "seconds",
    "serve_metrics",
    "threshold",
]


__getattr__, __dir__, _ = _attach(__name__, attr_modules=_WHERE)

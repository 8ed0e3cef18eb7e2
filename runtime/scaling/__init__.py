"""codeopt_runtime.scaling: load balancing, reactive (HPA) and predictive autoscaling, worker backends.

See docs/runtime/scaling.md. The names below load on first use (PEP 562): ``import
codeopt_runtime.scaling`` costs almost nothing, and ``multiprocessing`` is imported only by the
local worker-pool backend.
"""

from __future__ import annotations

from ..lazy import attach as _attach

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .backends import Backend, LocalWorkerPool, TaskResult
    from .balancer import PeakEwma, TaskLoadBalancer, Ticket, WorkerStats
    from .elasticity import ElasticityReport, elasticity_metrics
    from .errors import BackendError, NoEligibleWorker, ScalingConfigError, ScalingError
    from .forecast import HoltWinters, HoltWintersParams, SeasonalNaive, fit_holt_winters, mape
    from .hpa import (
        ExternalMetric,
        PodsMetric,
        ResourceAwareScaler,
        ResourceMetric,
        ScalingDecision,
        ScalingPolicy,
        ScalingRules,
    )
    from .predictive import PredictiveScaler, PredictiveStatus

__all__ = [
    "Backend",
    "BackendError",
    "ElasticityReport",
    "ExternalMetric",
    "HoltWinters",
    "HoltWintersParams",
    "LocalWorkerPool",
    "NoEligibleWorker",
    "PeakEwma",
    "PodsMetric",
    "PredictiveScaler",
    "PredictiveStatus",
    "ResourceAwareScaler",
    "ResourceMetric",
    "ScalingConfigError",
    "ScalingDecision",
    "ScalingError",
    "ScalingPolicy",
    "ScalingRules",
    "SeasonalNaive",
    "TaskLoadBalancer",
    "TaskResult",
    "Ticket",
    "WorkerStats",
    "elasticity_metrics",
    "fit_holt_winters",
    "mape",
]

_WHERE = {
    "Backend": "backends",
    "LocalWorkerPool": "backends",
    "TaskResult": "backends",
    "PeakEwma": "balancer",
    "TaskLoadBalancer": "balancer",
    "Ticket": "balancer",
    "WorkerStats": "balancer",
    "ElasticityReport": "elasticity",
    "elasticity_metrics": "elasticity",
    "BackendError": "errors",
    "NoEligibleWorker": "errors",
    "ScalingConfigError": "errors",
    "ScalingError": "errors",
    "HoltWinters": "forecast",
    "HoltWintersParams": "forecast",
    "SeasonalNaive": "forecast",
    "fit_holt_winters": "forecast",
    "mape": "forecast",
    "ExternalMetric": "hpa",
    "PodsMetric": "hpa",
    "ResourceAwareScaler": "hpa",
    "ResourceMetric": "hpa",
    "ScalingDecision": "hpa",
    "ScalingPolicy": "hpa",
    "ScalingRules": "hpa",
    "PredictiveScaler": "predictive",
    "PredictiveStatus": "predictive",
}


__getattr__, __dir__, _ = _attach(__name__, attr_modules=_WHERE)

"""Exceptions raised by ``codeopt_runtime.scaling`` (subclasses of the runtime's one base class).

Each also derives from the built-in exception a caller would naturally catch: picking from an
empty set is a ``LookupError``, a bad setting is a ``ValueError``.
"""

from __future__ import annotations

from ..errors import RuntimeLibError

__all__ = ["BackendError", "NoEligibleWorker", "ScalingConfigError", "ScalingError"]


class ScalingError(RuntimeLibError):
    """Base class of the scaling package's errors."""


class NoEligibleWorker(ScalingError, LookupError):
    """No registered worker has every capability the task requires (or no worker is registered)."""

    def __init__(self, required: frozenset[str]) -> None:
        wanted = ", ".join(sorted(required)) or "none"
        super().__init__(f"no worker offers the required capabilities ({wanted})")
        self.required = required


class ScalingConfigError(ScalingError, ValueError):
    """An invalid setting (negative replicas, a tolerance outside [0, 1), an unknown policy...)."""


class BackendError(ScalingError):
    """A backend could not carry out a scaling request (e.g. it was closed)."""

"""Exceptions raised by ``codeopt_runtime.cache`` (subclasses of the runtime's one base class).

Tier failures never surface as exceptions (they are counted and the tier is skipped); these are
for programming errors the caller must fix.
"""

from __future__ import annotations

from ..errors import RuntimeLibError

__all__ = ["CacheConfigError", "CacheError", "SerializationError"]


class CacheError(RuntimeLibError):
    """Base class of the cache's errors."""


class CacheConfigError(CacheError, ValueError):
    """Invalid cache configuration (e.g. ``serializer="pickle"`` without an HMAC key)."""


class SerializationError(CacheError, ValueError):
    """A value cannot be encoded by the configured serializer (it is then kept in L1 only)."""

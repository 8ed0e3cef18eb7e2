"""Exceptions raised by ``codeopt_runtime.db`` (subclasses of the runtime's error tree).

``ConnectionPoolTimeout`` is a ``PoolTimeout`` (and so a ``TimeoutError``): code that already catches
the object pool's timeout, or the built-in one, keeps working. It carries the pool's last connection
error so a timeout caused by a database outage says so.
"""

from __future__ import annotations

from ..errors import PoolClosed, PoolTimeout, RuntimeLibError

__all__ = ["ConnectionPoolClosed", "ConnectionPoolTimeout", "DBError", "UncachableQuery"]


class DBError(RuntimeLibError):
    """Base class of the database helpers' errors."""


class ConnectionPoolTimeout(PoolTimeout, DBError):
    """No connection could be checked out before the timeout (all in use, or the server is down)."""

    def __init__(self, message: str, *, last_error: BaseException | None = None) -> None:
        super().__init__(message)
        #: The last exception raised by ``connect`` (None when the pool was merely busy).
        self.last_error = last_error


class ConnectionPoolClosed(PoolClosed, DBError):
    """The connection pool was closed."""


class UncachableQuery(DBError, ValueError):
    """``QueryResultCache(strict=True)`` was asked to cache a statement it must not cache."""

"""Exceptions raised by codeopt_runtime.

One tree, so that callers can catch everything the runtime raises with a single ``except`` and
so that each error still matches the built-in exception that code written without codeopt would
have caught::

    RuntimeLibError                      base of every runtime error
    ├── LazyImportError (ImportError)    a lazy import failed at first use (or eagerly)
    └── PoolError                        base of the object-pool errors
        ├── PoolTimeout (TimeoutError)   no object became available within the checkout timeout
        └── PoolClosed                   the pool was closed

Why the dual inheritance: rewritten code keeps the ``except ImportError`` / ``except TimeoutError``
clauses it had before the rewrite, and those must keep working.

This module is imported by other parts of the runtime (lazy, pool, cache): it must stay small,
import nothing, and its names are stable API. Add a subclass rather than changing a base.
"""

from __future__ import annotations

__all__ = [
    "LazyImportError",
    "PoolClosed",
    "PoolError",
    "PoolTimeout",
    "RuntimeLibError",
]


class RuntimeLibError(Exception):
    """Base class of every exception raised by codeopt_runtime."""


class LazyImportError(RuntimeLibError, ImportError):
    """A lazily declared import failed when it was finally performed.

    The import runs far from the line that declared it, so the message names the module and the
    ``file:line`` of the declaration; the original exception is chained as ``__cause__``.
    """

    def __init__(self, message: str, *, name: str | None = None, declared_at: str | None = None) -> None:
        super().__init__(message, name=name)
        #: ``"path/to/file.py:12"`` of the ``lazy_import``/``lazy_from``/``attach`` call, if known.
        self.declared_at = declared_at


class PoolError(RuntimeLibError):
    """Base class of the object-pool errors."""


class PoolTimeout(PoolError, TimeoutError):
    """No object could be checked out before the checkout timeout expired."""


class PoolClosed(PoolError):
    """The pool was closed: nothing can be checked out any more."""

"""String keys for the shared tiers: stable across processes and restarts.

Why not ``repr``: the default ``repr`` of an object contains its address (different in every
process) and two distinct values may share a ``repr``. The key is the function's qualified name plus
the canonical tagged-JSON encoding of its arguments (the serializer's encoding); an argument that
cannot be encoded raises ``TypeError`` asking for an explicit ``key=`` function.
"""

from __future__ import annotations

import json

from .errors import SerializationError
from .serialize import encode_tagged

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["make_string_key_func", "string_key"]


def string_key(prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    try:
        body = json.dumps(
            [encode_tagged(list(args)), encode_tagged(dict(sorted(kwargs.items())))],
            separators=(",", ":"),
            sort_keys=False,
        )
    except SerializationError as exc:
        raise TypeError(f"{prefix}: arguments cannot form a shared cache key ({exc}); pass key=") from exc
    return f"{prefix}:{body}"


def make_string_key_func(func: Callable[..., Any]) -> Callable[..., str]:
    name = getattr(func, "__qualname__", type(func).__qualname__)
    prefix = f"{getattr(func, '__module__', '?')}.{name}"

    def key(*args: Any, **kwargs: Any) -> str:
        return string_key(prefix, args, kwargs)

    return key

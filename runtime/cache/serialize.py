"""Serialisers for the shared tiers (Redis, disk): safe by default.

Why not pickle by default: unpickling runs code chosen by whoever wrote the bytes, and a cache in
Redis or in a file is writable by more parties than the process reading it. So:

* ``"json"`` (default): JSON plus a tagged encoding for what JSON lacks (``bytes``, ``tuple``,
  ``set``/``frozenset``, dicts with non-string keys), so values round-trip with their types;
* ``"pickle"``: only with an ``hmac_key``; every payload carries HMAC-SHA256 over its bytes and is
  verified (constant-time) *before* unpickling;
* ``"pickle-unsafe"``: pickle without authentication, only when chosen explicitly by name.

With an ``hmac_key`` JSON payloads are signed too. A payload that fails verification, or whose
format the reader was not configured to accept (e.g. unsigned data when a key is set, pickle when
JSON is configured), is rejected: the cache treats it as a miss and counts it in ``tampered``.

Wire format: one format byte, then (signed formats) a 32-byte MAC over ``format byte + body``,
then the body. ``j`` JSON, ``J`` signed JSON, ``P`` signed pickle, ``u`` unsigned pickle.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from .errors import CacheConfigError, SerializationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Serializer", "TamperedError", "decode_tagged", "encode_tagged", "make_serializer"]

_MAC_LEN = 32


class TamperedError(Exception):
    """Internal: a payload failed authentication or has a format this reader must not accept."""


def encode_tagged(value: Any) -> Any:
    """Turn ``value`` into plain JSON data, tagging the types JSON would lose."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [encode_tagged(v) for v in value]
    if isinstance(value, tuple):
        return {"__t": [encode_tagged(v) for v in value]}
    if isinstance(value, bytes | bytearray):
        return {"__b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode_tagged(v) for k, v in value.items()}
        return {"__d": [[encode_tagged(k), encode_tagged(v)] for k, v in value.items()]}
    if isinstance(value, frozenset):
        return {"__f": [encode_tagged(v) for v in value]}
    if isinstance(value, set):
        return {"__s": [encode_tagged(v) for v in value]}
    raise SerializationError(
        f"cannot JSON-encode a {type(value).__name__}; use serializer='pickle' with an hmac_key"
    )


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def decode_tagged(data: Any) -> Any:
    """Inverse of :func:`encode_tagged`."""
    if isinstance(data, list):
        return [decode_tagged(v) for v in data]
    if isinstance(data, dict):
        if len(data) == 1:
            ((tag, body),) = data.items()
            if tag == "__t":
                return tuple(decode_tagged(v) for v in body)
            if tag == "__b":
                return base64.b64decode(body)
            if tag == "__d":
                return {_hashable(decode_tagged(k)): decode_tagged(v) for k, v in body}
            if tag == "__f":
                return frozenset(decode_tagged(v) for v in body)
            if tag == "__s":
                return {decode_tagged(v) for v in body}
        return {k: decode_tagged(v) for k, v in data.items()}
    return data


class Serializer:
    """Encode/decode values for the shared tiers; see the module docstring for the rules."""

    def __init__(self, kind: str = "json", hmac_key: bytes | str | None = None) -> None:
        if kind not in ("json", "pickle", "pickle-unsafe"):
            raise CacheConfigError(f"unknown serializer {kind!r}: use 'json', 'pickle' or 'pickle-unsafe'")
        if kind == "pickle" and not hmac_key:
            raise CacheConfigError(
                "serializer='pickle' needs an hmac_key (or choose serializer='pickle-unsafe' explicitly)"
            )
        self.kind = kind
        self._key = hmac_key.encode() if isinstance(hmac_key, str) else hmac_key
        if self._key:
            self._accept = {ord("J"), ord("P")} if kind == "pickle" else {ord("J")}
        elif kind == "pickle-unsafe":
            self._accept = {ord("u"), ord("j")}
        else:
            self._accept = {ord("j")}

    def _mac(self, fmt: bytes, body: bytes) -> bytes:
        assert self._key is not None
        return hmac.new(self._key, fmt + body, hashlib.sha256).digest()

    def dumps(self, value: Any) -> bytes:
        if self.kind == "json":
            body = json.dumps(encode_tagged(value), separators=(",", ":"), allow_nan=True).encode()
            if self._key:
                return b"J" + self._mac(b"J", body) + body
            return b"j" + body
        import pickle

        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if self._key:
            return b"P" + self._mac(b"P", body) + body
        return b"u" + body

    def loads(self, data: bytes) -> Any:
        """Decode ``data``; raise ``TamperedError`` if it must not be trusted."""
        if not data or data[0] not in self._accept:
            raise TamperedError("payload format not accepted by this serializer")
        fmt = data[:1]
        if fmt in (b"J", b"P"):
            mac, body = data[1 : 1 + _MAC_LEN], data[1 + _MAC_LEN :]
            if len(mac) != _MAC_LEN or not hmac.compare_digest(mac, self._mac(fmt, body)):
                raise TamperedError("HMAC verification failed")
        else:
            body = data[1:]
        if fmt in (b"j", b"J"):
            try:
                return decode_tagged(json.loads(body))
            except ValueError as exc:
                raise TamperedError(f"undecodable JSON payload: {exc}") from exc
        import pickle

        # Reached only for a verified HMAC ("P") or an explicit "pickle-unsafe" choice ("u").
        return pickle.loads(body)


def make_serializer(kind: str | Serializer = "json", hmac_key: bytes | str | None = None) -> Serializer:
    return kind if isinstance(kind, Serializer) else Serializer(kind, hmac_key)

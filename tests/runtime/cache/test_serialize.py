"""Serialisation for shared tiers: round trips, HMAC, and never unpickling unauthenticated data."""

from __future__ import annotations

import pickle

import pytest

from codeopt_runtime.cache import CacheConfigError, SerializationError, Serializer
from codeopt_runtime.cache.serialize import TamperedError

EXECUTED: list[str] = []


def _side_effect(tag: str) -> str:
    EXECUTED.append(tag)
    return tag


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return _side_effect, ("pwned",)


VALUE = {
    "s": "x",
    "n": [1, 2.5, None, True],
    "b": b"\x00\xff",
    "t": (1, (2, "3")),
    "d": {1: "int key", (1, 2): "tuple key"},
    "__reserved": 1,
    "f": frozenset({1, 2}),
}


def test_json_round_trip_keeps_types() -> None:
    ser = Serializer()
    assert ser.loads(ser.dumps(VALUE)) == VALUE
    assert isinstance(ser.loads(ser.dumps((1, 2))), tuple)


def test_json_refuses_arbitrary_objects() -> None:
    with pytest.raises(SerializationError):
        Serializer().dumps(object())


def test_pickle_needs_a_key() -> None:
    with pytest.raises(CacheConfigError):
        Serializer("pickle")


@pytest.mark.parametrize("kind", ["json", "pickle"])
def test_hmac_rejects_tampered_payloads(kind: str) -> None:
    ser = Serializer(kind, hmac_key=b"secret")
    data = bytearray(ser.dumps({"v": 1}))
    assert ser.loads(bytes(data)) == {"v": 1}
    data[-2] ^= 0x01
    with pytest.raises(TamperedError):
        ser.loads(bytes(data))
    other = Serializer(kind, hmac_key=b"other key")
    with pytest.raises(TamperedError):
        other.loads(ser.dumps({"v": 1}))


def test_unauthenticated_pickle_is_never_unpickled() -> None:
    EXECUTED.clear()
    evil = b"u" + pickle.dumps(Evil())
    for ser in (Serializer(), Serializer("pickle", hmac_key="k"), Serializer("json", hmac_key="k")):
        with pytest.raises(TamperedError):
            ser.loads(evil)
    # a forged "signed pickle" without the key fails verification before unpickling
    forged = b"P" + b"\x00" * 32 + pickle.dumps(Evil())
    with pytest.raises(TamperedError):
        Serializer("pickle", hmac_key="k").loads(forged)
    assert EXECUTED == []
    # only the explicit opt-in unpickles it
    assert Serializer("pickle-unsafe").loads(evil) == "pwned"
    assert EXECUTED == ["pwned"]


def test_signed_reader_rejects_unsigned_json() -> None:
    with pytest.raises(TamperedError):
        Serializer(hmac_key="k").loads(Serializer().dumps(1))

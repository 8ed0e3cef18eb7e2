"""Test helpers shared by the runtime's component tests (cache, db, scaling)."""

from __future__ import annotations

import socket


class FakeClock:
    """A clock that only moves when told to: timing rules are tested without sleeping."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def free_port() -> int:
    """A loopback port nobody listens on right now (for the private redis/PostgreSQL servers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

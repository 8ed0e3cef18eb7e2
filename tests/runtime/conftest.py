"""Fixtures every runtime component test may use."""

from __future__ import annotations

import pytest

from tests.runtime.helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()

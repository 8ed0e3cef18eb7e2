"""Real-world checks download sdists from PyPI and run whole test suites: minutes, not seconds.

They run only when asked for by marker (``python -m pytest -m slow tests/realworld``, what
``.ci/corpus-split`` does); a plain ``python -m pytest`` skips them so the default run stays fast.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expression = config.getoption("-m") or ""
    if "slow" in expression and "not slow" not in expression:
        return
    skip = pytest.mark.skip(reason="slow real-world check: run with -m slow")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)

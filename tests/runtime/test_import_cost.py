"""Importing the runtime must stay cheap: it is imported at start-up by every rewritten module.

Each check runs in a fresh interpreter, because this test process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# codeopt itself and its dependencies, and the runtime's optional extras.
FORBIDDEN = {
    "codeopt",
    "libcst",
    "radon",
    "rope",
    "networkx",
    "click",
    "jinja2",
    "pathspec",
    "redis",
    "psutil",
}
# Costly stdlib modules the start-up path (lazy, pool, errors) avoids on purpose.
STARTUP_AVOIDS = {
    "typing",
    "threading",
    "asyncio",
    "tracemalloc",
    "dataclasses",
    "inspect",
    "random",
    "weakref",
}


def fresh_import(statements: str) -> dict[str, object]:
    """Run ``statements`` in a new interpreter; report which modules they added."""
    script = textwrap.dedent(
        f"""
        import json, sys
        before = set(sys.modules)
        {statements}
        added = sorted(set(sys.modules) - before)
        import _tracemalloc
        print(json.dumps({{"added": added, "tracing": _tracemalloc.is_tracing()}}))
        """
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYTHON") and key not in {"CODEOPT_EAGER", "EAGER_IMPORT"}
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def roots(modules: object) -> set[str]:
    assert isinstance(modules, list)
    return {name.partition(".")[0] for name in modules}


def test_package_import_adds_only_a_handful_of_modules() -> None:
    result = fresh_import("import codeopt_runtime")
    added = result["added"]
    assert isinstance(added, list)
    assert len(added) <= 5, added
    assert not roots(added) & FORBIDDEN


@pytest.mark.parametrize("module", ["lazy", "pool", "errors"])
def test_startup_modules_import_nothing_heavy(module: str) -> None:
    result = fresh_import(f"import codeopt_runtime.{module}")
    added = result["added"]
    assert isinstance(added, list)
    assert not roots(added) & (FORBIDDEN | STARTUP_AVOIDS), added
    assert len(added) <= 8, added


def test_whole_runtime_loads_no_dependency_and_starts_no_tracing() -> None:
    result = fresh_import(
        "import codeopt_runtime, codeopt_runtime.lazy, codeopt_runtime.pool, codeopt_runtime.profiling"
    )
    added = roots(result["added"])
    assert not added & FORBIDDEN, sorted(added & FORBIDDEN)
    assert "asyncio" not in added  # AsyncObjectPool imports it only when used
    assert "tracemalloc" not in added  # imported by MemoryProfiler.start()
    assert result["tracing"] is False


def test_the_check_can_fail() -> None:
    """Guards the helper: a module that does load a forbidden one is seen."""
    result = fresh_import("import click")
    assert "click" in roots(result["added"])

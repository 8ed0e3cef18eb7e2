"""Every python block of docs/runtime/scaling.md runs (blocks starting with ``# not run`` excepted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "runtime" / "scaling.md"
BLOCKS = [b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)]


def test_the_doc_has_examples_for_every_component() -> None:
    text = "\n".join(BLOCKS)
    for name in (
        "TaskLoadBalancer",
        "ResourceAwareScaler",
        "PredictiveScaler",
        "LocalWorkerPool",
        "elasticity_metrics",
        "scale_to",
    ):
        assert name in text


@pytest.mark.parametrize("block", [b for b in BLOCKS if not b.startswith("# not run")])
def test_block_runs(block: str) -> None:
    exec(compile(block, str(DOC), "exec"), {"__name__": "__doc_example__"})


def test_import_is_cheap() -> None:
    code = (
        "import sys, codeopt_runtime.scaling as s; s.TaskLoadBalancer; s.ResourceAwareScaler; "
        "s.PredictiveScaler; print(sorted(m for m in ('multiprocessing', 'statsmodels') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

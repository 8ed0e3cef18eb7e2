"""``import codeopt_runtime.cache`` is cheap and never imports redis."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_redis_or_optional_tiers() -> None:
    code = (
        "import sys, codeopt_runtime.cache as c; c.cached; c.MemoryCache; "
        "print(sorted(m for m in ('redis', 'sqlite3', 'asyncio', 'pickle') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""``import codeopt_runtime.alerting`` is cheap; optional extras load only when used."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("psutil", "prometheus_client", "urllib.request", "http.server", "http.client", "ssl", "email")


def loaded_after(code: str) -> dict[str, list[str]]:
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        f"print(json.dumps({{'added': sorted(set(sys.modules) - before), "
        f"'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_package_import_loads_only_the_lazy_machinery() -> None:
    added = loaded_after("import codeopt_runtime.alerting")["added"]
    # `from __future__ import annotations` imports __future__ itself when nothing has yet
    assert all(name.startswith("codeopt_runtime") or name == "__future__" for name in added), added
    assert len(added) <= 5, added


def test_collecting_and_evaluating_without_system_metrics_loads_no_extra() -> None:
    result = loaded_after(
        "from codeopt_runtime.alerting import AlertManager, AlertRule, MetricsCollector, SLO\n"
        "from codeopt_runtime.alerting import WebhookNotifier\n"
        "m = MetricsCollector(system=False); m.gauge('g').set(1); m.exposition()\n"
        "AlertManager(rules=[AlertRule('A', lambda ctx: True)], collector=m).evaluate(0)\n"
        "WebhookNotifier('http://127.0.0.1:9/')"
    )
    assert result["heavy"] == []


def test_system_metrics_import_psutil_only_when_collected() -> None:
    result = loaded_after(
        "from codeopt_runtime.alerting import MetricsCollector; MetricsCollector().collect()"
    )
    assert "psutil" in result["heavy"]
    assert "prometheus_client" not in result["heavy"]

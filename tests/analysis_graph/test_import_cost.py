from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codeopt.analysis import import_cost
from codeopt.analysis.import_cost import (
    _MARKER,
    DEFAULT_STDLIB_MS,
    DEFAULT_THIRD_PARTY_MS,
    estimate_import_cost,
    load_estimates,
    main,
    measure_import_cost,
    parse_importtime,
)

HEAVY_THIRD_PARTY = [
    "numpy",
    "pandas",
    "scipy",
    "matplotlib",
    "sqlalchemy",
    "requests",
    "httpx",
    "django",
    "flask",
    "jinja2",
    "click",
    "yaml",
    "rich",
    "boto3",
    "botocore",
    "pydantic",
    "cryptography",
    "torch",
    "tensorflow",
    "sklearn",
    "aiohttp",
    "urllib3",
    "lxml",
    "PIL",
]


def test_measures_a_stdlib_module_in_fresh_interpreters() -> None:
    result = measure_import_cost(["json"], runs=3, site=False, isolated=True)["json"]
    assert result.ok, result.error
    assert result.runs == 3
    assert result.cumulative_us >= result.self_us > 0
    assert result.modules_loaded >= 4  # json, json.decoder, json.scanner, json.encoder at least
    assert result.cumulative_ms == result.cumulative_us / 1000


def test_a_module_loaded_at_startup_costs_nothing_more() -> None:
    result = measure_import_cost(["sys"], runs=1)["sys"]
    assert result.ok and (result.cumulative_us, result.modules_loaded) == (0, 0)


def test_failures_are_results_with_the_last_stderr_line(tmp_path: Path) -> None:
    (tmp_path / "broken_mod.py").write_text("import os\nraise RuntimeError('boom at import')\n")
    (tmp_path / "slow_mod.py").write_text("import time\ntime.sleep(30)\n")
    results = measure_import_cost(
        ["no_such_module_xyz", "broken_mod", "slow_mod", "not a name; import os", "antigravity"],
        sys_path=[str(tmp_path)],
        runs=2,
        timeout=2.0,
    )
    assert not results["no_such_module_xyz"].ok
    assert results["no_such_module_xyz"].error == "ModuleNotFoundError: No module named 'no_such_module_xyz'"
    assert results["broken_mod"].error == "RuntimeError: boom at import"
    assert results["broken_mod"].runs == 0
    assert results["slow_mod"].error == "timed out after 2 s"
    assert results["not a name; import os"].error == "not a dotted module name"
    assert "side effects" in results["antigravity"].error


def test_sys_path_works_in_isolated_mode(tmp_path: Path) -> None:
    (tmp_path / "local_pkg").mkdir()
    (tmp_path / "local_pkg" / "__init__.py").write_text("import json\n")
    result = measure_import_cost(["local_pkg"], sys_path=[str(tmp_path)], runs=1, isolated=True)["local_pkg"]
    assert result.ok, result.error
    assert result.modules_loaded >= 2


def test_missing_interpreter_is_reported(tmp_path: Path) -> None:
    result = measure_import_cost(["json"], python=str(tmp_path / "no-python"), runs=1)["json"]
    assert result.error.startswith("cannot run")


SAMPLE = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 | site
@@codeopt-import-cost@@
import time:       300 |        300 |     _json
import time:       700 |       1000 |   json.scanner
import time:       800 |       1800 | json
import time:        50 |         50 | json.extra
Traceback noise that is not ours
"""


def test_parse_importtime_counts_only_what_follows_the_marker() -> None:
    assert parse_importtime(SAMPLE, "json") == (1850, 800, 4)
    assert parse_importtime(SAMPLE, "json.extra") == (1850, 50, 4)


def test_bundled_table_covers_the_heavy_packages_with_sources() -> None:
    table = load_estimates()
    missing = [name for name in HEAVY_THIRD_PARTY if name not in table]
    assert not missing
    assert all(ms >= 0 and source for ms, source in table.values())
    stdlib = [name for name in table if name.partition(".")[0] in sys.stdlib_module_names]
    assert len(stdlib) > 200
    assert all(table[name][1].startswith("measured") for name in stdlib)
    assert table["numpy"][0] == 120.0 and "design note" in table["numpy"][1]


def test_estimates_fall_back_to_parents_then_documented_defaults() -> None:
    table = {"numpy": (120.0, "design note"), "json": (8.0, "measured")}
    exact = estimate_import_cost("numpy", table)
    assert (exact.ms, exact.source, exact.estimated) == (120.0, "design note", False)
    sub = estimate_import_cost("numpy.linalg.lapack", table)
    assert sub.ms == 120.0 and sub.estimated and "numpy" in sub.source
    third_party = estimate_import_cost("left_pad_xyz", table)
    assert (third_party.ms, third_party.estimated) == (DEFAULT_THIRD_PARTY_MS, True)
    stdlib = estimate_import_cost("xml.dom", table)
    assert (stdlib.ms, stdlib.estimated) == (DEFAULT_STDLIB_MS, True)
    assert "default" in stdlib.source


def test_generator_writes_scaled_measured_figures_with_their_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "costs.json"
    shutil.copy(Path(import_cost.__file__).with_name("import_costs.json"), table)
    assert main(["--measure", "json", "no_such_module_xyz", "--runs", "1", "--table", str(table)]) == 0
    data = json.loads(table.read_text())
    entry = data["modules"]["json"]
    assert entry["source"].startswith("measured")
    factor = data["calibration"]["factor"]
    assert set(data["calibration"]["ratios"]) <= set(import_cost.DESIGN_NOTE_MS)
    assert "json" in data["calibration"]["ratios"]  # the stdlib calibration module always works
    assert entry["ms"] == pytest.approx(entry["measured_ms"] * factor, abs=0.1)
    assert "no_such_module_xyz" not in data["modules"]
    assert "not measured: no_such_module_xyz" in capsys.readouterr().err
    assert data["measured_on"]["python"].startswith("CPython")
    assert (
        data["modules"]["numpy"]
        == json.loads(Path(import_cost.__file__).with_name("import_costs.json").read_text())["modules"][
            "numpy"
        ]
    )  # figures from other sources are left alone

    assert main(["--measure", "json", "--runs", "1", "--table", str(table), "--no-calibrate"]) == 0
    raw = json.loads(table.read_text())
    assert raw["calibration"]["factor"] == 1.0
    assert raw["modules"]["json"]["ms"] == raw["modules"]["json"]["measured_ms"]


def test_generator_needs_something_to_do() -> None:
    with pytest.raises(SystemExit):
        main([])


def test_measured_runs_load_bytecode_without_touching_the_project(tmp_path: Path) -> None:
    body = "\n".join(f"def f{i}(x):\n    return [x * k for k in range({i})]\n" for i in range(3000))
    (tmp_path / "big_mod.py").write_text(body)
    result = measure_import_cost(["big_mod"], sys_path=[str(tmp_path)], runs=3)["big_mod"]
    assert result.ok, result.error
    assert not (tmp_path / "__pycache__").exists()
    # the same import compiled from source every time (-B): far slower than loading bytecode
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); sys.stderr.write({_MARKER + chr(10)!r})\n"
    cold = subprocess.run(
        [sys.executable, "-B", "-X", "importtime", "-c", code + "import big_mod"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.self_us < parse_importtime(cold.stderr, "big_mod")[1]

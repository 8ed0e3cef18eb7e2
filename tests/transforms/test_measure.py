"""--measure: importtime parsing, package discovery, and a real before/after run on a temp package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from codeopt.transforms.measure import Baseline, PackageTree, packages_of, parse_importtime, top_level_modules

STDERR = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 | site
@@codeopt-measure@@
import time:       300 |        300 |   json.decoder
import time:      1000 |       1500 | json
import time:       200 |        200 | pkg
import time:       400 |       2400 | pkg.mod
"""


def test_parse_importtime_counts_depth_zero_lines_after_the_marker() -> None:
    cumulative, own = parse_importtime(STDERR, "pkg.mod")
    assert cumulative == 1500 + 200 + 2400  # site (before the marker) and json.decoder (nested) excluded
    assert own == 400


def package(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text("import heavyish\n\ndef f():\n    return heavyish.X\n")
    (root / "pkg" / "_codeopt_lazy.py").write_text("")
    (root / "heavyish.py").write_text("import decimal, fractions, statistics\nX = 1\n")
    return root


def test_packages_and_top_level_modules(tmp_path: Path) -> None:
    root = package(tmp_path)
    trees = packages_of([root / "pkg" / "sub"])
    assert trees == (PackageTree(root, "pkg", True),)
    assert top_level_modules(trees[0]) == ("pkg", "pkg.mod", "pkg.sub")


def test_before_and_after_on_private_copies(tmp_path: Path) -> None:
    root = package(tmp_path)
    original = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    baseline = Baseline.take([root / "pkg"])
    lazy = "import sys\n\ndef f():\n    import heavyish\n    return heavyish.X\n"
    measured = baseline.compare({(root / "pkg" / "mod.py"): lazy}, runs=1)
    by_name = {m.module: m for m in measured.modules}
    mod = by_name["pkg.mod"]
    assert mod.after.modules < mod.before.modules  # decimal, fractions, statistics are no longer loaded
    assert mod.before.cumulative_ms > 0 and mod.before.rss_mb > 0
    assert json.loads(measured.to_json())["modules"][1]["module"] == "pkg.mod"
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == original  # nothing written
    assert not baseline.workdir.exists()


def test_cli_measure_json(tmp_path: Path) -> None:
    root = package(tmp_path)
    out = tmp_path / "measure.json"
    codeopt = str(Path(sys.executable).parent / "codeopt")
    result = subprocess.run(
        [
            codeopt,
            "optimize",
            "pkg",
            "--lazy-imports",
            "--min-cost-ms",
            "1",
            "--measure-runs",
            "1",
            "--measure-json",
            str(out),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "CODEOPT_EAGER"},
    )
    assert result.returncode in (0, 1), result.stderr
    assert "import cost, median of 1 fresh runs" in result.stderr
    data = json.loads(out.read_text())
    assert data["schema_version"] == 1
    assert {m["module"] for m in data["modules"]} == {"pkg", "pkg.mod", "pkg.sub"}


def test_an_interpreter_that_cannot_import_fails_before_anything_is_written(tmp_path: Path) -> None:
    root = package(tmp_path)
    (root / "heavyish.py").unlink()  # pkg.mod can no longer be imported
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    codeopt = str(Path(sys.executable).parent / "codeopt")
    result = subprocess.run(
        [codeopt, "optimize", "pkg", "--lazy-imports", "--min-cost-ms", "0", "--apply", "--measure"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "--measure: `import pkg.mod` failed: ModuleNotFoundError" in result.stderr
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before

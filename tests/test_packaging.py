"""The distribution ships every package folder, and codeopt_runtime stays free of codeopt's deps."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = config["package-dir"]
    listed = set(config["packages"])
    expected = set()
    for package, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            relative = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((package, *relative)))
    assert expected == listed, f"missing: {sorted(expected - listed)}, stale: {sorted(listed - expected)}"


def test_runtime_import_loads_no_codeopt_dependency() -> None:
    code = (
        "import sys; import codeopt_runtime; "
        "bad = [m for m in ('codeopt', 'libcst', 'radon', 'rope', 'networkx', 'click', 'jinja2', 'pathspec') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

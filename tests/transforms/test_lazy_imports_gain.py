"""The whole-project pass: lazy imports that another module loads anyway are reported and undone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from codeopt.transforms.lazy_imports_gain import ModuleText, pointless


def texts(**modules: str) -> dict[str, ModuleText]:
    """``pkg__sub__init`` is the package ``pkg.sub``, ``pkg__mod`` the module ``pkg.mod``."""
    found = {}
    for key, text in modules.items():
        is_package = key.endswith("__init")
        name = key.removesuffix("__init").replace("__", ".")
        found[name] = ModuleText(text, is_package, f"{key}.py")
    return found


def test_lazy_import_loaded_anyway_through_a_project_module() -> None:
    found = pointless(
        texts(
            pkg__cli='from pkg import models\nrequests = lazy_import("requests")\n',
            pkg__models="import requests\nclass S(requests.Session):\n    pass\n",
        )
    )
    assert found == {
        "pkg.cli": (
            (
                "requests",
                "loaded anyway when pkg.cli is imported: "
                "pkg.models (pkg__models.py) imports requests eagerly",
            ),
        )
    }


def test_parent_package_init_counts_and_type_checking_does_not() -> None:
    found = pointless(
        texts(
            pkg__init="import yaml\n",
            pkg__a='yaml = lazy_import("yaml")\n',
            pkg__b="from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import toml\n"
            'toml = lazy_import("toml")\n',
        )
    )
    assert set(found) == {"pkg.a"}


def test_relative_lazy_from_is_resolved() -> None:
    found = pointless(
        texts(
            pkg__sub__init="",
            pkg__sub__x='from . import y\nf = lazy_from(".z", "f")\n',
            pkg__sub__y="from .z import f\n",
            pkg__sub__z="import json\n",
        )
    )
    assert [target for target, _ in found["pkg.sub.x"]] == ["pkg.sub.z"]


def test_cli_leaves_a_pointless_rewrite_alone(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "models.py").write_text("import fakeheavy\n\n\nclass S(fakeheavy.Base):\n    pass\n")
    (root / "pkg" / "cli.py").write_text(
        "import fakeheavy\n\nfrom pkg import models\n\n\ndef f():\n    return fakeheavy.x, models\n"
    )
    codeopt = str(Path(sys.executable).parent / "codeopt")
    result = subprocess.run(
        [codeopt, "optimize", "pkg", "--lazy-imports", "--min-cost-ms", "5"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "CODEOPT_EAGER"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert (
        "pkg/cli.py:1: fakeheavy: loaded anyway when pkg.cli is imported: pkg.models (pkg/models.py) "
        "imports fakeheavy eagerly"
    ) in result.stderr.splitlines()
    assert "pkg/models.py:1: fakeheavy: used as a base class at line 4" in result.stderr.splitlines()


def test_name_imported_from_the_module_by_another_stays_eager() -> None:
    found = pointless(
        texts(
            pkg__a='Session = lazy_from("pkg.models", "Session")\n', pkg__models="class Session:\n    pass\n"
        ),
        importers=texts(tests__test_a="def test():\n    from pkg.a import Session\n"),
    )
    assert found == {
        "pkg.a": (
            ("name:Session", "imported by name from pkg.a in tests__test_a.py: it would get the proxy"),
        )
    }


def test_cli_keeps_a_reimported_name_eager(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "a.py").write_text(
        "from fakeheavy import Session\n\n\ndef make():\n    return Session()\n"
    )
    (root / "pkg" / "b.py").write_text("import fakeheavy\n\n\ndef f():\n    return fakeheavy.x\n")
    (root / "tests" / "test_a.py").write_text("from pkg.a import Session\n")
    codeopt = str(Path(sys.executable).parent / "codeopt")
    result = subprocess.run(
        [codeopt, "optimize", "pkg", "tests", "--lazy-imports", "--min-cost-ms", "5"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "CODEOPT_EAGER"},
    )
    assert result.returncode == 1, result.stderr
    assert "--- a/pkg/b.py" in result.stdout and "--- a/pkg/a.py" not in result.stdout
    assert (
        "pkg/a.py:1: Session: imported by name from pkg.a in tests/test_a.py: it would get the proxy"
        in result.stderr.splitlines()
    )

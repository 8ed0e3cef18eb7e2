"""static_checks and import_check: each catches what it is for, and passes a sound split."""

from __future__ import annotations

from pathlib import Path

from codeopt.split.checks import import_check, static_checks
from tests.split.test_emit_helpers import Split, split

SOURCE = '''\
"""Shapes."""

import math


def area(radius):
    return math.pi * radius**2


def ring(outer, inner):
    return area(outer) - area(inner)


class Circle:
    def __init__(self, radius):
        self.radius = radius

    def area(self):
        return area(self.radius)
'''

ASSIGNMENT = {"area": "formulas", "ring": "formulas", "Circle": "shapes"}


def files_of(result: Split) -> dict[Path, str]:
    return dict(result.emitted.files)


def tampered(result: Split, name: str, old: str, new: str) -> dict[Path, str]:
    files = files_of(result)
    path = result.root / "pkg" / "mod" / name
    assert old in files[path]
    files[path] = files[path].replace(old, new)
    return files


def test_a_sound_split_has_no_problems(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT, write=False)
    assert static_checks(result.inv, result.plan, files_of(result)) == ()


def test_a_definition_copied_twice_is_reported(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT, write=False)
    copy = "\n\ndef ring(outer, inner):\n    return area(outer) - area(inner)\n"
    files = tampered(result, "shapes.py", "class Circle:", copy.strip() + "\n\n\nclass Circle:")
    problems = static_checks(result.inv, result.plan, files)
    assert any(problem.startswith("ring (line 10) appears 2 times") for problem in problems), problems


def test_a_changed_definition_is_reported(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT, write=False)
    files = tampered(result, "formulas.py", "area(outer) - area(inner)", "area(outer) + area(inner)")
    assert static_checks(result.inv, result.plan, files) == (
        "ring (line 10) is missing from the split or differs from the original",
        f"{result.root / 'pkg' / 'mod' / 'formulas.py'}: a definition that is not in the original module",
    )


def test_a_missing_definition_is_reported(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT, write=False)
    files = tampered(
        result, "formulas.py", "def ring(outer, inner):\n    return area(outer) - area(inner)\n", ""
    )
    assert static_checks(result.inv, result.plan, files) == (
        "ring (line 10) is missing from the split or differs from the original",
    )


def test_an_import_time_cycle_between_new_modules_is_reported(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT, write=False)
    files = tampered(result, "formulas.py", "import math\n", "import math\n\nfrom .shapes import Circle\n")
    problems = static_checks(result.inv, result.plan, files)
    assert "import-time cycle among new modules: formulas <-> shapes" in problems


def test_a_from_import_closing_a_cycle_of_module_imports_is_reported(tmp_path: Path) -> None:
    """shapes does ``from .formulas import area``: importing formulas first would fail."""
    result = split(tmp_path, SOURCE, ASSIGNMENT, write=False)
    files = tampered(result, "formulas.py", "import math\n", "import math\n\nfrom . import shapes\n")
    assert static_checks(result.inv, result.plan, files) == (
        "import-time cycle among new modules: formulas <-> shapes",
    )


def test_a_cycle_made_only_of_module_imports_is_fine(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT, write=False)
    files = tampered(result, "formulas.py", "import math\n", "import math\n\nfrom . import shapes\n")
    path = result.root / "pkg" / "mod" / "shapes.py"
    files[path] = files[path].replace("from .formulas import area", "from . import formulas")
    files[path] = files[path].replace("return area(", "return formulas.area(")
    assert static_checks(result.inv, result.plan, files) == ()


def test_a_submodule_named_like_a_builtin_is_reported(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, {"area": "map", "ring": "map", "Circle": "shapes"}, write=False)
    assert static_checks(result.inv, result.plan, files_of(result)) == (
        "submodule 'map' would shadow the builtin map() in the facade's namespace",
    )


def test_import_check_imports_each_new_module_in_a_fresh_interpreter(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT)
    assert result.emitted.modules == ("pkg.mod", "pkg.mod.formulas", "pkg.mod.shapes")
    assert import_check(tmp_path, result.emitted.modules) == ()
    (tmp_path / "pkg" / "mod" / "broken.py").write_text("raise ImportError('boom')\n", encoding="utf-8")
    problems = import_check(tmp_path, [*result.emitted.modules, "pkg.mod.broken"])
    assert problems == ("pkg.mod.broken: ImportError: boom",)
    assert not list(tmp_path.rglob("__pycache__"))

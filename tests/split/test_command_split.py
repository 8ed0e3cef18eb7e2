"""The split use case in process: module location, the transaction (rollback on a changed count, on a
failed import check, on Ctrl-C), refusals only when something would be written, and rope's cross-check.

A small module is split with a hand-written layout (the planner would leave a module this small alone),
so each case runs in well under a second apart from the fresh-interpreter import checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codeopt.commands.split import SplitRefused, SplitRequest, apply_split, propose_split, resolve_module_path
from codeopt.commands.split_crosscheck import facade_bindings, rope_cross_check
from codeopt.commands.split_imports import check_new_modules
from codeopt.commands.split_location import locate_module
from codeopt.errors import ConfigError, DirtyTree, Refused, TransformError, VerificationFailed
from codeopt.workspace.verify import TestRun

MODULE = '''\
"""A small module."""

import os


def f(x):
    """Add one.

    >>> f(1)
    2
    """
    return x + 1


def g(y):
    return f(y) * 2 + len(os.sep)
'''

LAYOUT = """\
version = 1
module = "pkg.mod"
source = "pkg/mod.py"

[facade]
units = []

[submodules."alpha"]
units = ["f"]

[submodules."beta"]
units = ["g"]
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "mod.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "user.py").write_text("from pkg.mod import g\n\nprint(g(1))\n", encoding="utf-8")
    (tmp_path / "layout.toml").write_text(LAYOUT, encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "init")
    return tmp_path


def request(root: Path, **options: object) -> SplitRequest:
    return SplitRequest(module=Path("pkg/mod.py"), cwd=root, layout=root / "layout.toml", **options)  # type: ignore[arg-type]


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def run(collected: int, exit_code: int = 0, failed: int = 0) -> TestRun:
    passed = collected - failed
    return TestRun("suite", exit_code, collected, passed, failed, 0, 0, 0.1, "FAILED test_x.py::test_y\n")


def test_locate_module_walks_up_init_folders_and_src_layouts(tmp_path: Path) -> None:
    src = tmp_path / "src" / "pkg" / "sub"
    src.mkdir(parents=True)
    for folder in (src, src.parent):
        (folder / "__init__.py").write_text("", encoding="utf-8")
    (src / "big.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "lone.py").write_text("y = 2\n", encoding="utf-8")

    nested = locate_module(Path("src/pkg/sub/big.py"), tmp_path)
    assert (nested.module_name, nested.import_root, nested.project_root) == (
        "pkg.sub.big",
        tmp_path / "src",
        tmp_path,
    )
    assert nested.package_dir == src / "big"
    init = locate_module(Path("src/pkg/sub"), tmp_path)
    assert (init.module_name, init.is_package_init, init.import_root) == ("pkg.sub", True, tmp_path / "src")
    lone = locate_module(Path("lone.py"), tmp_path)
    assert (lone.module_name, lone.import_root) == ("lone", tmp_path)
    with pytest.raises(ConfigError, match="no such Python module"):
        locate_module(Path("missing.py"), tmp_path)


def test_the_old_path_of_a_split_module_means_its_facade(tmp_path: Path) -> None:
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "__init__.py").write_text("", encoding="utf-8")
    assert resolve_module_path(Path("mod.py"), tmp_path) == tmp_path / "mod" / "__init__.py"
    assert resolve_module_path(Path("other.py"), tmp_path) == Path("other.py")


def test_apply_writes_the_package_and_a_second_run_proposes_nothing(project: Path) -> None:
    proposal = propose_split(request(project))
    assert [s.name for s in proposal.plan.submodules] == ["alpha", "beta"]
    assert proposal.new_modules[0] == "pkg.mod"
    outcome = apply_split(proposal, request(project), runner=lambda command, cwd: run(3))
    assert not (project / "pkg" / "mod.py").exists()
    assert {p.name for p in outcome.written} >= {"__init__.py", "alpha.py", "beta.py"}
    assert [p.name for p in outcome.deleted] == ["mod.py"]
    done = subprocess.run(
        [sys.executable, "user.py"], cwd=project, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "5"
    for module in (Path("pkg/mod.py"), Path("pkg/mod/__init__.py")):
        again = propose_split(SplitRequest(module=module, cwd=project))
        assert again.nothing_to_do  # the facade's generated forwarding is not refused: nothing to write


def test_a_different_test_count_after_rolls_back_byte_identical(project: Path) -> None:
    before = tree(project)
    counts = iter([run(3), run(2)])
    req = request(project, verify="suite")
    with pytest.raises(VerificationFailed, match="collected 2 tests after the change, 3 before"):
        apply_split(propose_split(req), req, runner=lambda command, cwd: next(counts))
    assert tree(project) == before


def test_a_red_suite_after_names_the_first_failure_and_rolls_back(project: Path) -> None:
    before = tree(project)
    counts = iter([run(3), run(3, exit_code=1, failed=1)])
    req = request(project, verify="suite")
    with pytest.raises(VerificationFailed, match=r"first failure: FAILED test_x.py::test_y"):
        apply_split(propose_split(req), req, runner=lambda command, cwd: next(counts))
    assert tree(project) == before


def test_interrupt_during_verification_rolls_back(project: Path) -> None:
    before = tree(project)
    req = request(project, verify="suite")

    def runner(command: str, cwd: Path) -> TestRun:
        if (project / "pkg" / "mod").is_dir():
            raise KeyboardInterrupt
        return run(3)

    with pytest.raises(KeyboardInterrupt):
        apply_split(propose_split(req), req, runner=runner)
    assert tree(project) == before


def test_suite_red_before_is_refused_and_nothing_written(project: Path) -> None:
    before = tree(project)
    req = request(project, verify="suite")
    with pytest.raises(Refused, match="not green before the split"):
        apply_split(propose_split(req), req, runner=lambda command, cwd: run(3, exit_code=1, failed=1))
    assert tree(project) == before


def test_failed_import_check_rolls_back(project: Path) -> None:
    # an interpreter that imports the module before the split but not the package after it
    fake = project / "fakepython"
    script = ["#!/bin/sh", "if [ -d pkg/mod ]; then echo 'ImportError: boom' >&2; exit 1; fi"]
    fake.write_text("\n".join([*script, f'exec {sys.executable} "$@"', ""]), encoding="utf-8")
    fake.chmod(0o755)
    git(project, "add", "fakepython")
    git(project, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "fake")
    before = tree(project)
    req = request(project, python=str(fake))
    with pytest.raises(
        VerificationFailed, match=r"import check failed, rolled back: pkg\.mod: ImportError: boom"
    ):
        apply_split(propose_split(req), req)
    assert tree(project) == before


def test_import_check_uses_one_interpreter_for_what_the_facade_loads(project: Path) -> None:
    proposal = propose_split(request(project))
    proposal.changes.apply()
    modules = (*proposal.new_modules, "pkg.mod.lazy")
    (project / "pkg" / "mod" / "lazy.py").write_text("import nowhere_to_be_found\n", encoding="utf-8")
    problems = check_new_modules(project, "pkg.mod", modules, sys.executable)
    # alpha and beta were loaded by the facade; lazy was not, so it got (and failed) its own check
    assert problems == ("pkg.mod.lazy: ModuleNotFoundError: No module named 'nowhere_to_be_found'",)


def test_dirty_module_is_refused_before_anything_runs(project: Path) -> None:
    (project / "pkg" / "mod.py").write_text(MODULE + "# edit\n", encoding="utf-8")
    req = request(project, verify="suite")
    with pytest.raises(DirtyTree, match="uncommitted"):
        apply_split(propose_split(req), req, runner=lambda command, cwd: pytest.fail("ran the suite"))


def test_refusal_lists_every_line_unless_forced(project: Path) -> None:
    module = project / "pkg" / "mod.py"
    module.write_text(MODULE + "\nglobals()['h'] = g\n", encoding="utf-8")
    with pytest.raises(SplitRefused) as refused:
        propose_split(request(project))
    assert [r.line for r in refused.value.refusals] == [MODULE.count("\n") + 2]
    forced = propose_split(request(project, force=True))
    assert forced.refusals and not forced.nothing_to_do


def test_rope_cross_check_finds_external_users_and_a_missing_re_export(project: Path) -> None:
    proposal = propose_split(request(project, cross_check=True))
    assert any(
        "rope cross-check: 1 of 2 moved names" in note and "re-exports all" in note for note in proposal.notes
    )
    found = rope_cross_check(
        project, project / "pkg" / "mod.py", proposal.inventory, proposal.plan, "from .alpha import f\n"
    )
    assert found.used_outside == {"g": ("user.py",)}
    assert found.missing == ("g",)
    assert "NOT" in found.notes()[0]


def test_facade_bindings_cover_imports_definitions_and_conditionals() -> None:
    text = "from .a import x, y as z\nimport os.path\nif True:\n    def f(): pass\nelse:\n    W = 1\n"
    assert facade_bindings(text) == {"x", "z", "os", "f", "W"}


def test_rewrite_imports_points_importers_at_the_new_home_in_the_same_change(project: Path) -> None:
    proposal = propose_split(request(project, rewrite_imports=True))
    assert proposal.changes.text(project / "user.py") == "from pkg.mod.beta import g\n\nprint(g(1))\n"
    apply_split(proposal, request(project, rewrite_imports=True))
    done = subprocess.run(
        [sys.executable, "user.py"], cwd=project, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "5"


def test_an_existing_file_where_the_package_goes_is_never_overwritten(project: Path) -> None:
    (project / "pkg" / "mod").mkdir()
    (project / "pkg" / "mod" / "alpha.py").write_text("precious = 1\n", encoding="utf-8")
    with pytest.raises(TransformError, match=r"alpha\.py: already exists; the split would overwrite it"):
        propose_split(request(project))


def test_progress_is_told_before_each_slow_step(project: Path) -> None:
    said: list[str] = []
    req = request(project, verify="suite")
    apply_split(propose_split(req), req, runner=lambda command, cwd: run(3), say=said.append)
    assert [line.split()[0] for line in said] == ["running", "importing", "running"]
    assert said[0] == f"running `suite` before the split (in {project})"


def test_to_builds_the_package_elsewhere_and_the_old_module_becomes_it(project: Path) -> None:
    layout = project / "layout.toml"
    layout.write_text(LAYOUT.replace('module = "pkg.mod"', 'module = "pkg.parts"'), encoding="utf-8")
    req = request(project, to="pkg.parts", allow_dirty=True)
    proposal = propose_split(req)
    assert proposal.location.package_dir == project / "pkg" / "parts"
    assert proposal.new_modules[0] == "pkg.parts"
    apply_split(proposal, req)
    assert (project / "pkg" / "parts" / "alpha.py").is_file()
    check = (
        "import pkg.mod, pkg.parts\n"
        "from unittest import mock\n"
        "from pkg.mod import g\n"
        "assert pkg.mod is pkg.parts\n"
        "with mock.patch('pkg.mod.f', lambda x: 100):\n"
        "    print(g(1))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=project, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "201"  # the patch of the old name reached the moved caller
    again = propose_split(SplitRequest(module=Path("pkg/mod.py"), cwd=project, to="pkg.parts"))
    assert again.nothing_to_do


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("other.parts", "relative imports"),
        ("pkg.1parts", "not a dotted module name"),
        ("pkg.nowhere.parts", "relative imports"),
    ],
)
def test_to_is_validated_in_one_line(project: Path, to: str, message: str) -> None:
    module = project / "pkg" / "mod.py"
    module.write_text(
        MODULE.replace("import os\n", "import os\n\nfrom . import __name__ as _pkg\n"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=message):
        propose_split(request(project, to=to))

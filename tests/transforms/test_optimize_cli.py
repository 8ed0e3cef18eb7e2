"""``codeopt optimize`` end to end in subprocesses: diff by default, --apply, --verify and rollback,
idempotence, the rewritten code's behaviour (mock.patch through the proxy), errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CODEOPT = [str(Path(sys.executable).parent / "codeopt")]

FAKEHEAVY = '''
"""Stands for an expensive third-party import: it records that it was imported."""
import os
IMPORTED = True
os.environ["FAKEHEAVY_IMPORTED"] = "1"


def get(url):
    return f"real {url}"
'''

MOD = '''
"""A module whose heavy import only functions need."""
import fakeheavy


def fetch(url):
    return fakeheavy.get(url)
'''

TEST = """
import sys
from unittest import mock

import pkg.mod


def test_not_imported_until_used():
    assert ("fakeheavy" in sys.modules) == EXPECT_EAGER


def test_fetch():
    assert pkg.mod.fetch("x") == "real x"


def test_patch_through_the_module_binding():
    with mock.patch("pkg.mod.fakeheavy.get", return_value="mocked"):
        assert pkg.mod.fetch("x") == "mocked"
    assert pkg.mod.fetch("x") == "real x"
"""


def project(tmp_path: Path, expect_eager: bool = True) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nrequires-python = ">=3.9"\n')
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(textwrap.dedent(MOD).lstrip())
    (root / "fakeheavy.py").write_text(textwrap.dedent(FAKEHEAVY).lstrip())
    (root / "tests").mkdir()
    (root / "tests" / "test_mod.py").write_text(f"EXPECT_EAGER = {expect_eager}\n" + textwrap.dedent(TEST))
    return root


def codeopt(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CODEOPT_EAGER", "EAGER_IMPORT")}
    return subprocess.run(
        [*CODEOPT, "optimize", *args], cwd=root, capture_output=True, text=True, env=env, timeout=300
    )


def pytest_in(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


ARGS = ("pkg", "--lazy-imports", "--min-cost-ms", "5")


def test_diff_by_default_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = snapshot(root)
    result = codeopt(root, *ARGS)
    assert result.returncode == 1, result.stderr
    assert "--- a/pkg/mod.py" in result.stdout
    assert '+fakeheavy = lazy_import("fakeheavy")' in result.stdout
    assert (
        "+++ b/pkg/_codeopt_lazy.py" in result.stdout
    )  # vendored: the project does not depend on codeopt-runtime
    assert snapshot(root) == before


def test_apply_then_behaviour_and_idempotence(tmp_path: Path) -> None:
    root = project(tmp_path, expect_eager=False)
    applied = codeopt(root, *ARGS, "--apply")
    assert applied.returncode == 0, applied.stderr
    text = (root / "pkg" / "mod.py").read_text()
    assert "from pkg._codeopt_lazy import lazy_import" in text
    assert (root / "pkg" / "_codeopt_lazy.py").exists()
    suite = pytest_in(root)
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert "3 passed" in suite.stdout
    eager = subprocess.run(
        [sys.executable, "-c", "import sys, pkg.mod; print('fakeheavy' in sys.modules)"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "CODEOPT_EAGER": "1", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert eager.stdout.strip() == "True", eager.stderr  # the switch back to eager imports works
    after = snapshot(root)
    again = codeopt(root, *ARGS)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout == ""
    assert snapshot(root) == after


def test_verify_refuses_to_start_on_a_red_suite(tmp_path: Path) -> None:
    root = project(tmp_path, expect_eager=False)
    # the suite asserts laziness: red before the change, so verify must refuse to start
    result = codeopt(
        root, *ARGS, "--apply", "--verify", f"{sys.executable} -m pytest -q -p no:cacheprovider tests"
    )
    assert result.returncode == 2
    assert "fails before the change" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_verify_rolls_back_when_the_suite_turns_red(tmp_path: Path) -> None:
    root = project(tmp_path, expect_eager=True)  # the suite insists the import is eager
    before = snapshot(root)
    command = f"PYTHONPATH={root} {sys.executable} -m pytest -q -p no:cacheprovider tests"
    result = codeopt(root, *ARGS, "--apply", "--verify", command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "restored" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root) == before


def test_verify_green_with_the_same_count(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "tests" / "test_mod.py").write_text(
        textwrap.dedent(TEST).replace("EXPECT_EAGER", "('fakeheavy' in sys.modules)")
    )
    command = f"PYTHONPATH={root} {sys.executable} -m pytest -q -p no:cacheprovider tests"
    result = codeopt(root, *ARGS, "--apply", "--verify", command)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed of 3" in result.stderr
    assert "lazy_import" in (root / "pkg" / "mod.py").read_text()


def test_skipped_sites_are_reported_one_line_each(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "pkg" / "base.py").write_text("import fakeheavy\n\n\nclass Client(fakeheavy.Base):\n    pass\n")
    result = codeopt(root, *ARGS)
    assert "pkg/base.py:1: fakeheavy: used as a base class at line 4" in result.stderr.splitlines()


def test_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    root = project(tmp_path)
    missing = codeopt(root, "nowhere", "--lazy-imports")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "codeopt: error: nowhere: no such file or directory"
    nothing = codeopt(root, "pkg")
    assert nothing.returncode == 2
    assert "choose what to optimize" in nothing.stderr
    (root / "pkg" / "broken.py").write_text("def broken(:\n")
    broken = codeopt(root, *ARGS)
    assert broken.returncode == 2
    assert any(line.startswith("codeopt: error: pkg/broken.py: ") for line in broken.stderr.splitlines())
    assert "Traceback" not in broken.stderr
    bad_version = codeopt(root, *ARGS, "--target-version", "three")
    assert bad_version.returncode == 2
    assert "--target-version" in bad_version.stderr


def test_nothing_to_do_exits_0(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = codeopt(root, "pkg", "--lazy-imports")  # fakeheavy's default estimate is below 20 ms
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_pep810_target_lists_lazy_modules(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = codeopt(root, *ARGS, "--target-version", "3.15", "--apply")
    assert result.returncode == 0, result.stderr
    text = (root / "pkg" / "mod.py").read_text()
    assert '__lazy_modules__ = ["fakeheavy"]' in text
    assert "import fakeheavy" in text
    assert not (root / "pkg" / "_codeopt_lazy.py").exists()


@pytest.mark.parametrize("flag", ["--lazy-attributes", "--pool"])
def test_other_flags_run_or_say_unavailable(tmp_path: Path, flag: str) -> None:
    root = project(tmp_path)
    result = codeopt(root, "pkg", flag)
    assert result.returncode in (0, 1, 2)
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert "no transform available" in result.stderr


def test_target_version_from_requires_python(tmp_path: Path) -> None:
    from codeopt.cli_optimize import parse_target_version

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nrequires-python = ">=3.15"\n')
    (tmp_path / "src").mkdir()
    assert parse_target_version(None, tmp_path / "src") == (3, 15)
    assert parse_target_version("3.11", tmp_path / "src") == (3, 11)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert parse_target_version(None, tmp_path) == (3, 8)  # unknown: code that runs everywhere


def test_loose_module_needs_the_runtime_package(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "script.py").write_text("import fakeheavy\n\n\ndef main():\n    return fakeheavy.get('x')\n")
    skipped = codeopt(root, "script.py", "--lazy-imports", "--min-cost-ms", "5")
    assert skipped.returncode == 0, skipped.stderr
    assert "script.py:1: script.py: not inside a package" in skipped.stderr
    forced = codeopt(root, "script.py", "--lazy-imports", "--min-cost-ms", "5", "--runtime", "package")
    assert forced.returncode == 1
    assert "+from codeopt_runtime.lazy import lazy_import" in forced.stdout

"""``codeopt split`` end to end: real subprocess runs of the CLI on a copy of the gitkit fixture in a real
git repository. Nothing here calls the engine directly; what a user sees and what lands on disk is
what is asserted."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "fixtures" / "gitkit"
PYTHON = shlex.quote(sys.executable)
FIXTURE_SUITE = f"{PYTHON} -m pytest -q -p no:cacheprovider tests"
FIXTURE_TESTS = 68  # tests/test_fixture_gitkit.py pins the same number


@dataclass
class Result:
    code: int
    out: str
    err: str


def codeopt(*args: str, cwd: Path, timeout: float = 300) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "codeopt.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=True)
    return proc.stdout


def init_repo(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "codeopt tests")
    git(root, "config", "user.email", "tests@codeopt.invalid")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def snapshot(tree: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(tree)): path.read_bytes()
        for path in sorted(tree.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(tree).parts
    }


@pytest.fixture
def gitkit(tmp_path: Path) -> Path:
    """A committed copy of fixtures/gitkit: the 1,877-line git_advanced.py and its 68-test suite."""
    root = tmp_path / "gitkit"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    return init_repo(root)


def exported_names(root: Path) -> list[str]:
    script = "import gitkit.git_advanced as m; print(*sorted(n for n in vars(m) if not n.startswith('__')))"
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    return proc.stdout.split()


def diff_of(out: str) -> str:
    start = out.find("\n--- ")
    assert start > 0, out
    return out[start:]


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """One error line on stderr (progress lines, ``codeopt: running ...``, do not count)."""
    progress = ("codeopt: running", "codeopt: importing")
    lines = [line for line in result.err.strip().splitlines() if not line.startswith(progress)]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], result.err


def test_default_shows_layout_metrics_and_diff_and_writes_nothing(gitkit: Path) -> None:
    before = snapshot(gitkit)
    result = codeopt("split", "gitkit/git_advanced.py", cwd=gitkit)
    assert result.code == 0, result.err
    assert "gitkit/git_advanced/" in result.out
    assert "__init__.py" in result.out and "facade" in result.out
    for metric in ("LCOM4", "TurboMQ", "modularity", "largest file", "cross-module edges"):
        assert metric in result.out
    assert "--- a/gitkit/git_advanced.py" in result.out
    assert "+++ b/gitkit/git_advanced/__init__.py" in result.out
    assert snapshot(gitkit) == before


def test_apply_with_verify_splits_keeps_the_suite_and_every_name_then_proposes_nothing(gitkit: Path) -> None:
    names_before = exported_names(gitkit)
    # run from the folder above the project, as the issue does from the codeopt repository: CMD runs
    # in the current directory, so its paths are relative to it
    suite = f"{PYTHON} -m pytest -q -p no:cacheprovider gitkit/tests"
    result = codeopt(
        "split", "gitkit/gitkit/git_advanced.py", "--apply", "--verify", suite, cwd=gitkit.parent
    )
    assert result.code == 0, result.out + result.err
    assert "removed gitkit/gitkit/git_advanced.py" in result.out
    assert f"{FIXTURE_TESTS} tests collected" in result.out
    assert "time:" in result.out
    assert not (gitkit / "gitkit" / "git_advanced.py").exists()
    package = gitkit / "gitkit" / "git_advanced"
    modules = [p for p in package.rglob("*.py") if p.name != "__init__.py"]
    assert len(modules) >= 3, modules

    script = "\n".join(f"from gitkit.git_advanced import {name}" for name in names_before)
    subprocess.run([sys.executable, "-c", script], cwd=gitkit, check=True)

    suite = subprocess.run(
        shlex.split(FIXTURE_SUITE), cwd=gitkit, capture_output=True, text=True, check=False
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert f"{FIXTURE_TESTS} passed" in suite.stdout

    git(gitkit, "add", "-A")
    git(gitkit, "commit", "-q", "-m", "split")
    after = snapshot(gitkit)
    for target in ("gitkit/git_advanced.py", "gitkit/git_advanced/__init__.py"):
        again = codeopt("split", target, "--apply", cwd=gitkit)
        assert again.code == 0, again.err
        assert "nothing to split" in again.out
        assert snapshot(gitkit) == after


def test_failed_verification_rolls_back_byte_identical(gitkit: Path) -> None:
    before = snapshot(gitkit)
    # green before (the folder does not exist yet), red after (it does)
    probe = f"{PYTHON} -c \"import os, sys; sys.exit(os.path.isdir('gitkit/git_advanced'))\""
    result = codeopt("split", "gitkit/git_advanced.py", "--apply", "--verify", probe, cwd=gitkit)
    assert result.code == 2, result.out + result.err
    assert_one_line_error(result, "failed after the change", "rolled back")
    assert snapshot(gitkit) == before
    assert git(gitkit, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_changed_test_count_rolls_back(gitkit: Path) -> None:
    before = snapshot(gitkit)
    # collects more tests once the package exists: green both times, but not the same suite
    extra = "$(test -d gitkit/git_advanced && echo tests/test_validation.py)"
    command = f"{PYTHON} -m pytest -q -p no:cacheprovider tests/test_core.py {extra}"
    result = codeopt("split", "gitkit/git_advanced.py", "--apply", "--verify", command, cwd=gitkit)
    assert result.code == 2, result.out + result.err
    assert_one_line_error(result, "collected", "rolled back")
    assert snapshot(gitkit) == before


def test_a_suite_red_before_the_split_is_a_refusal(gitkit: Path) -> None:
    before = snapshot(gitkit)
    result = codeopt(
        "split",
        "gitkit/git_advanced.py",
        "--apply",
        "--verify",
        f"{PYTHON} -c 'raise SystemExit(3)'",
        cwd=gitkit,
    )
    assert result.code == 1, result.out + result.err
    assert "not green before the split" in result.err
    assert snapshot(gitkit) == before


def test_dirty_tree_is_refused_unless_allowed(gitkit: Path) -> None:
    module = gitkit / "gitkit" / "git_advanced.py"
    module.write_text(module.read_text(encoding="utf-8") + "# local edit\n", encoding="utf-8")
    before = snapshot(gitkit)
    result = codeopt("split", "gitkit/git_advanced.py", "--apply", cwd=gitkit)
    assert result.code == 2
    assert_one_line_error(result, "git_advanced.py", "uncommitted")
    assert snapshot(gitkit) == before
    allowed = codeopt("split", "gitkit/git_advanced.py", "--apply", "--allow-dirty", cwd=gitkit)
    assert allowed.code == 0, allowed.err
    assert (gitkit / "gitkit" / "git_advanced" / "__init__.py").is_file()


def test_bad_layout_is_one_line_exit_2(gitkit: Path) -> None:
    layout = gitkit / "broken.toml"
    layout.write_text("this is = = not toml\n", encoding="utf-8")
    git(gitkit, "add", "broken.toml")
    git(gitkit, "commit", "-q", "-m", "layout")
    before = snapshot(gitkit)
    result = codeopt("split", "gitkit/git_advanced.py", "--layout", "broken.toml", "--apply", cwd=gitkit)
    assert result.code == 2
    assert_one_line_error(result, "broken.toml")
    assert snapshot(gitkit) == before


def test_refused_module_exits_1_naming_the_line_and_writes_nothing(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    # big enough to be worth splitting (a refusal only stops a split that would write something)
    body = "".join(f"def helper_{i}(x):\n    y = x * {i}\n    y += 1\n    return y\n\n\n" for i in range(200))
    text = "import sys\n\n\n" + body + "class _Module:\n    pass\n\n\nsys.modules[__name__] = _Module()\n"
    (pkg / "selfish.py").write_text(text, encoding="utf-8")
    init_repo(tmp_path)
    before = snapshot(tmp_path)
    result = codeopt("split", "pkg/selfish.py", "--apply", cwd=tmp_path)
    assert result.code == 1, result.out + result.err
    line = text.splitlines().index("sys.modules[__name__] = _Module()") + 1
    assert f"selfish.py:{line}:" in result.err, result.err
    assert "Traceback" not in result.err
    assert snapshot(tmp_path) == before


def test_small_module_has_nothing_to_split(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text("def one():\n    return 1\n", encoding="utf-8")
    result = codeopt("split", "tiny.py", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "nothing to split" in result.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.py"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("split", "missing.py"), "missing.py: no such Python module"),
        (("split", "notes.txt"), "not a .py file"),
        (("split", "tiny.py", "--verify", "true"), "--verify needs --apply"),
        (("split", "tiny.py", "--plan", "--apply"), "--plan only writes the layout file"),
    ],
)
def test_usage_errors_are_one_line_exit_2(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    (tmp_path / "tiny.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x\n", encoding="utf-8")
    result = codeopt(*args, cwd=tmp_path)
    assert result.code == 2
    assert_one_line_error(result, fragment)


def test_plan_then_edited_layout_round_trip(gitkit: Path) -> None:
    proposed = codeopt("split", "gitkit/git_advanced.py", cwd=gitkit)
    written = codeopt("split", "gitkit/git_advanced.py", "--plan", "layout.toml", cwd=gitkit)
    assert written.code == 0, written.err
    layout = gitkit / "layout.toml"
    text = layout.read_text(encoding="utf-8")
    assert "--layout" in written.err
    assert tomllib.loads(text)["submodules"]

    unedited = codeopt("split", "gitkit/git_advanced.py", "--layout", "layout.toml", cwd=gitkit)
    assert unedited.code == 0, unedited.err
    assert diff_of(unedited.out) == diff_of(proposed.out)  # the layout says exactly what the proposal said

    # the user moves one definition into a module of its own
    lines = [line for line in text.splitlines() if line.strip().split("#")[0].strip() != '"notify_webhook",']
    assert len(lines) == len(text.splitlines()) - 1, "notify_webhook should be listed exactly once"
    lines += ["", '[submodules."hooks"]', 'units = ["notify_webhook"]']
    layout.write_text("\n".join(lines) + "\n", encoding="utf-8")
    git(gitkit, "add", "layout.toml")
    git(gitkit, "commit", "-q", "-m", "edited layout")

    preview = codeopt("split", "gitkit/git_advanced.py", "--layout", "layout.toml", "--no-diff", cwd=gitkit)
    assert preview.code == 0, preview.err
    assert "hooks.py" in preview.out
    applied = codeopt("split", "gitkit/git_advanced.py", "--layout", "layout.toml", "--apply", cwd=gitkit)
    assert applied.code == 0, applied.out + applied.err
    hooks = gitkit / "gitkit" / "git_advanced" / "hooks.py"
    assert "def notify_webhook(" in hooks.read_text(encoding="utf-8")
    # __module__ stays gitkit.git_advanced (the fixture compares it); the code says where it lives
    check = "from gitkit.git_advanced import notify_webhook; print(notify_webhook.__code__.co_filename)"
    done = subprocess.run([sys.executable, "-c", check], cwd=gitkit, capture_output=True, text=True)
    assert done.stdout.strip().endswith("gitkit/git_advanced/hooks.py"), done.stderr


def test_layout_that_places_a_definition_twice_is_one_line_exit_2(gitkit: Path) -> None:
    codeopt("split", "gitkit/git_advanced.py", "--plan", "layout.toml", cwd=gitkit)
    layout = gitkit / "layout.toml"
    layout.write_text(
        layout.read_text(encoding="utf-8") + '\n[submodules."again"]\nunits = ["notify_webhook"]\n',
        encoding="utf-8",
    )
    result = codeopt("split", "gitkit/git_advanced.py", "--layout", "layout.toml", cwd=gitkit)
    assert result.code == 2
    assert_one_line_error(result, "layout.toml", "notify_webhook")


def test_to_puts_the_package_beside_and_the_old_module_forwards(gitkit: Path) -> None:
    names = exported_names(gitkit)
    preview = codeopt("split", "gitkit/git_advanced.py", "--to", "gitkit.vcs", "--no-diff", cwd=gitkit)
    assert preview.code == 0, preview.err
    assert "-> package gitkit.vcs" in preview.out and "gitkit/vcs/" in preview.out
    assert (
        "gitkit/git_advanced.py  (the old module: importing it gives the package gitkit.vcs)" in preview.out
    )
    applied = codeopt("split", "gitkit/git_advanced.py", "--to", "gitkit.vcs", "--apply", cwd=gitkit)
    assert applied.code == 0, applied.out + applied.err
    assert (gitkit / "gitkit" / "vcs" / "__init__.py").is_file()
    script = "import gitkit.git_advanced as old, gitkit.vcs as new; assert old is new\n" + "\n".join(
        f"from gitkit.git_advanced import {name}" for name in names
    )
    subprocess.run([sys.executable, "-c", script], cwd=gitkit, check=True)
    again = codeopt("split", "gitkit/git_advanced.py", "--to", "gitkit.vcs", cwd=gitkit)
    assert again.code == 0 and "nothing to split" in again.out, again.out + again.err
    outside = codeopt("split", "gitkit/cli.py", "--to", "elsewhere.cli", cwd=gitkit)
    assert outside.code == 2
    assert_one_line_error(outside, "relative imports")

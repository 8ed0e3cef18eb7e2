"""``codeopt split --apply`` on real monolithic modules from PyPI, judged by each project's own suite.

Each project is downloaded as a pinned sdist (``pip download``), unpacked into a pristine copy, installed
editable into its own virtual environment, and its suite run once as the baseline (all cached under
``$CODEOPT_CORPUS``, default /tmp/codeopt-corpus). Each check copies the pristine tree, runs the real
``codeopt split TARGET --apply`` in a subprocess, and passes only when the suite is green again with
the same number of tests collected (doctests included); a ``refuse`` project must exit 1 with every
file unchanged. Slow: run with ``python -m pytest -m slow tests/realworld`` (``.ci/corpus-split``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from codeopt.workspace.verify import TestRun, run_tests

HOME = Path(os.environ.get("CODEOPT_CORPUS", "/tmp/codeopt-corpus"))


@dataclass(frozen=True)
class Project:
    name: str
    pin: str
    sdist_dir: str
    install: str  # pip install arguments, run in the unpacked tree
    test: str  # the suite, run in the tree with the project's venv first on PATH
    target: str  # the module to split, relative to the tree
    expect: str = "split"  # "split": green, same count; "refuse": exit 1, nothing written; "split-or-refuse"

    @property
    def root(self) -> Path:
        return HOME / self.name

    @property
    def venv_bin(self) -> Path:
        return self.root / "venv" / "bin"


PROJECTS = [
    Project(
        "more-itertools",
        "more-itertools==11.2.1",
        "more_itertools-11.2.1",
        "-e .",
        "python -m unittest -q",
        "more_itertools/more.py",
    ),
    Project(
        "boltons",
        "boltons==26.2.0",
        "boltons-26.2.0",
        "-e . pytest",
        "python -m pytest -q -p no:cacheprovider --doctest-modules boltons tests",
        "boltons/iterutils.py",
    ),
    Project(
        "markdown2",
        "markdown2==2.5.5",
        "markdown2-2.5.5",
        "-e .[all] pygments==2.19.2",
        "cd test && python test.py -- -knownfailure",
        "lib/markdown2.py",
    ),
    Project(
        "click",
        "click==8.5.1",
        "click-8.5.1",
        "-e . pytest",
        "python -m pytest -q -p no:cacheprovider tests",
        "src/click/core.py",
    ),
    Project(
        "six",
        "six==1.17.0",
        "six-1.17.0",
        "-e . pytest",
        "python -m pytest -q -p no:cacheprovider test_six.py",
        "six.py",
        expect="refuse",
    ),
    # beyond the list: real monoliths the split must generalise to
    Project(
        "pyflakes",
        "pyflakes==4.1.0",
        "pyflakes-4.1.0",
        "-e . pytest",
        "python -m pytest -q -p no:cacheprovider pyflakes/test",
        "pyflakes/checker.py",
    ),
    Project(  # an import hook serving bottle.ext.* and sys.modules registration: must refuse
        "bottle",
        "bottle==0.13.4",
        "bottle-0.13.4",
        "-e . pytest",
        "python -m pytest -q -p no:cacheprovider test",
        "bottle.py",
        expect="refuse",
    ),
    Project(  # locals() in class bodies: a green split, or a refusal that wrote nothing
        "pyparsing",
        "pyparsing==3.3.3",
        "pyparsing-3.3.3",
        "-e .[diagrams] pytest",
        "python -m pytest -q -p no:cacheprovider tests",
        "pyparsing/core.py",
        expect="split-or-refuse",
    ),
]


def sh(command: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    proc = subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"{command!r} failed in {cwd}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout


def suite_env(project: Project) -> dict[str, str]:
    return {
        "PATH": f"{project.venv_bin}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(project.venv_bin.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def run_suite(project: Project, tree: Path) -> TestRun:
    return run_tests(project.test, tree, timeout=900, env=suite_env(project))


def prepare(project: Project) -> dict[str, int]:
    """Download, unpack, install and run the baseline once; later runs reuse all of it."""
    baseline = project.root / "baseline-codeopt-tests.json"
    if baseline.exists():
        return dict(json.loads(baseline.read_text()))
    pristine = project.root / "pristine"
    if not pristine.is_dir():
        _unpack(project, pristine)
    if not (project.venv_bin / "python").exists():
        sh(f"{shlex.quote(sys.executable)} -m venv {project.root / 'venv'}", project.root)
    work = reset(project)
    sh(f"{project.venv_bin / 'pip'} install -q {project.install}", work)
    run = run_suite(project, work)
    assert run.green, f"{project.name}: the baseline suite is not green:\n{run.tail}"
    counts = {"collected": run.collected, "passed": run.passed}
    baseline.write_text(json.dumps(counts))
    return counts


def _unpack(project: Project, pristine: Path) -> None:
    download = project.root / "dl"
    shutil.rmtree(download, ignore_errors=True)
    package = project.pin.split("==")[0]
    sh(
        f"{shlex.quote(sys.executable)} -m pip download -q --no-deps --no-binary {package} "
        f"{shlex.quote(project.pin)} -d {download}",
        HOME,
    )
    archive = next(download.iterdir())
    unpacked = project.root / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(unpacked)
    else:
        with tarfile.open(archive) as bundle:
            bundle.extractall(unpacked, filter="data")
    shutil.move(str(unpacked / project.sdist_dir), pristine)


def reset(project: Project) -> Path:
    """A fresh working copy; the editable install points at ``work`` (the corpus runner's layout)."""
    work = project.root / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project.root / "pristine", work, symlinks=True)
    return work


def snapshot(tree: Path) -> dict[str, bytes]:
    return {str(p.relative_to(tree)): p.read_bytes() for p in tree.rglob("*") if p.is_file()}


def codeopt_split(project: Project, work: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "codeopt.cli",
        "split",
        project.target,
        "--apply",
        "--python",
        str(project.venv_bin / "python"),
    ]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        command,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_split_keeps_the_projects_own_suite_green(project: Project) -> None:
    baseline = prepare(project)
    work = reset(project)
    before = snapshot(work)
    done = codeopt_split(project, work)
    output = done.stdout + done.stderr
    if project.expect == "refuse" or (project.expect == "split-or-refuse" and done.returncode == 1):
        assert done.returncode == 1, output
        assert "Traceback" not in output
        assert f"{Path(project.target).name}:" in done.stderr, done.stderr
        assert snapshot(work) == before
        return
    assert done.returncode == 0, output
    assert not (work / project.target).exists(), "the module should have become a package"
    after = run_suite(project, work)
    assert after.green, f"{project.name}: suite red after the split\n{output[-2000:]}\n{after.tail}"
    assert after.collected == baseline["collected"], (
        f"{project.name}: {after.collected} tests collected after the split, {baseline['collected']} before"
    )

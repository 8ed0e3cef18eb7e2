"""Import time before vs after ``codeopt optimize --lazy-imports --apply``, in one run.

Baseline: the unmodified tree. For each target, a private copy is rewritten by the real command, then
``import <module>`` is timed in fresh interpreters, before and after alternating (one warm-up, median
of --runs), with ``-X importtime`` (cumulative ms of what the statement loaded) and ``sys.modules``
growth. The test suite of the rewritten copy runs too, so a ratio is only printed next to a green
suite with the same test count as the original.

    python bench/lazy_imports.py                       # the fixture, and cookiecutter when prepared
    python bench/lazy_imports.py --runs 9 --target fixture

Targets: ``fixture`` (fixtures/gitkit, ``import gitkit``, this interpreter) and ``cookiecutter``
(the corpus runner's copy in $CODEOPT_CORPUS or /tmp/codeopt-corpus; run
``python /work/shared/corpus/corpus.py prepare cookiecutter`` first; its own virtualenv is used).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from codeopt.transforms.measure import run_import
from codeopt.workspace.verify import run_tests

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CODEOPT_CORPUS", "/tmp/codeopt-corpus"))


@dataclass(frozen=True)
class Target:
    name: str
    tree: Path  # the project folder to copy
    package: str  # folder (relative to tree) given to codeopt
    module: str  # what is imported
    python: str
    tests: str  # the suite, run in the copy

    def available(self) -> bool:
        return self.tree.is_dir() and Path(self.python).exists()


TARGETS = {
    "fixture": Target(
        "fixture",
        ROOT / "fixtures" / "gitkit",
        "gitkit",
        "gitkit",
        sys.executable,
        f"{sys.executable} -m pytest -q -p no:cacheprovider tests",
    ),
    "cookiecutter": Target(
        "cookiecutter",
        CORPUS / "cookiecutter" / "pristine",
        "cookiecutter",
        "cookiecutter.main",
        str(CORPUS / "cookiecutter" / "venv" / "bin" / "python"),
        f"{CORPUS / 'cookiecutter' / 'venv' / 'bin' / 'python'} -m pytest -q -p no:cacheprovider -o addopts=",
    ),
}


def codeopt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "codeopt"), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)


def measure(target: Target, before: Path, after: Path, runs: int, pycache: Path) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"ms_before": [], "ms_after": [], "mod_before": [], "mod_after": []}
    for round_ in range(runs + 1):
        for side, tree in (("before", before), ("after", after)):
            cumulative, _own, loaded, _rss = run_import(target.module, tree, target.python, pycache / side)
            if round_:
                figures[f"ms_{side}"].append(cumulative)
                figures[f"mod_{side}"].append(loaded)
    return figures


def bench(target: Target, runs: int, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="codeopt-bench-lazy-") as scratch:
        before = Path(scratch) / "before"
        after = Path(scratch) / "after"
        ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
        shutil.copytree(target.tree, before, ignore=ignore)
        shutil.copytree(target.tree, after, ignore=ignore)
        baseline = run_tests(target.tests, before)
        done = codeopt("optimize", target.package, "--lazy-imports", "--apply", *extra, cwd=after)
        if done.returncode != 0:
            print(f"{target.name}: codeopt optimize failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
            return
        rewrites = done.stderr.strip().splitlines()[-1]
        suite = run_tests(target.tests, after)
        figures = measure(target, before, after, runs, Path(scratch) / "pycache")
    ms_before, ms_after = (statistics.median(figures[k]) for k in ("ms_before", "ms_after"))
    mod_before, mod_after = (int(statistics.median(figures[k])) for k in ("mod_before", "mod_after"))
    same = suite.green and suite.collected == baseline.collected
    print(f"{target.name}: {rewrites}")
    print(
        f"  suite: before {baseline.passed}/{baseline.collected} passed, "
        f"after {suite.passed}/{suite.collected} passed -> {'green, same count' if same else 'NOT THE SAME'}"
    )
    print(
        f"  import {target.module}: {ms_before:.1f} ms -> {ms_after:.1f} ms "
        f"(ratio {ms_after / ms_before:.2f}, {100 * (ms_after - ms_before) / ms_before:+.0f}%), "
        f"modules {mod_before} -> {mod_after}  [median of {runs}, cumulative -X importtime]"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--min-cost-ms", help="passed to codeopt optimize")
    options = parser.parse_args()
    extra = ["--min-cost-ms", options.min_cost_ms] if options.min_cost_ms else []
    for name in options.target or sorted(TARGETS, key=lambda n: n != "fixture"):
        target = TARGETS[name]
        if not target.available():
            print(f"{name}: not available ({target.tree}); see the module docstring")
            continue
        bench(target, options.runs, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())

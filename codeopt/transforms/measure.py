"""``codeopt optimize --measure``: what importing the package costs before and after the rewrite.

Why measure on the user's own code: a bundled estimate says which imports are worth deferring, but
only a run says what the rewrite bought. Figures per top-level module (the package and its direct
submodules), each in fresh interpreters: one warm-up, then the median of ``runs``; before and after
alternate in the same loop so machine load drifts into both sides alike.

* **cumulative ms**: what ``import <module>`` made Python load, from ``-X importtime`` (the depth-0
  lines after a marker the child prints just before the import: start-up modules are not counted);
* **self ms**: the module's own body;
* **modules**: how many entries ``sys.modules`` gained (noise-free);
* **RSS MB**: resident memory after the import (``/proc/self/statm``; peak RSS where there is none).

Both sides run from temporary copies (the original tree, and the same tree with the change's texts
overlaid), so measuring never writes into the user's tree (bytecode goes to a private
``PYTHONPYCACHEPREFIX``) and works before ``--apply`` as well as after it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from codeopt.errors import TransformError

SCHEMA_VERSION = 1
MAX_MODULES = 25
_MARKER = "@@codeopt-measure@@"
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".git", ".tox", ".venv", "node_modules")
_CHILD = """
import sys
sys.stderr.write({marker!r} + "\\n")
sys.stderr.flush()
count = len(sys.modules)
__import__({module!r})
loaded = len(sys.modules) - count
try:
    with open("/proc/self/statm") as handle:
        import os
        rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
except OSError:
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
origin = getattr(sys.modules[{module!r}], "__file__", "") or ""
print(repr((loaded, rss, origin)))
"""


@dataclass(frozen=True)
class ImportFigures:
    """Medians over the runs of one module on one side."""

    cumulative_ms: float
    self_ms: float
    modules: int
    rss_mb: float


@dataclass(frozen=True)
class ModuleComparison:
    module: str
    before: ImportFigures
    after: ImportFigures

    @property
    def change_pct(self) -> float:
        if self.before.cumulative_ms <= 0:
            return 0.0
        return 100.0 * (self.after.cumulative_ms - self.before.cumulative_ms) / self.before.cumulative_ms


@dataclass(frozen=True)
class Measurement:
    python: str
    runs: int
    modules: tuple[ModuleComparison, ...]

    def to_json(self) -> str:
        data = {
            "schema_version": SCHEMA_VERSION,
            "python": self.python,
            "runs": self.runs,
            "modules": [{**asdict(m), "change_pct": round(m.change_pct, 1)} for m in self.modules],
        }
        return json.dumps(data, indent=2) + "\n"

    def render(self) -> str:
        header = ("module", "cumulative ms", "change", "self ms", "modules", "RSS MB")
        rows = [header] + [
            (
                m.module,
                _pair(m.before.cumulative_ms, m.after.cumulative_ms, 1),
                f"{m.change_pct:+.0f}%",
                _pair(m.before.self_ms, m.after.self_ms, 1),
                _pair(m.before.modules, m.after.modules, 0),
                _pair(m.before.rss_mb, m.after.rss_mb, 1),
            )
            for m in self.modules
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [f"import cost, median of {self.runs} fresh runs each (before -> after):"]
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  " + "  ".join(cells).rstrip())
        return "\n".join(lines)


def _pair(before: float, after: float, digits: int) -> str:
    return f"{before:.{digits}f} -> {after:.{digits}f}"


@dataclass(frozen=True)
class PackageTree:
    """A top-level package (or module) to measure: its ``sys.path`` folder and name."""

    sys_path: Path
    name: str
    is_package: bool

    @property
    def path(self) -> Path:
        return self.sys_path / (self.name if self.is_package else f"{self.name}.py")


def packages_of(paths: Iterable[Path]) -> tuple[PackageTree, ...]:
    """The top-level packages holding ``paths`` (a folder with ``__init__.py`` chains upward)."""
    found: dict[Path, PackageTree] = {}
    for given in paths:
        path = given.resolve()
        candidates = [path] if path.is_file() else [path, *(p.parent for p in path.glob("*/__init__.py"))]
        for candidate in candidates:
            tree = _top_package(candidate)
            if tree is not None:
                found.setdefault(tree.path, tree)
    return tuple(found[k] for k in sorted(found))


def _top_package(path: Path) -> PackageTree | None:
    folder = path if path.is_dir() else path.parent
    if not (folder / "__init__.py").is_file():
        if path.is_file() and path.suffix == ".py":
            return PackageTree(path.parent, path.stem, False)
        return None
    while (folder.parent / "__init__.py").is_file():
        folder = folder.parent
    return PackageTree(folder.parent, folder.name, True)


def top_level_modules(tree: PackageTree) -> tuple[str, ...]:
    """The package and its direct submodules (the entry points a user imports), capped."""
    if not tree.is_package:
        return (tree.name,)
    names = [tree.name]
    for child in sorted(tree.path.iterdir()):
        stem = child.stem if child.suffix == ".py" else child.name
        if (
            stem in ("__init__", "__main__")
            or stem.startswith(("_codeopt_", "test"))
            or not stem.isidentifier()
        ):
            continue
        if (child.suffix == ".py" and child.is_file()) or (child / "__init__.py").is_file():
            names.append(f"{tree.name}.{stem}")
    return tuple(names[:MAX_MODULES])


class Baseline:
    """A private copy of the packages as they were, taken before the change is applied."""

    def __init__(self, trees: Sequence[PackageTree], workdir: Path) -> None:
        self.trees = tuple(trees)
        self.workdir = workdir
        self.before = workdir / "before"
        # the original folders come after the copy: modules beside the package stay importable
        self.fallback_paths = tuple(dict.fromkeys(str(t.sys_path) for t in self.trees))
        for tree in self.trees:
            _copy(tree, self.before)

    @classmethod
    def take(
        cls,
        paths: Iterable[Path],
        python: str | None = None,
        progress: Callable[[str], None] = lambda _t: None,
    ) -> Baseline:
        """Copy the packages; with ``python``, also import each module once now, so an interpreter that
        cannot import them fails the run before anything is written (not after ``--apply``)."""
        trees = packages_of(paths)
        if not trees:
            raise TransformError("--measure: no package or module to import under the given paths")
        progress(f"measuring: copied {', '.join(t.name for t in trees)} for the 'before' side")
        baseline = cls(trees, Path(tempfile.mkdtemp(prefix="codeopt-measure-")))
        if python is not None:
            try:
                for module in (m for tree in trees for m in top_level_modules(tree)):
                    run_import(
                        module, baseline.before, python, baseline.workdir / "pycache", baseline.fallback_paths
                    )
            except TransformError:
                shutil.rmtree(baseline.workdir, ignore_errors=True)
                raise
        return baseline

    def compare(
        self,
        changes: Mapping[Path, str | None],
        python: str = sys.executable,
        runs: int = 5,
        progress: Callable[[str], None] = lambda _t: None,
    ) -> Measurement:
        """Measure the copy against the copy with ``changes`` (path -> new text, None = deleted)."""
        try:
            after = self.workdir / "after"
            shutil.copytree(self.before, after, ignore=_IGNORED)
            for path, text in changes.items():
                _overlay(path.resolve(), text, self.trees, after)
            modules = [m for tree in self.trees for m in top_level_modules(tree)]
            progress(f"measuring {len(modules)} module(s), {runs} runs each before and after")
            return Measurement(python, runs, tuple(self._one(m, python, runs, after) for m in modules))
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _one(self, module: str, python: str, runs: int, after: Path) -> ModuleComparison:
        samples: dict[str, list[tuple[float, float, int, float]]] = {"before": [], "after": []}
        cache = self.workdir / "pycache"
        for round_ in range(runs + 1):
            for side, root in (("before", self.before), ("after", after)):
                sample = run_import(module, root, python, cache, self.fallback_paths)
                if round_:  # round 0 is the warm-up: it fills the bytecode cache
                    samples[side].append(sample)
        return ModuleComparison(module, _median(samples["before"]), _median(samples["after"]))


def _copy(tree: PackageTree, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if tree.is_package:
        shutil.copytree(tree.path, target / tree.name, ignore=_IGNORED)
    else:
        shutil.copy2(tree.path, target / tree.path.name)


def _overlay(path: Path, text: str | None, trees: Sequence[PackageTree], target: Path) -> None:
    for tree in trees:
        try:
            relative = path.relative_to(tree.sys_path.resolve())
        except ValueError:
            continue
        destination = target / relative
        if text is None:
            destination.unlink(missing_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
        return


def run_import(
    module: str, sys_path: Path, python: str, pycache: Path, fallback: Sequence[str] = ()
) -> tuple[float, float, int, float]:
    """(cumulative ms, self ms, modules loaded, RSS MB) of one fresh ``import module``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(sys_path), *fallback]),
        "PYTHONPYCACHEPREFIX": str(pycache),
    }
    for variable in ("CODEOPT_EAGER", "EAGER_IMPORT", "PYTHONDONTWRITEBYTECODE"):
        env.pop(variable, None)
    code = _CHILD.format(marker=_MARKER, module=module)
    try:
        proc = subprocess.run(
            [python, "-X", "importtime", "-c", code],
            cwd=sys_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TransformError(f"--measure: cannot run {python}: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise TransformError(f"--measure: `import {module}` failed: {last}")
    loaded, rss, origin = _child_result(proc.stdout)
    if origin and not Path(origin).resolve().is_relative_to(sys_path.resolve()):
        raise TransformError(f"--measure: `import {module}` found {origin}, not the copy being measured")
    cumulative, own = parse_importtime(proc.stderr, module)
    return cumulative / 1000, own / 1000, loaded, rss / 2**20


def _child_result(stdout: str) -> tuple[int, int, str]:
    import ast

    last = stdout.strip().splitlines()[-1] if stdout.strip() else "(0, 0, '')"
    value = ast.literal_eval(last)
    return int(value[0]), int(value[1]), str(value[2])


def parse_importtime(stderr: str, module: str) -> tuple[int, int]:
    """(cumulative µs of everything the statement imported, self µs of ``module``) after the marker."""
    _, _, tail = stderr.partition(_MARKER)
    cumulative = own = 0
    for line in tail.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        if not match.group(3):
            cumulative += int(match.group(2))
        if match.group(4) == module:
            own = int(match.group(1))
    return cumulative, own


def _median(samples: Sequence[tuple[float, float, int, float]]) -> ImportFigures:
    return ImportFigures(
        cumulative_ms=round(statistics.median(s[0] for s in samples), 1),
        self_ms=round(statistics.median(s[1] for s in samples), 2),
        modules=int(statistics.median(s[2] for s in samples)),
        rss_mb=round(statistics.median(s[3] for s in samples), 1),
    )

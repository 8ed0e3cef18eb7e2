"""What importing a module costs: bundled estimates, and real measurements when asked for.

Estimates (``import_costs.json``, shipped as package data) let ``codeopt analyze`` rank heavy imports
without running anything: cumulative milliseconds of ``import <module>`` in a fresh CPython 3.11,
each figure with its source (measured by the generator below, or the design note, or a public
report). A module missing from the table gets its nearest listed parent's figure or a documented
default, and is labelled an estimate.

Measurements (``codeopt analyze --measure-imports``) run ``python -X importtime`` in fresh
subprocesses: one warm-up (it fills a private bytecode cache), then the median of ``runs``. Only what
the import itself loads is counted: the child writes a marker to stderr just before the import, and
the modules the interpreter loaded at start-up come before it.

Regenerate the measured figures of the table (stdlib, and installed third-party packages) with::

    python -m codeopt.analysis.import_cost --regenerate-stdlib --measure click jinja2 yaml

They are taken in a fresh virtual environment and scaled to the design note's figures (see
``DESIGN_NOTE_MS``), so that one table holds one scale whatever the speed of the machine.

The heavier modules this needs are imported where they are used: ``codeopt analyze`` imports this
module on every run for the estimates, and a tool about import time should not be slow to import.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE_NAME = "import_costs.json"
DEFAULT_STDLIB_MS = 1.0
DEFAULT_THIRD_PARTY_MS = 10.0
_MARKER = "@@codeopt-import-cost@@"
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# Importing these has visible side effects (a browser tab, a poem on stdout): never measure them.
_NEVER_MEASURE = frozenset({"antigravity", "this", "__hello__", "__phello__"})


@dataclass(frozen=True)
class CostEstimate:
    """A cost from the bundled table (or a default); ``estimated`` when not a figure for this module."""

    module: str
    ms: float
    source: str
    estimated: bool  # a default, or the figure of a parent package listed in the table


@dataclass(frozen=True)
class ImportCost:
    """One module measured with ``-X importtime``: medians over ``runs`` fresh interpreters."""

    module: str
    cumulative_us: int  # everything `import module` loaded (0: already loaded at start-up)
    self_us: int  # the module's own body, without what it imports
    modules_loaded: int  # modules loaded by the import
    runs: int  # successful measured runs (the warm-up not included)
    error: str = ""  # the last stderr line when the import failed, or why the run was stopped

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def cumulative_ms(self) -> float:
        return self.cumulative_us / 1000


# -- estimates ------------------------------------------------------------------------------------


def is_stdlib(module: str) -> bool:
    """True for modules of the running interpreter's standard library (by top-level name)."""
    return module.partition(".")[0] in sys.stdlib_module_names


@cache
def load_estimates() -> Mapping[str, tuple[float, str]]:
    """The bundled table: module -> (cumulative ms, source of the figure)."""
    import json
    from importlib import resources

    data = json.loads(resources.files("codeopt.analysis").joinpath(TABLE_NAME).read_text("utf-8"))
    return {name: (float(entry["ms"]), str(entry["source"])) for name, entry in data["modules"].items()}


def estimate_import_cost(module: str, table: Mapping[str, tuple[float, str]] | None = None) -> CostEstimate:
    """The table's figure for ``module``; else its nearest listed parent's; else a default.

    A parent's figure stands in for a submodule because ``import a.b`` runs ``a`` first, and most
    heavy packages import their main submodules from ``__init__``; it is labelled an estimate.
    """
    table = load_estimates() if table is None else table
    found = table.get(module)
    if found is not None:
        return CostEstimate(module, found[0], found[1], estimated=False)
    parent = module
    while "." in parent:
        parent = parent.rpartition(".")[0]
        found = table.get(parent)
        if found is not None:
            return CostEstimate(module, found[0], f"estimate: the figure of {parent} ({found[1]})", True)
    if is_stdlib(module):
        return CostEstimate(module, DEFAULT_STDLIB_MS, "estimate: default for a stdlib module", True)
    return CostEstimate(module, DEFAULT_THIRD_PARTY_MS, "estimate: default for a third-party module", True)


# -- measurement ----------------------------------------------------------------------------------


def measure_import_cost(
    modules: Sequence[str],
    *,
    python: str = sys.executable,
    cwd: str | os.PathLike[str] | None = None,
    sys_path: Sequence[str] = (),
    runs: int = 5,
    timeout: float = 60.0,
    site: bool = True,
    isolated: bool = False,
) -> dict[str, ImportCost]:
    """Measure ``import m`` for each module in fresh interpreters; failures are results, not errors.

    ``sys_path`` entries are put first on ``sys.path`` of the child (this works with ``isolated``
    too); ``site=False`` adds ``-S`` and ``isolated=True`` adds ``-I`` (no environment variables, no
    user site-packages, no current directory on the path): both give figures that do not depend on
    what the measuring environment happens to load at start-up.

    Runs go round-robin (every module once, then every module again, ...), so a machine that gets
    busier or quieter meanwhile shifts all modules alike instead of the last ones measured.
    Bytecode goes to a private ``pycache_prefix`` that lives as long as the call: the warm-up round
    fills it, so measured runs load bytecode as a deployed program would, even where
    ``PYTHONDONTWRITEBYTECODE`` is set, and nothing is written into the measured project.
    """
    import tempfile

    failed, samples = _measurable(modules)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    options = [*(["-I"] if isolated else []), *([] if site else ["-S"])]
    with tempfile.TemporaryDirectory(prefix="codeopt-pycache-") as cache:
        command = [python, "-X", "importtime", "-X", f"pycache_prefix={cache}", *options]
        _measure_rounds(
            samples,
            failed,
            max(1, runs),
            lambda module: _run_once(module, command, env, cwd, sys_path, timeout),
        )
    return {
        module: failed[module] if module in failed else _median_cost(module, samples[module])
        for module in dict.fromkeys(modules)
    }


_Sample = tuple[int, int, int]  # cumulative us, self us, modules loaded


def _measurable(modules: Sequence[str]) -> tuple[dict[str, ImportCost], dict[str, list[_Sample]]]:
    """(the modules never measured, with why; an empty sample list for each of the others)."""
    failed: dict[str, ImportCost] = {}
    samples: dict[str, list[_Sample]] = {}
    for module in dict.fromkeys(modules):
        if not _MODULE_NAME.match(module):
            failed[module] = ImportCost(module, 0, 0, 0, 0, error="not a dotted module name")
        elif module in _NEVER_MEASURE:
            failed[module] = ImportCost(
                module, 0, 0, 0, 0, error="not measured: importing it has side effects"
            )
        else:
            samples[module] = []
    return failed, samples


def _measure_rounds(
    samples: dict[str, list[_Sample]],
    failed: dict[str, ImportCost],
    runs: int,
    run_once: Callable[[str], _Sample | str],
) -> None:
    """Round-robin: a warm-up round, then ``runs`` measured ones; a module that fails once is out."""
    for attempt in range(runs + 1):  # round 0 is the warm-up
        for module in [m for m in samples if m not in failed]:
            outcome = run_once(module)
            if isinstance(outcome, str):
                failed[module] = ImportCost(module, 0, 0, 0, len(samples[module]), error=outcome)
            elif attempt:
                samples[module].append(outcome)


def _median_cost(module: str, taken: Sequence[_Sample]) -> ImportCost:
    import statistics

    return ImportCost(
        module,
        cumulative_us=int(statistics.median(s[0] for s in taken)),
        self_us=int(statistics.median(s[1] for s in taken)),
        modules_loaded=int(statistics.median(s[2] for s in taken)),
        runs=len(taken),
    )


def _run_once(
    module: str,
    command: list[str],
    env: Mapping[str, str],
    cwd: str | os.PathLike[str] | None,
    sys_path: Sequence[str],
    timeout: float,
) -> tuple[int, int, int] | str:
    """One fresh interpreter importing ``module``: its parsed figures, or why it failed."""
    import subprocess

    code = (
        f"import sys\nsys.path[:0] = {list(sys_path)!r}\n"
        f"sys.stderr.write({_MARKER + chr(10)!r})\nsys.stderr.flush()\nimport {module}\n"
    )
    try:
        done = subprocess.run(
            [*command, "-c", code],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:g} s"
    except OSError as exc:
        return f"cannot run {command[0]}: {exc.strerror}"
    if done.returncode != 0:
        return _last_error_line(done.stderr, done.returncode)
    return parse_importtime(done.stderr, module)


def parse_importtime(stderr: str, module: str) -> tuple[int, int, int]:
    """(cumulative µs, self µs, modules loaded) of ``import module`` from ``-X importtime`` output.

    Lines look like ``import time:  self |  cumulative | <2 spaces per nesting level>name``. The
    import's cost is the sum of the top-level entries after the marker: ``import a.b`` lists ``a``
    and ``a.b`` as two top-level entries.
    """
    _, found, after = stderr.partition(_MARKER)
    lines = after.splitlines() if found else stderr.splitlines()
    cumulative = own = loaded = 0
    for line in lines:
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|", 2)
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        self_us, cumulative_us = int(fields[0]), int(fields[1])
        name_field = fields[2][1:]  # one space follows the bar
        loaded += 1
        if not name_field.startswith(" "):
            cumulative += cumulative_us
        if name_field.strip() == module:
            own = self_us
    return cumulative, own, loaded


def _last_error_line(stderr: str, returncode: int) -> str:
    for line in reversed(stderr.splitlines()):
        if line.strip() and not line.startswith("import time:"):
            return line.strip()
    return f"exited with status {returncode}"


# -- regenerating the bundled table ---------------------------------------------------------------


def stdlib_candidates() -> list[str]:
    """Public stdlib modules of this interpreter plus the submodules people import directly."""
    tops = sorted(n for n in sys.stdlib_module_names if not n.startswith("_") and n not in _NEVER_MEASURE)
    return tops + list(_STDLIB_SUBMODULES)


_STDLIB_SUBMODULES = (
    "asyncio.subprocess",
    "collections.abc",
    "concurrent.futures",
    "ctypes.util",
    "email.message",
    "email.mime.multipart",
    "email.mime.text",
    "email.utils",
    "http.client",
    "http.cookies",
    "http.server",
    "importlib.metadata",
    "importlib.resources",
    "importlib.util",
    "json.decoder",
    "logging.config",
    "logging.handlers",
    "multiprocessing.pool",
    "os.path",
    "unittest.mock",
    "urllib.parse",
    "urllib.request",
    "xml.dom.minidom",
    "xml.etree.ElementTree",
    "xml.sax",
    "xmlrpc.client",
)


# The design note's measurements (Python 3.11, median of 11): the scale the bundled table is kept
# on. The generator measures these too and scales everything it measures by the median ratio, so
# figures measured on a slow or busy machine stay comparable with those taken from the note.
DESIGN_NOTE_MS = {"json": 8.0, "click": 31.0, "yaml": 29.0, "jinja2": 49.0, "rich.console": 60.0}


def _regenerate(table_path: Path, modules: Sequence[str], *, runs: int, calibrate: bool = True) -> list[str]:
    """Measure ``modules``, write their (scaled) figures into the table; returns what failed.

    The interpreter is a fresh virtual environment of this Python, run with ``-I``: ``site`` loads
    what it always loads (``os`` and friends) and nothing else, so the figures are what a program
    pays on top of a bare start-up. Installed packages are found through ``sys.path``.
    """
    import datetime
    import json
    import platform
    import statistics
    import sysconfig
    import tempfile
    import venv

    data = json.loads(table_path.read_text("utf-8"))
    today = datetime.date.today().isoformat()
    interpreter = f"{platform.python_implementation()} {platform.python_version()}"
    paths = sysconfig.get_paths()
    wanted = list(dict.fromkeys([*modules, *(DESIGN_NOTE_MS if calibrate else ())]))
    with tempfile.TemporaryDirectory(prefix="codeopt-clean-venv-") as tmp:
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(tmp)
        python = str(Path(tmp) / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
        sys_path = list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
        measured = measure_import_cost(wanted, python=python, isolated=True, sys_path=sys_path, runs=runs)
    ratios = {
        name: round(measured[name].cumulative_ms / ms, 2)
        for name, ms in DESIGN_NOTE_MS.items()
        if calibrate and name in measured and measured[name].ok and measured[name].cumulative_us
    }
    factor = 1 / statistics.median(ratios.values()) if ratios else 1.0
    data["measured_on"] = {
        "date": today,
        "python": interpreter,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "how": "a fresh venv of this Python, python -I -X importtime, 1 warm-up, median of "
        f"{runs}; installed packages through sys.path",
    }
    data["calibration"] = {
        "note": "measured figures are multiplied by `factor` (1 / the median of `ratios`, "
        "measured here / design note, same modules) to keep the whole table on the design note's "
        "scale; `measured_ms` keeps the raw figure",
        "ratios": ratios,
        "factor": round(factor, 3),
    }
    failed = []
    for module in modules:
        cost = measured[module]
        if not cost.ok:
            failed.append(f"{module}: {cost.error}")
            continue
        what = "" if is_stdlib(module) else f", {_distribution_version(module)}"
        data["modules"][module] = {
            "ms": round(cost.cumulative_ms * factor, 1),
            "measured_ms": round(cost.cumulative_ms, 1),
            "source": f"measured {today}, {interpreter}{what}, scaled x{factor:.2f} (see calibration)",
        }
    data["modules"] = dict(sorted(data["modules"].items()))
    table_path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return failed


def _distribution_version(module: str) -> str:
    from importlib import metadata

    top = module.partition(".")[0]
    names = metadata.packages_distributions().get(top, [top])
    for name in names:
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return f"{top} (version unknown)"


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m codeopt.analysis.import_cost", description=__doc__)
    parser.add_argument("--regenerate-stdlib", action="store_true", help="re-measure the stdlib figures")
    parser.add_argument(
        "--measure", nargs="*", default=[], metavar="MODULE", help="measure installed modules"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--table", type=Path, default=Path(__file__).with_name(TABLE_NAME))
    parser.add_argument(
        "--no-calibrate", action="store_true", help="keep raw figures (do not scale to the design note)"
    )
    args = parser.parse_args(argv)
    if not args.regenerate_stdlib and not args.measure:
        parser.error("nothing to do: give --regenerate-stdlib and/or --measure MODULE...")
    modules = [*(stdlib_candidates() if args.regenerate_stdlib else ()), *args.measure]
    failed = _regenerate(args.table, modules, runs=args.runs, calibrate=not args.no_calibrate)
    for line in failed:
        print(f"not measured: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

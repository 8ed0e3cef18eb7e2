"""``codeopt optimize``: the command-line face of the lazy-loading and pooling transforms.

Output contract (like ``ruff --diff``): the unified diff goes to stdout; skipped sites
(``path:line: name: reason``), progress and the summary go to stderr. Exit codes: 0 nothing to change
or the change was applied (and verified), 1 a diff was shown and not applied, 2 errors (a file that
could not be read or rewritten, bad usage, a verification that failed and was rolled back).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from codeopt.cli_support import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, fail, split_csv

if TYPE_CHECKING:
    from codeopt.commands.optimize import OptimizeOutcome
    from codeopt.config import Settings
    from codeopt.transforms.base import TransformOptions
    from codeopt.transforms.measure import Baseline

_VERSION = re.compile(r"^3\.(\d+)$")
_REQUIRES = re.compile(r">=\s*3\.(\d+)")
DEFAULT_TARGET = (3, 8)  # unknown: assume an old Python, so the emitted code runs everywhere
TRANSFORM_FLAGS = {"lazy_imports": "lazy-imports", "lazy_attributes": "lazy-attributes", "pool": "pool"}
DEFAULT_MIN_COST_MS = 20.0


def parse_target_version(value: str | None, start: Path) -> tuple[int, int]:
    """``--target-version 3.X``, else the lower bound of ``requires-python`` of the nearest pyproject."""
    if value is not None:
        match = _VERSION.match(value.strip())
        if not match:
            fail(f"--target-version: expected 3.X (e.g. 3.11), got {value!r}")
        return 3, int(match.group(1))
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return _requires_python(candidate)
    return DEFAULT_TARGET


def _requires_python(pyproject: Path) -> tuple[int, int]:
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return DEFAULT_TARGET
    requires = project.get("requires-python", "") if isinstance(project, dict) else ""
    found = _REQUIRES.search(requires) if isinstance(requires, str) else None
    return (3, int(found.group(1))) if found else DEFAULT_TARGET


@click.command("optimize")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
@click.option("--lazy-imports", is_flag=True, help="Defer costly imports only function bodies use.")
@click.option(
    "--lazy-attributes", is_flag=True, help="Compute costly attributes set in __init__ on first use."
)
@click.option("--pool", is_flag=True, help="Reuse connections/sessions/clients created per call.")
@click.option("--all", "all_", is_flag=True, help="Every transform.")
@click.option("--apply", is_flag=True, help="Write the change (atomically); default: show the diff.")
@click.option("--verify", metavar="CMD", help="Run CMD before and after --apply; roll back unless as green.")
@click.option("--target-version", metavar="3.X", help="Lowest Python to support [default: requires-python].")
@click.option("--measure", is_flag=True, help="Measure import time, modules and RSS before and after.")
@click.option(
    "--measure-json", type=click.Path(dir_okay=False, path_type=Path), help="Write --measure as JSON."
)
@click.option("--measure-python", metavar="PYTHON", help="Interpreter to measure with [this one].")
@click.option(
    "--measure-runs", type=click.IntRange(min=1), default=5, show_default=True, help="Runs per side."
)
@click.option("--min-cost-ms", type=click.FloatRange(min=0), help="Lazy imports: minimum import cost [20].")
@click.option("--never-lazy", multiple=True, help="Modules that must stay eager (comma-separated).")
@click.option(
    "--runtime",
    type=click.Choice(["auto", "vendor", "package"]),
    default="auto",
    show_default=True,
    help="Import helpers from codeopt_runtime (package) or a copy in the project (vendor); auto: "
    "package when the project depends on codeopt-runtime.",
)
@click.option("--allow-dirty", is_flag=True, help="Apply even to files with uncommitted changes.")
@click.option(
    "--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="pyproject.toml."
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True, help="Worker processes."
)
@click.option("-q", "--quiet", is_flag=True, help="No skipped-site lines, only the diff and errors.")
def optimize_command(paths: tuple[Path, ...], **flags: Any) -> None:
    """Rewrite PATHS with lazy imports, lazy attributes and pools (a diff unless --apply)."""
    from codeopt.commands.optimize import OptimizeRequest, optimize
    from codeopt.errors import CodeoptError

    selected = _selected(flags)
    settings, root = _settings(paths, flags["config"])
    request = OptimizeRequest(
        paths=paths,
        transforms=selected,
        apply=flags["apply"],
        verify=flags["verify"] or None,
        allow_dirty=flags["allow_dirty"],
        options=_options(flags, paths[0], settings),
        runtime=flags["runtime"],
        jobs=flags["jobs"],
    )
    measuring = flags["measure"] or flags["measure_json"] is not None
    baseline = _measure_before(paths, flags["measure_python"] or sys.executable) if measuring else None
    try:
        outcome = optimize(request, settings, root, on_stage=lambda stage: click.echo(stage, err=True))
    except CodeoptError as exc:
        fail(str(exc))
    code = _report(outcome, flags["quiet"])
    if baseline is not None:
        _measure_after(baseline, outcome, flags)
    sys.exit(code)


def _selected(flags: dict[str, Any]) -> tuple[str, ...]:
    if flags["all_"]:
        return tuple(TRANSFORM_FLAGS.values())
    chosen = tuple(name for flag, name in TRANSFORM_FLAGS.items() if flags[flag])
    if not chosen:
        fail("choose what to optimize: --lazy-imports, --lazy-attributes, --pool or --all")
    return chosen


def _settings(paths: tuple[Path, ...], config: Path | None) -> tuple[Settings, Path]:
    from codeopt.config import load_settings
    from codeopt.errors import CodeoptError

    for path in paths:
        if not path.exists():
            fail(f"{path}: no such file or directory")
    try:
        settings = load_settings(paths[0], config)
    except CodeoptError as exc:
        fail(str(exc))
    return settings, Path.cwd().resolve()  # paths in diffs and messages are relative to where you are


def _options(flags: dict[str, Any], target: Path, settings: Settings) -> TransformOptions:
    from codeopt.transforms.base import TransformOptions

    rule: dict[str, object] = {}
    for key in ("heavy-import-in-function-only", "CO202"):
        rule.update(settings.rules.get(key, {}))
    min_cost = flags["min_cost_ms"]
    if min_cost is None:
        configured_cost = rule.get("min-cost-ms", DEFAULT_MIN_COST_MS)
        min_cost = float(configured_cost) if isinstance(configured_cost, int | float) else DEFAULT_MIN_COST_MS
    configured = rule.get("never-lazy", ())
    listed = [str(m) for m in configured] if isinstance(configured, list | tuple) else []
    never = split_csv([*listed, *flags["never_lazy"]])
    start = target.resolve() if target.is_dir() else target.resolve().parent
    version = parse_target_version(flags["target_version"], start)
    values = (
        (
            "pool.extra-constructors",
            _rule_list(settings, "expensive-object-per-call", "CO301", "extra-constructors"),
        ),
        (
            "lazy-attributes.side-effect-free",
            _rule_list(settings, "eager-heavy-attribute", "CO302", "side-effect-free"),
        ),
    )
    return TransformOptions(target_version=version, min_cost_ms=min_cost, never_lazy=never, values=values)


def _rule_list(settings: Settings, name: str, rule_id: str, option: str) -> tuple[str, ...]:
    """A list option of the rule whose findings a transform fixes (`[tool.codeopt.rules.CO301]`): the
    transform and the rule read one setting, so they never disagree about a constructor."""
    merged: dict[str, object] = {**settings.rules.get(name, {}), **settings.rules.get(rule_id, {})}
    value = merged.get(option, ())
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


def _measure_before(paths: tuple[Path, ...], python: str) -> Baseline:
    from codeopt.errors import CodeoptError
    from codeopt.transforms.measure import Baseline

    try:
        return Baseline.take(paths, python, progress=lambda text: click.echo(text, err=True))
    except CodeoptError as exc:
        fail(str(exc))


def _measure_after(baseline: Baseline, outcome: OptimizeOutcome, flags: dict[str, Any]) -> None:
    from codeopt.errors import CodeoptError

    changes = outcome.changes
    texts = {path: changes.text(path) for path in outcome.changed_paths} if changes is not None else {}
    try:
        measured = baseline.compare(
            texts,
            python=flags["measure_python"] or sys.executable,
            runs=flags["measure_runs"],
            progress=lambda text: click.echo(text, err=True),
        )
    except CodeoptError as exc:
        fail(str(exc))
    click.echo(measured.render(), err=True)
    if flags["measure_json"] is not None:
        flags["measure_json"].write_text(measured.to_json(), encoding="utf-8")


def _report(outcome: OptimizeOutcome, quiet: bool) -> int:
    for name in outcome.unavailable:
        click.echo(f"codeopt: --{name}: no transform available in this build", err=True)
    if outcome.diff and not outcome.applied:
        click.echo(outcome.diff, nl=False)
    if not quiet:
        for skip in outcome.skips:
            click.echo(skip.render(outcome.root), err=True)
    for problem in outcome.problems:
        click.echo(f"codeopt: error: {problem}", err=True)
    for failure in outcome.failures:
        click.echo(f"codeopt: error: {_shown(failure.path, outcome.root)}: {failure.reason}", err=True)
    click.echo(_summary(outcome), err=True)
    if outcome.problems or outcome.failures or set(outcome.unavailable) == set(outcome.requested):
        return EXIT_ERROR
    if outcome.diff and not outcome.applied:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _summary(outcome: OptimizeOutcome) -> str:
    rewrites = sum(len(f.applied) for f in outcome.files)
    verb = "applied" if outcome.applied else "proposed"
    text = f"{rewrites} rewrite(s) {verb} in {len(outcome.changed_paths)} file(s); "
    text += f"{len(outcome.skips)} site(s) left alone"
    verification = outcome.verification
    if verification is not None and verification.after is not None:
        after = verification.after
        text += f"; `{after.command}`: {after.passed} passed of {after.collected}, as before"
    return text

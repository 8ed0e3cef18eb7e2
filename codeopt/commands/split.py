"""The ``split`` use case: propose a split of one module into a package, and apply it as one transaction.

Proposing never writes: it reads the module once, refuses what cannot be preserved, plans (or loads an
edited layout), emits every new file, runs the static checks and builds the ``ChangeSet`` whose diff the
user sees. Applying takes that proposal and either commits all of it or leaves the tree byte-identical:
the dirty-tree check and the "suite green before" check come first, then the write, then the import
checks in fresh interpreters and the user's suite again, rolling back on any failure or interrupt.
"""

from __future__ import annotations

import ast
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from codeopt.commands.split_imports import check_new_modules
from codeopt.commands.split_location import ModuleLocation, locate_module, relocate
from codeopt.errors import ConfigError, DirtyTree, Refused, TransformError, VerificationFailed
from codeopt.source.reading import read_source
from codeopt.split.checks import import_check, static_checks
from codeopt.split.emit import EmitOptions, emit_split
from codeopt.split.layout import dump_layout, load_layout
from codeopt.split.plan import Plan, PlanOptions, propose
from codeopt.split.references import References, project_references, rewrite_importers
from codeopt.split.refusals import Refusal, find_refusals
from codeopt.split.units import Inventory, build_inventory
from codeopt.workspace.changeset import ChangeSet
from codeopt.workspace.vcs import dirty_paths
from codeopt.workspace.verify import TestRun, compare, run_tests

TestRunner = Callable[[str, Path], TestRun]
Planner = Callable[[Inventory], Plan]
Say = Callable[[str], None]


@dataclass(frozen=True)
class SplitRequest:
    """Everything ``codeopt split`` was asked to do; the CLI fills it from its options."""

    module: Path
    cwd: Path
    layout: Path | None = None
    verify: str | None = None
    rewrite_imports: bool = False
    keep_module_names: bool | None = None  # None: keep them when the project depends on them
    allow_dirty: bool = False
    force: bool = False
    python: str | None = None  # interpreter for the import checks; None = the project's, else ours
    cross_check: bool = False  # ask rope where the moved names are used and check the facade has them
    to: str | None = None  # build the package at this dotted path; the old module forwards to it
    plan_options: PlanOptions = field(default_factory=PlanOptions)


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float


class SplitRefused(Refused):
    """The module does things a split cannot preserve; ``refusals`` names every line."""

    def __init__(self, path: Path, refusals: tuple[Refusal, ...]) -> None:
        first = refusals[0]
        super().__init__(f"{first.line}: {first.reason}", path)
        self.refusals = refusals


@dataclass(frozen=True)
class Proposal:
    """A planned split, fully emitted and checked, not yet written."""

    location: ModuleLocation
    inventory: Inventory
    plan: Plan
    changes: ChangeSet
    new_modules: tuple[str, ...]  # dotted names the import check imports, the facade first
    refusals: tuple[Refusal, ...]  # overridden with --force (empty otherwise)
    notes: tuple[str, ...]
    phases: tuple[Phase, ...]

    @property
    def nothing_to_do(self) -> bool:
        return not self.plan.submodules or not self.changes

    def diff(self) -> str:
        return self.changes.diff(self.location.cwd)


@dataclass(frozen=True)
class Outcome:
    """An applied split: what was written, what the suite said, how long each phase took."""

    proposal: Proposal
    written: tuple[Path, ...]
    deleted: tuple[Path, ...]
    before: TestRun | None
    after: TestRun | None
    notes: tuple[str, ...]
    phases: tuple[Phase, ...]


class _Clock:
    def __init__(self) -> None:
        self.phases: list[Phase] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases.append(Phase(name, time.perf_counter() - start))


def resolve_module_path(module: Path, cwd: Path) -> Path:
    """``pkg/mod.py`` after an earlier split is ``pkg/mod/__init__.py``: re-running proposes nothing."""
    target = cwd / module
    if not target.exists() and target.suffix == ".py" and (target.with_suffix("") / "__init__.py").is_file():
        return target.with_suffix("") / "__init__.py"
    return module


def load_inventory(request: SplitRequest) -> tuple[ModuleLocation, Inventory]:
    """The module, read and inventoried where its package will live (``--to`` moves that place)."""
    location = locate_module(resolve_module_path(request.module, request.cwd), request.cwd)
    source = read_source(location.path)
    # after an earlier `--to` split the module is our forwarder: nothing to relocate, nothing to split
    if request.to and request.to != location.module_name and source.text != forwarding_module(request.to):
        if request.rewrite_imports:
            raise ConfigError("--rewrite-imports cannot be combined with --to yet", location.path)
        location = relocate(location, request.to, _has_relative_imports(source.text))
        return location, build_inventory(source.text, location.package_dir.with_suffix(".py"), request.to)
    return location, build_inventory(source.text, location.path, location.module_name)


def _has_relative_imports(source: str) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(ast.parse(source)))


def forwarding_module(package: str) -> str:
    """The old module after ``--to``: it replaces itself by the package, so ``import old``, attributes
    and patches all reach the very same module object."""
    return (
        f'"""Moved to the package {package} by `codeopt split --to`: importing this module gives that\n'
        'package itself, so every import, attribute access and patch of the old name reaches it."""\n\n'
        "import importlib as _importlib\n"
        "import sys as _sys\n\n"
        f"_sys.modules[__name__] = _importlib.import_module({package!r})\n"
    )


def propose_split(request: SplitRequest, planner: Planner | None = None) -> Proposal:
    """Plan, emit and check the split; raises SplitRefused, LayoutError, ParseFailure, VerificationFailed.

    ``planner`` replaces the proposal and ``--layout`` (``codeopt move`` places units itself).
    """
    clock = _Clock()
    with clock.phase("inventory"):
        location, inventory = load_inventory(request)
    with clock.phase("refusals"):
        refusals = find_refusals(inventory)
    with clock.phase("plan"):
        plan = planner(inventory) if planner is not None else _plan(request, inventory)
    if not plan.submodules:
        return Proposal(location, inventory, plan, ChangeSet(), (), refusals, plan.notes, tuple(clock.phases))
    # a refusal stops a write; with nothing to write (an earlier split's facade, whose generated
    # forwarding code is itself "refusable") there is nothing to refuse
    if refusals and not request.force:
        raise SplitRefused(location.path, refusals)
    if location.is_package_init:
        raise TransformError(
            "splitting a package's __init__.py is not supported: move its definitions to a module "
            "of the package first, then split that module",
            location.path,
        )
    return _emit_and_check(request, location, inventory, plan, refusals, clock)


def _emit_and_check(
    request: SplitRequest,
    location: ModuleLocation,
    inventory: Inventory,
    plan: Plan,
    refusals: tuple[Refusal, ...],
    clock: _Clock,
) -> Proposal:
    with clock.phase("project references"):
        references = project_references(location.project_root, location.module_name, skip=(location.path,))
    keep_names = keeps_module_names(request.keep_module_names, references)
    with clock.phase("emit"):
        emitted = emit_split(inventory, plan, EmitOptions(keep_module_names=keep_names))
    files = dict(emitted.files)
    notes = [*plan.notes, *emitted.notes, *reference_notes(references, request.keep_module_names, location)]
    with clock.phase("static checks"):
        _static_checks(inventory, plan, files, location)
    if request.cross_check:
        with clock.phase("rope cross-check"):
            notes += _cross_check(location, inventory, plan, files, references)
    if request.rewrite_imports:
        with clock.phase("rewrite importers"):
            files = {**files, **rewrite_importers(references, plan, inventory)}
    _refuse_overwrites(location, emitted.files)
    with clock.phase("change set"):
        changes = _change_set(location, files)
    return Proposal(
        location, inventory, plan, changes, emitted.modules, refusals, tuple(notes), tuple(clock.phases)
    )


def _plan(request: SplitRequest, inventory: Inventory) -> Plan:
    if request.layout is None:
        return propose(inventory, request.plan_options)
    text = read_source(request.layout).text
    return load_layout(text, request.layout, inventory)


def layout_text(request: SplitRequest) -> tuple[ModuleLocation, str]:
    """The editable TOML layout of the proposal (``--plan``); refusals do not stop a plan from being read."""
    location, inventory = load_inventory(request)
    return location, dump_layout(_plan(request, inventory), inventory)


def _static_checks(
    inventory: Inventory, plan: Plan, files: dict[Path, str], location: ModuleLocation
) -> None:
    problems = [problem for problem in static_checks(inventory, plan, files) if problem]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise VerificationFailed(f"static check failed, nothing written: {problems[0]}{more}", location.path)


def _cross_check(
    location: ModuleLocation, inventory: Inventory, plan: Plan, files: dict[Path, str], references: References
) -> tuple[str, ...]:
    from codeopt.commands.split_crosscheck import rope_cross_check

    facade = files.get(location.package_dir / "__init__.py", "")
    found = rope_cross_check(location.project_root, location.path, inventory, plan, facade)
    return (*found.notes(), *found.compare(references.used_names, plan, inventory))


def keeps_module_names(asked: bool | None, references: References) -> bool:
    """``--keep-module-names``/``--new-module-names`` when given; else keep them exactly when project
    code compares ``__module__`` or reprs with the old path (a split would break that code)."""
    return references.suggests_keep_module_names if asked is None else asked


def reference_notes(references: References, asked: bool | None, location: ModuleLocation) -> tuple[str, ...]:
    """What the rest of the project does with the module, as far as the split is concerned."""
    files = {ref.path for ref in references.importers}
    notes = [
        f"project references: {len(references.importers)} imports of {references.module_name} in "
        f"{len(files)} files ({len(references.star_importers)} star imports), "
        f"{len(references.patch_targets)} patches of its names"
        + (" (the facade forwards them to the moved code)" if references.patch_targets else "")
    ]
    if references.suggests_keep_module_names and asked is not True:
        path, line, what = references.module_path_uses[0]
        where = f"{os.path.relpath(path, location.cwd)}:{line}: {what}"
        uses = f"{len(references.module_path_uses)} place(s) depend on __module__ or reprs naming "
        if asked is None:
            notes.append(
                f"moved classes and functions keep __module__ == {references.module_name!r}: {uses}it "
                f"(first: {where}); --new-module-names gives them their new module's name"
            )
        else:
            notes.append(
                f"{uses}{references.module_name} (first: {where}): --keep-module-names keeps them working"
            )
    return tuple(notes)


def _refuse_overwrites(location: ModuleLocation, emitted: Mapping[Path, str]) -> None:
    """The new package's files must be new: an existing ``pkg/mod/x.py`` is someone's code."""
    existing = sorted(path for path in emitted if path.exists() and path.resolve() != location.path.resolve())
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise TransformError(
            f"already exists{more}; the split would overwrite it, nothing written", existing[0]
        )


def _change_set(location: ModuleLocation, files: dict[Path, str]) -> ChangeSet:
    changes = ChangeSet()
    for path, text in sorted(files.items()):
        changes.write(path, text)
    written = {path.resolve() for path in files}
    if location.relocated is not None:
        changes.write(location.path, forwarding_module(location.package_name))
    elif location.path.resolve() not in written and not location.is_package_init:
        changes.delete(location.path)
    return changes


def check_python(request: SplitRequest, location: ModuleLocation) -> str:
    """The interpreter for the import checks: ``--python``, the active virtualenv, the project's
    ``.venv``/``venv``, else the one running codeopt (which may lack the project's dependencies)."""
    if request.python:
        return request.python
    candidates = []
    if os.environ.get("VIRTUAL_ENV"):
        candidates.append(Path(os.environ["VIRTUAL_ENV"]) / "bin" / "python")
    candidates += [location.project_root / name / "bin" / "python" for name in (".venv", "venv")]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return sys.executable


def apply_split(
    proposal: Proposal, request: SplitRequest, runner: TestRunner | None = None, say: Say | None = None
) -> Outcome:
    """Write the proposal as one transaction; on any failure the tree is left byte-identical.

    ``say`` receives a line before each slow step (the CLI prints it on stderr).
    """
    run = runner or (lambda command, cwd: run_tests(command, cwd))
    tell = say or (lambda line: None)
    clock = _Clock()
    location = proposal.location
    with clock.phase("dirty check"):
        _refuse_dirty(proposal.changes, request.allow_dirty)
    python = check_python(request, location)
    with clock.phase("import check before"):
        baseline = import_check(location.import_root, [location.module_name], python)
    notes = [_skipped_note(location, python, baseline[0])] if baseline else []
    before = None
    if request.verify:
        tell(f"running `{request.verify}` before the split (in {request.cwd})")
        with clock.phase("verify before"):
            before = run(request.verify, request.cwd)
        _require_green(before, location)
    with clock.phase("write"):
        applied = proposal.changes.apply()
    try:
        after = _verify_written(proposal, request, python, not baseline, before, run, tell, clock)
    except BaseException:
        applied.rollback()
        raise
    deleted = tuple(p for p in proposal.changes.paths() if proposal.changes.text(p) is None)
    written = tuple(p for p in proposal.changes.paths() if p not in deleted)
    return Outcome(proposal, written, deleted, before, after, tuple(notes), tuple(clock.phases))


def _verify_written(
    proposal: Proposal,
    request: SplitRequest,
    python: str,
    check_imports: bool,
    before: TestRun | None,
    run: TestRunner,
    tell: Say,
    clock: _Clock,
) -> TestRun | None:
    """The checks after writing; raises VerificationFailed (the caller rolls back)."""
    if check_imports:
        tell(f"importing each of the {len(proposal.new_modules)} new modules in a fresh interpreter")
        with clock.phase("import checks"):
            _import_checks(proposal, python)
    if not request.verify or before is None:
        return None
    tell(f"running `{request.verify}` after the split")
    with clock.phase("verify after"):
        after = run(request.verify, request.cwd)
    _compare(before, after, proposal.location)
    return after


def _skipped_note(location: ModuleLocation, python: str, problem: str) -> str:
    return (
        f"import checks skipped: {location.module_name} does not import with {python} before the split "
        f"either ({problem}); pass --python with the project's interpreter"
    )


def _require_green(before: TestRun, location: ModuleLocation) -> None:
    if not before.green:
        raise Refused(
            f"the suite is not green before the split: `{before.command}` exited {before.exit_code}"
            f"{_first_failure(before)}; nothing written",
            location.path,
        )


def _refuse_dirty(changes: ChangeSet, allow_dirty: bool) -> None:
    if allow_dirty:
        return
    dirty = dirty_paths(changes.paths())
    if dirty:
        more = f" (and {len(dirty) - 1} more)" if len(dirty) > 1 else ""
        raise DirtyTree(
            f"has uncommitted changes{more}; commit or stash them, or pass --allow-dirty", dirty[0]
        )


def _import_checks(proposal: Proposal, python: str) -> None:
    location = proposal.location
    problems = [
        p
        for p in check_new_modules(location.import_root, location.module_name, proposal.new_modules, python)
        if p
    ]
    if problems:
        raise VerificationFailed(f"import check failed, rolled back: {problems[0]}", proposal.location.path)


def _compare(before: TestRun, after: TestRun, location: ModuleLocation) -> None:
    reason = compare(before, after)
    if reason:
        raise VerificationFailed(f"{reason}; rolled back{_first_failure(after)}", location.path)


def _first_failure(run: TestRun) -> str:
    """The first failing test the output names (pytest's FAILED/ERROR lines, unittest's FAIL:/ERROR:)."""
    if run.green:
        return ""
    for line in run.tail.splitlines():
        if line.startswith(("FAILED ", "ERROR ", "FAIL: ", "ERROR: ")):
            return f" [first failure: {line.strip()[:200]}]"
    lines = run.tail.strip().splitlines()
    return f" [{lines[-1].strip()[:200]}]" if lines else ""


def with_layout(request: SplitRequest, layout: Path | None) -> SplitRequest:
    return replace(request, layout=layout)

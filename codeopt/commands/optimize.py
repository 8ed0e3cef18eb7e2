"""The ``codeopt optimize`` use case: run the selected transforms over files, show or apply one change.

Why one use case for every transform: the user asks for "make this faster", and gets one diff, one
atomic write, one verification run, one list of what was left alone and why. Transforms only turn one
file's text into a result (:mod:`codeopt.transforms.base`); everything around that lives here:

1. discover the files (same excludes as ``analyze``), read them (encodings as the interpreter does);
2. per file, run the selected transforms in order, each on the previous one's output with facts
   recomputed from it (a process pool when there are many files);
3. collect every ``Changed`` into a ``ChangeSet``, plus the vendored runtime copies the new code imports
   (see :mod:`codeopt.transforms.imports_runtime`);
4. without ``apply``: return the diff. With it: refuse files with uncommitted changes (unless allowed),
   run the ``verify`` command before, write atomically, run it after, and roll back unless the suite is
   as green as before with the same number of tests.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from codeopt.analysis.facts import facts_from_tree
from codeopt.config import Settings
from codeopt.errors import CodeoptError, DirtyTree, TransformError, VerificationFailed
from codeopt.source.discovery import Discovered, discover
from codeopt.source.reading import read_source
from codeopt.transforms.base import (
    Changed,
    Failed,
    FileInput,
    FileResult,
    SiteSkip,
    Skipped,
    Transform,
    TransformOptions,
    Unchanged,
    available,
    skips_of,
)
from codeopt.transforms.imports_runtime import (
    declares_runtime,
    runtime_mapping,
    vendored_path,
    vendored_source,
)
from codeopt.transforms.lazy_imports_gain import ModuleText, pointless
from codeopt.transforms.lazy_imports_project import project_modules
from codeopt.workspace.changeset import ChangeSet
from codeopt.workspace.vcs import dirty_paths
from codeopt.workspace.verify import TestRun, compare, run_tests

# Pooling must see the constructor calls before lazy-imports turns `import sqlite3` into a proxy (a
# proxied module's calls are not recognised), and lazy attributes run first for the same reason.
TRANSFORM_ORDER = ("lazy-attributes", "pool", "lazy-imports")
RUNTIME_MODES = ("auto", "vendor", "package")


@dataclass(frozen=True)
class OptimizeRequest:
    paths: tuple[Path, ...]
    transforms: tuple[str, ...]  # names, in TRANSFORM_ORDER
    apply: bool = False
    verify: str | None = None
    allow_dirty: bool = False
    options: TransformOptions = field(default_factory=TransformOptions)
    runtime: str = "auto"  # auto | vendor | package
    jobs: int = 1
    verify_timeout: float | None = None
    include_tests: bool = False  # test modules gain nothing from faster imports, and patch a lot


@dataclass(frozen=True)
class FileOutcome:
    """One file after every selected transform: the final text (None when unchanged) and each result."""

    path: Path
    before: str
    after: str | None
    encoding: str
    results: tuple[FileResult, ...]
    crlf: bool = False

    @property
    def applied(self) -> tuple[str, ...]:
        return tuple(a for r in self.results if isinstance(r, Changed) for a in r.applied)

    @property
    def skips(self) -> tuple[SiteSkip, ...]:
        return tuple(s for r in self.results for s in skips_of(r))

    @property
    def failures(self) -> tuple[Failed, ...]:
        return tuple(r for r in self.results if isinstance(r, Failed))

    @property
    def runtime(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h for r in self.results if isinstance(r, Changed) for h in r.runtime))


@dataclass(frozen=True)
class Verification:
    before: TestRun
    after: TestRun | None


@dataclass(frozen=True)
class OptimizeOutcome:
    root: Path
    files: tuple[FileOutcome, ...]
    diff: str
    changed_paths: tuple[Path, ...]
    unavailable: tuple[str, ...]  # selected transforms that have no implementation in this build
    requested: tuple[str, ...]  # the selected transforms, in the order they ran
    problems: tuple[str, ...]  # files that could not be read or walked: "path: reason"
    applied: bool = False
    verification: Verification | None = None
    changes: ChangeSet | None = None

    @property
    def skips(self) -> tuple[SiteSkip, ...]:
        return tuple(s for f in self.files for s in f.skips)

    @property
    def failures(self) -> tuple[Failed, ...]:
        return tuple(x for f in self.files for x in f.failures)


@dataclass(frozen=True)
class _Job:
    path: Path
    module: str
    is_package: bool
    package_root: Path | None
    transforms: tuple[str, ...]
    options: TransformOptions
    runtime_ok: bool = True  # emitted code can import codeopt_runtime (declared, vendored or forced)


def is_test_file(path: Path) -> bool:
    """Test modules and fixtures (``test_*.py``, ``*_test.py``, ``conftest.py``, under ``tests/``)."""
    name = path.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in ("tests", "test") for part in path.parent.parts)


def package_root_of(path: Path, module: str) -> Path | None:
    """The folder of the top-level package holding ``path`` (None for a module outside packages)."""
    parts = module.split(".") if module else []
    if len(parts) < 2 and path.name != "__init__.py":
        return None
    depth = len(parts) - (0 if path.name == "__init__.py" else 1)
    folder = path.parent
    for _ in range(depth - 1):
        folder = folder.parent
    return folder


def transform_file(job: _Job) -> FileOutcome:
    """Every selected transform on one file, chained; never raises for the file's content."""
    try:
        source = read_source(job.path)
    except CodeoptError as exc:
        return FileOutcome(job.path, "", None, "utf-8", (Failed(job.path, exc.reason),))
    text = source.text
    results: list[FileResult] = []
    for name in job.transforms:
        transform = available(name)
        if transform is None:
            continue
        result = _without_runtime(_run_one(transform, job, text), job)
        results.append(result)
        if isinstance(result, Changed):
            text = result.after
    after = text if text != source.text else None
    return FileOutcome(job.path, source.text, after, source.encoding, tuple(results), b"\r\n" in source.raw)


def _without_runtime(result: FileResult, job: _Job) -> FileResult:
    """A rewrite that needs codeopt_runtime where the project can neither import nor vendor it."""
    if not isinstance(result, Changed) or job.runtime_ok:
        return result
    mapping = dict(job.options.runtime)
    if all(helper in mapping for helper in result.runtime):
        return result
    reason = (
        "not inside a package and the project does not declare codeopt-runtime: nowhere to vendor "
        "the runtime (depend on codeopt-runtime, or pass --runtime package)"
    )
    return Skipped(job.path, (*result.skips, SiteSkip(job.path, 1, job.path.name, reason)))


def _run_one(transform: Transform, job: _Job, text: str) -> FileResult:
    try:
        tree = ast.parse(text, filename=str(job.path))
    except SyntaxError as exc:
        return Failed(job.path, f"not valid Python: {exc.msg} (line {exc.lineno})")
    facts = facts_from_tree(tree, text.splitlines(), module=job.module, is_package=job.is_package)
    file = FileInput(job.path, text, job.module, facts, job.options, (), job.is_package, job.package_root)
    try:
        result = transform.run(file)
    except RecursionError:
        return Failed(job.path, f"{transform.name}: too deeply nested to rewrite")
    if isinstance(result, Changed):
        try:
            ast.parse(result.after, filename=str(job.path))
        except SyntaxError as exc:
            return Failed(job.path, f"{transform.name}: produced invalid code ({exc.msg}, line {exc.lineno})")
        if result.after == text:
            return Skipped(job.path, result.skips) if result.skips else Unchanged(job.path)
    return result


def _run_jobs(jobs: Sequence[_Job]) -> list[FileOutcome]:
    return [transform_file(job) for job in jobs]


def _outcomes(jobs: list[_Job], workers: int) -> list[FileOutcome]:
    if workers <= 1 or len(jobs) < 16:
        return _run_jobs(jobs)
    batches = [jobs[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = [o for batch in pool.map(_run_jobs, batches) for o in batch]
    return sorted(done, key=lambda o: o.path)


def collect(request: OptimizeRequest, settings: Settings, root: Path) -> OptimizeOutcome:
    """Run the transforms and build the change set; writes nothing."""
    selected, unavailable, runnable = _selection(request)
    found, problems = discover(list(request.paths), settings, root)
    sources = _project_sources(found, root) if "lazy-imports" in runnable else {}
    request = _with_project_table(request, sources)
    jobs = [_job(d, runnable, request) for d in found if _selectable(d.path, request)]
    workers = request.jobs or os.cpu_count() or 1
    files = tuple(_outcomes(jobs, workers)) if runnable else ()
    if sources:
        importers = _importers(found, root)
        files, jobs = _drop_pointless(files, jobs, sources, importers, workers)
    changes, diff = _change_set(files, jobs, root)
    return OptimizeOutcome(
        root=root,
        files=files,
        diff=diff,
        changed_paths=changes.paths(),
        unavailable=unavailable,
        requested=selected,
        problems=tuple(f"{p.path}: {p.reason}" for p in problems),
        changes=changes,
    )


def _selection(request: OptimizeRequest) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(selected in run order, selected but not in this build, the ones that run)."""
    selected = tuple(n for n in TRANSFORM_ORDER if n in request.transforms)
    unavailable = tuple(n for n in selected if available(n) is None)
    return selected, unavailable, tuple(n for n in selected if n not in unavailable)


def _with_project_table(
    request: OptimizeRequest, sources: Mapping[str, tuple[str, str, bool]]
) -> OptimizeRequest:
    if not sources:
        return request
    table = tuple((m.name, m.cost_ms, m.blocker) for m in project_modules(sources))
    return replace(request, options=replace(request.options, project_modules=table))


def _project_sources(found: Sequence[Discovered], root: Path) -> dict[str, tuple[str, str, bool]]:
    """module -> (shown path, text, is_package) of the run's own modules (tests left out)."""
    sources: dict[str, tuple[str, str, bool]] = {}
    for item in found:
        if not item.module or is_test_file(item.path):
            continue
        try:
            text = read_source(item.path).text
        except CodeoptError:
            continue
        sources[item.module] = (os.path.relpath(item.path, root), text, item.is_package)
    return sources


def _importers(found: Sequence[Discovered], root: Path) -> dict[str, ModuleText]:
    """Test modules of the run: not rewritten, but what they import by name must stay the object."""
    texts: dict[str, ModuleText] = {}
    for item in found:
        if not is_test_file(item.path):
            continue
        try:
            text = read_source(item.path).text
        except CodeoptError:
            continue
        key = item.module or f"<test>{item.path}"
        texts[key] = ModuleText(text, item.is_package, os.path.relpath(item.path, root))
    return texts


POINTLESS_ROUNDS = 4
LOADED_ANYWAY = "lazy-imports.loaded-anyway"


def _drop_pointless(
    files: tuple[FileOutcome, ...],
    jobs: list[_Job],
    sources: Mapping[str, tuple[str, str, bool]],
    importers: Mapping[str, ModuleText],
    workers: int,
) -> tuple[tuple[FileOutcome, ...], list[_Job]]:
    """Re-plan files whose lazy imports another module loads anyway (see ``lazy_imports_gain``), until
    every remaining lazy import saves something; each round can make more imports eager."""
    for _ in range(POINTLESS_ROUNDS):
        by_path = {f.path: f for f in files}
        texts = {}
        for job in jobs:
            if job.module in sources:
                shown, text, is_package = sources[job.module]
                after = by_path[job.path].after
                texts[job.module] = ModuleText(after if after is not None else text, is_package, shown)
        found = pointless(texts, importers)
        if not found:
            break
        jobs = [_keep_eager(job, found.get(job.module, ())) for job in jobs]
        redo = [job for job in jobs if job.module in found]
        redone = {o.path: o for o in _outcomes(redo, workers)}
        files = tuple(redone.get(f.path, f) for f in files)
    return files, jobs


def _keep_eager(job: _Job, entries: Sequence[tuple[str, str]]) -> _Job:
    if not entries:
        return job
    options = job.options
    known = options.value(LOADED_ANYWAY, ())
    listed = (*(known if isinstance(known, tuple) else ()), *(f"{m}\t{why}" for m, why in entries))
    values = (*((k, v) for k, v in options.values if k != LOADED_ANYWAY), (LOADED_ANYWAY, listed))
    return replace(job, options=replace(options, values=values))


def _change_set(files: Sequence[FileOutcome], jobs: Sequence[_Job], root: Path) -> tuple[ChangeSet, str]:
    """The change to write, and its diff: the user's files first, then the vendored runtime (long,
    generated, and not what a reviewer needs to read first)."""
    changes, own, vendored = ChangeSet(), ChangeSet(), ChangeSet()
    for outcome in files:
        if outcome.after is not None:
            text = outcome.after.replace("\n", "\r\n") if outcome.crlf else outcome.after
            for target in (changes, own):
                target.write(outcome.path, text, outcome.encoding)
    for path, text in _vendored(files, jobs):
        for target in (changes, vendored):
            target.write(path, text)
    return changes, own.diff(root) + vendored.diff(root)


def _selectable(path: Path, request: OptimizeRequest) -> bool:
    return request.include_tests or not is_test_file(path)


def _job(found: Discovered, transforms: tuple[str, ...], request: OptimizeRequest) -> _Job:
    package_root = package_root_of(found.path, found.module)
    package = package_root.name if package_root is not None else None
    mapping = runtime_mapping(package, request.runtime, found.path.parent)
    options = replace(request.options, runtime=mapping + request.options.runtime)
    runtime_ok = bool(mapping) or request.runtime == "package" or declares_runtime(found.path.parent)
    return _Job(found.path, found.module, found.is_package, package_root, transforms, options, runtime_ok)


def _vendored(files: Sequence[FileOutcome], jobs: Sequence[_Job]) -> Iterator[tuple[Path, str]]:
    """The vendored runtime copies the rewritten files import (only when missing or stale)."""
    job_by_path = {j.path: j for j in jobs}
    wanted: dict[Path, str] = {}
    for outcome in files:
        job = job_by_path[outcome.path]
        mapping = dict(job.options.runtime)
        if outcome.after is None or job.package_root is None:
            continue
        for helper in outcome.runtime:
            if helper in mapping:
                wanted[vendored_path(job.package_root, helper)] = helper
    for path, helper in sorted(wanted.items()):
        text = vendored_source(helper)
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != text:
            yield path, text


def optimize(
    request: OptimizeRequest,
    settings: Settings,
    root: Path,
    on_stage: Callable[[str], None] = lambda _stage: None,
) -> OptimizeOutcome:
    """Collect, then (with ``apply``) verify-write-verify; raises ``TransformError`` subclasses."""
    outcome = collect(request, settings, root)
    changes = outcome.changes
    if not request.apply or changes is None or not changes:
        return outcome
    if not request.allow_dirty:
        _refuse_dirty(changes, root)
    if request.verify is None:
        changes.apply()
        return replace(outcome, applied=True)
    return _apply_verified(outcome, changes, request, request.verify, on_stage)


def _refuse_dirty(changes: ChangeSet, root: Path) -> None:
    dirty = dirty_paths(changes.paths())
    if dirty:
        shown = ", ".join(os.path.relpath(p, root) for p in dirty[:5])
        raise DirtyTree(f"uncommitted changes in files to rewrite: {shown} (commit them, or --allow-dirty)")


def _apply_verified(
    outcome: OptimizeOutcome,
    changes: ChangeSet,
    request: OptimizeRequest,
    command: str,
    on_stage: Callable[[str], None],
) -> OptimizeOutcome:
    """Run ``command``, write, run it again; roll back unless it is as green with as many tests."""
    on_stage(f"running `{command}` before the change")
    before = run_tests(command, outcome.root, request.verify_timeout)
    if not before.green:
        raise TransformError(
            f"`{command}` fails before the change (exit {before.exit_code}); nothing written"
        )
    applied = changes.apply()
    on_stage(f"running `{command}` after the change")
    after = run_tests(command, outcome.root, request.verify_timeout)
    reason = compare(before, after)
    if reason is not None:
        applied.rollback()
        raise VerificationFailed(f"{reason}; every file was restored")
    return replace(outcome, applied=True, verification=Verification(before, after))

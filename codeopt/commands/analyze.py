"""The ``analyze`` use case: discover, analyse each file once (cached, in parallel), build the import
graph, run the rules. The CLI only parses options and renders what this returns.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from codeopt.analysis.graph import ImportGraph, build_graph
from codeopt.analysis.import_cost import ImportCost, measure_import_cost
from codeopt.analysis.model import EdgeKind, FileAnalysis
from codeopt.analysis.pipeline import code_fingerprint
from codeopt.analysis.project import ProjectAnalysis
from codeopt.analysis.results import Analyzed, Failed, FileResult, Skipped
from codeopt.analysis.worker import Job, run_jobs
from codeopt.config import Settings
from codeopt.errors import SourceError, TooLarge
from codeopt.report.model import AnalysisRun, Diagnostic
from codeopt.rules.base import Finding, Rule
from codeopt.rules.baseline import load_baseline, new_findings
from codeopt.rules.engine import RuleRun, instantiate, run_rules, select_rules
from codeopt.source.cache import ResultCache, RunCache
from codeopt.source.discovery import Discovered, Problem, discover
from codeopt.source.reading import read_bytes

Progress = Callable[[int, int], None]


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


_Pending = tuple[int, Job, str | None]  # target index, the job, its cache key


def analyze_files(
    targets: Sequence[Discovered],
    settings: Settings,
    cwd: Path,
    cache: ResultCache | None,
    progress: Progress | None = None,
) -> tuple[list[FileResult], int]:
    """One result per file, in target order; cache hits are resolved in this process."""
    results, pending = _from_cache(targets, settings, cwd, cache)
    hits = len(results)
    collector = _Collector(results, cache, len(targets), progress)
    collector.advance(0)
    workers = settings.jobs or os.cpu_count() or 1
    batches = _batches(pending, workers)
    if workers > 1 and len(pending) > 8:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = pool.map(run_jobs, [[job for _, job, _ in batch] for batch in batches])
            for batch, batch_results in zip(batches, outcomes, strict=True):
                collector.store(batch, batch_results)
    else:
        for batch in batches:
            collector.store(batch, run_jobs([job for _, job, _ in batch]))
    return [results[i] for i in range(len(targets))], hits


def _from_cache(
    targets: Sequence[Discovered], settings: Settings, cwd: Path, cache: ResultCache | None
) -> tuple[dict[int, FileResult], list[_Pending]]:
    """Results known without analysing (cached, unreadable, too large) and the jobs still to run."""
    results: dict[int, FileResult] = {}
    pending: list[_Pending] = []
    for index, target in enumerate(targets):
        display = display_path(target.path, cwd)
        try:
            raw = read_bytes(target.path, settings.max_file_size)
        except TooLarge as exc:
            results[index] = Skipped(display, exc.reason)
            continue
        except SourceError as exc:
            results[index] = Failed(display, exc.reason)
            continue
        key = cache.key(raw, target.module, display) if cache else None
        hit = cache.get(key) if cache and key else None
        if isinstance(hit, Analyzed | Failed | Skipped):
            results[index] = hit
            continue
        job = Job(str(target.path), display, target.module, target.is_package, raw, settings.file_timeout)
        pending.append((index, job, key))
    return results, pending


def _batches(jobs: list[_Pending], workers: int) -> list[list[_Pending]]:
    """Small batches so both cores stay busy to the end and progress moves."""
    size = max(1, min(32, len(jobs) // (workers * 8) or 1))
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


class _Collector:
    """Stores worker outcomes, caches the deterministic ones, and reports progress."""

    def __init__(
        self, results: dict[int, FileResult], cache: ResultCache | None, total: int, progress: Progress | None
    ) -> None:
        self.results, self.cache, self.total, self.progress = results, cache, total, progress
        self.done = len(results)

    def store(self, batch: list[_Pending], outcomes: list[FileResult]) -> None:
        for (index, _, key), outcome in zip(batch, outcomes, strict=True):
            self.results[index] = outcome
            # A time-budget skip may pass on a quieter machine: only deterministic outcomes are cached.
            timed_out = isinstance(outcome, Skipped) and "file-timeout" in outcome.reason
            if self.cache and key and not timed_out:
                self.cache.put(key, outcome)
        self.advance(len(batch))

    def advance(self, count: int) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, self.total)


def _split(
    results: list[FileResult], problems: Sequence[Problem], cwd: Path
) -> tuple[list[FileAnalysis], list[Diagnostic]]:
    diagnostics = [Diagnostic(display_path(Path(p.path).absolute(), cwd), p.reason) for p in problems]
    analyses = []
    for result in results:
        if isinstance(result, Analyzed):
            analyses.append(result.analysis)
        else:
            diagnostics.append(Diagnostic(result.path, result.reason, skipped=isinstance(result, Skipped)))
    return analyses, diagnostics


def _measured_graph(
    analyses: list[FileAnalysis], graph: ImportGraph, root: Path
) -> tuple[ImportGraph, dict[str, ImportCost]]:
    """The graph again, with the external imports' costs measured in fresh interpreters."""
    externals = sorted({e.module for e in graph.externals if e.kind is EdgeKind.IMPORT_TIME})
    measured = dict(measure_import_cost(externals, cwd=root, sys_path=[str(root)]))
    costs = {name: cost.cumulative_ms for name, cost in measured.items() if cost.ok}
    return build_graph(analyses, costs=costs), measured


def _apply_baseline(findings: list[Finding], baseline: Path | None) -> tuple[list[Finding], int]:
    if baseline is None:
        return findings, 0
    fresh = new_findings(findings, load_baseline(baseline), baseline)
    return fresh, len(findings) - len(fresh)


def _run_salt(settings: Settings, cwd: Path) -> str:
    """Everything besides the files that decides a run's results (paths are shown relative to cwd)."""
    from codeopt.rules.registry import rules_fingerprint

    relevant = (
        settings.select,
        settings.ignore,
        sorted((k, sorted(v.items())) for k, v in settings.rules.items()),
        sorted(settings.per_file_ignores.items()),
        settings.max_file_size,
        str(cwd),
    )
    return f"{code_fingerprint()}|{rules_fingerprint()}|{relevant!r}"


def _slowest(results: list[FileResult], count: int = 10) -> tuple[tuple[str, float], ...]:
    timed = ((r.path, round(r.seconds, 3)) for r in results if isinstance(r, Analyzed))
    return tuple(sorted(timed, key=lambda t: -t[1])[:count])


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self._start
        self._start = now


@dataclass
class _Run:
    """One analysis in progress: what it was asked, and a stopwatch over its stages."""

    settings: Settings
    cwd: Path
    root: Path
    use_cache: bool
    measure_imports: bool
    progress: Progress | None
    watch: _Stopwatch = field(default_factory=_Stopwatch)

    def compute(
        self, targets: Sequence[Discovered], problems: Sequence[Problem], rules: Sequence[Rule]
    ) -> tuple[list[FileResult], int, ProjectAnalysis, RuleRun, list[Diagnostic]]:
        """Per-file results, cache hits, the project, rule results and diagnostics: from the
        previous run when nothing changed, else from the per-file cache and the workers."""
        run_cache = RunCache(self.root / self.settings.cache_dir) if self.use_cache else None
        if self.measure_imports:
            run_cache = None  # measured costs are not part of the key
        run_key = (
            run_cache.key([t.path for t in targets], _run_salt(self.settings, self.cwd))
            if run_cache
            else None
        )
        previous = run_cache.get(run_key) if run_cache and run_key else None
        if previous is not None:  # nothing changed since the last run: reuse it whole
            results, graph, outcome = previous
            analyses, diagnostics = _split(results, problems, self.cwd)
            self.watch.lap("cached_run")
            project = ProjectAnalysis(root=str(self.root), files=tuple(analyses), graph=graph)
            return results, len(results), project, outcome, diagnostics
        code = code_fingerprint()
        cache = ResultCache(self.root / self.settings.cache_dir, code) if self.use_cache else None
        results, hits = analyze_files(targets, self.settings, self.cwd, cache, self.progress)
        analyses, diagnostics = _split(results, problems, self.cwd)
        self.watch.lap("files")
        project = self.project(analyses)
        outcome = run_rules(project, rules, self.settings.per_file_ignores)
        self.watch.lap("rules")
        if run_cache and run_key:
            run_cache.put(run_key, (results, project.graph, outcome))
        return results, hits, project, outcome, diagnostics

    def project(self, analyses: list[FileAnalysis]) -> ProjectAnalysis:
        graph = build_graph(analyses)
        self.watch.lap("graph")
        measured: dict[str, ImportCost] = {}
        if self.measure_imports:
            graph, measured = _measured_graph(analyses, graph, self.root)
            self.watch.lap("measure_imports")
        return ProjectAnalysis(
            root=str(self.root), files=tuple(analyses), graph=graph, measured_costs=measured
        )


def run_analysis(
    paths: Sequence[Path],
    settings: Settings,
    *,
    cwd: Path | None = None,
    use_cache: bool = True,
    measure_imports: bool = False,
    progress: Progress | None = None,
    baseline: Path | None = None,
) -> AnalysisRun:
    cwd = cwd or Path.cwd()
    root = Path(settings.project_root) if settings.project_root else cwd
    run = _Run(settings, cwd, root, use_cache and settings.cache, measure_imports, progress)
    rules = instantiate(select_rules(settings.select, settings.ignore), settings.rules)
    targets, problems = discover(paths, settings, root)
    run.watch.lap("discover")
    results, hits, project, outcome, diagnostics = run.compute(targets, problems, rules)
    diagnostics.extend(Diagnostic("<rules>", line) for line in outcome.errors)
    findings, baselined = _apply_baseline(
        list(outcome.findings), baseline or (Path(settings.baseline) if settings.baseline else None)
    )
    return AnalysisRun(
        project=project,
        findings=tuple(findings),
        diagnostics=tuple(diagnostics),
        suppressed=outcome.suppressed,
        baselined=baselined,
        timings=run.watch.timings,
        cache_hits=hits,
        files_seen=len(targets),
        slowest=_slowest(results),
    )

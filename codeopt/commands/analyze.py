"""The ``analyze`` use case: discover, analyse each file once (cached, in parallel), build the import
graph, run the rules. The CLI only parses options and renders what this returns.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from codeopt.analysis.graph import ImportGraph, build_graph
from codeopt.analysis.import_cost import ImportCost, measure_import_cost
from codeopt.analysis.model import EdgeKind
from codeopt.analysis.pipeline import code_fingerprint
from codeopt.analysis.project import ProjectAnalysis
from codeopt.analysis.results import Analyzed, Failed, FileResult, Skipped
from codeopt.analysis.worker import Job, run_jobs
from codeopt.config import Settings
from codeopt.errors import SourceError
from codeopt.report.model import AnalysisRun, Diagnostic
from codeopt.rules.baseline import load_baseline, new_findings
from codeopt.rules.engine import instantiate, run_rules, select_rules
from codeopt.source.cache import ResultCache
from codeopt.source.discovery import Discovered, discover
from codeopt.source.reading import read_bytes

Progress = Callable[[int, int], None]


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def analyze_files(
    targets: Sequence[Discovered],
    settings: Settings,
    cwd: Path,
    cache: ResultCache | None,
    progress: Progress | None = None,
) -> tuple[list[FileResult], int]:
    """One result per file, in target order; cache hits are resolved in this process."""
    results: dict[int, FileResult] = {}
    jobs: list[tuple[int, Job, str | None]] = []
    for index, target in enumerate(targets):
        display = display_path(target.path, cwd)
        try:
            raw = read_bytes(target.path, settings.max_file_size)
        except SourceError as exc:
            results[index] = (
                Skipped(display, exc.reason) if "limit" in exc.reason else Failed(display, exc.reason)
            )
            continue
        key = cache.key(raw, target.module, display) if cache else None
        hit = cache.get(key) if cache and key else None
        if isinstance(hit, Analyzed | Failed | Skipped):
            results[index] = hit
            continue
        job = Job(str(target.path), display, target.module, target.is_package, raw, settings.file_timeout)
        jobs.append((index, job, key))
    hits = len(results)
    done = hits
    if progress:
        progress(done, len(targets))
    workers = settings.jobs or os.cpu_count() or 1
    batches = _batches(jobs, workers)
    if workers > 1 and len(jobs) > 8:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = pool.map(run_jobs, [[job for _, job, _ in batch] for batch in batches])
            for batch, batch_results in zip(batches, outcomes, strict=True):
                done = _store(batch, batch_results, results, cache, done, len(targets), progress)
    else:
        for batch in batches:
            done = _store(
                batch, run_jobs([job for _, job, _ in batch]), results, cache, done, len(targets), progress
            )
    return [results[i] for i in range(len(targets))], hits


def _batches(
    jobs: list[tuple[int, Job, str | None]], workers: int
) -> list[list[tuple[int, Job, str | None]]]:
    """Small batches (by bytes) so both cores stay busy to the end and progress moves."""
    size = max(1, min(32, len(jobs) // (workers * 8) or 1))
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


def _store(
    batch: list[tuple[int, Job, str | None]],
    outcomes: list[FileResult],
    results: dict[int, FileResult],
    cache: ResultCache | None,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    for (index, _, key), outcome in zip(batch, outcomes, strict=True):
        results[index] = outcome
        # Only deterministic outcomes are cached: a time-budget skip may pass on a quieter machine.
        if cache and key and not (isinstance(outcome, Skipped) and "file-timeout" in outcome.reason):
            cache.put(key, outcome)
    done += len(batch)
    if progress:
        progress(done, total)
    return done


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
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    rules = instantiate(select_rules(settings.select, settings.ignore), settings.rules)
    targets, problems = discover(paths, settings, root)
    timings["discover"] = time.perf_counter() - clock

    clock = time.perf_counter()
    cache = (
        ResultCache(root / settings.cache_dir, code_fingerprint()) if use_cache and settings.cache else None
    )
    results, hits = analyze_files(targets, settings, cwd, cache, progress)
    timings["files"] = time.perf_counter() - clock

    diagnostics = [Diagnostic(display_path(Path(p.path).absolute(), cwd), p.reason) for p in problems]
    analyses = []
    for result in results:
        if isinstance(result, Analyzed):
            analyses.append(result.analysis)
        else:
            diagnostics.append(Diagnostic(result.path, result.reason, skipped=isinstance(result, Skipped)))

    clock = time.perf_counter()
    graph: ImportGraph = build_graph(analyses)
    timings["graph"] = time.perf_counter() - clock
    measured: dict[str, ImportCost] = {}
    if measure_imports:
        clock = time.perf_counter()
        externals = sorted({e.module for e in graph.externals if e.kind is EdgeKind.IMPORT_TIME})
        measured = dict(measure_import_cost(externals, cwd=root, sys_path=[str(root)]))
        costs = {name: cost.cumulative_ms for name, cost in measured.items() if cost.ok}
        graph = build_graph(analyses, costs=costs)
        timings["measure_imports"] = time.perf_counter() - clock

    project = ProjectAnalysis(root=str(root), files=tuple(analyses), graph=graph, measured_costs=measured)
    clock = time.perf_counter()
    outcome = run_rules(project, rules, settings.per_file_ignores)
    timings["rules"] = time.perf_counter() - clock
    diagnostics.extend(Diagnostic("<rules>", line) for line in outcome.errors)

    findings = list(outcome.findings)
    baselined = 0
    baseline_path = baseline or (Path(settings.baseline) if settings.baseline else None)
    if baseline_path is not None:
        fresh = new_findings(findings, load_baseline(baseline_path), baseline_path)
        baselined = len(findings) - len(fresh)
        findings = fresh
    return AnalysisRun(
        project=project,
        findings=tuple(findings),
        diagnostics=tuple(diagnostics),
        suppressed=outcome.suppressed,
        baselined=baselined,
        timings=timings,
        cache_hits=hits,
        files_seen=len(targets),
        slowest=tuple(
            sorted(
                ((r.path, round(r.seconds, 3)) for r in results if isinstance(r, Analyzed)),
                key=lambda t: -t[1],
            )[:10]
        ),
    )

"""The ``check`` use case behind the pre-commit hook: analyse the project, report the changed files.

Analysing the whole project (with the cache, so only changed files cost anything) keeps project-wide
findings such as import cycles correct; reporting only the changed files keeps the hook quiet.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from codeopt.commands.analyze import run_analysis
from codeopt.config import Settings
from codeopt.report.model import AnalysisRun


def changed_files(cwd: Path) -> list[Path]:
    """Python files changed against HEAD, staged or not, plus untracked ones; empty outside git."""
    commands = (
        ["git", "diff", "--name-only", "--diff-filter=ACMR", "HEAD"],
        ["git", "ls-files", "--others", "--exclude-standard"],
    )
    names: set[str] = set()
    for command in commands:
        try:
            done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return []
        if done.returncode != 0:
            continue
        names.update(line for line in done.stdout.splitlines() if line.endswith(".py"))
    top = _git_top(cwd)
    return sorted((top or cwd) / name for name in names)


def _git_top(cwd: Path) -> Path | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def run_check(files: Sequence[Path], settings: Settings, *, baseline: Path | None = None) -> AnalysisRun:
    cwd = Path.cwd()
    wanted = [Path(f) for f in files] or changed_files(cwd)
    root = Path(settings.project_root) if settings.project_root else cwd
    run = run_analysis([root], settings, cwd=cwd, baseline=baseline)
    keep = {os.path.abspath(f) for f in wanted}
    findings = tuple(f for f in run.findings if os.path.abspath(f.path) in keep)
    diagnostics = tuple(d for d in run.diagnostics if os.path.abspath(d.path) in keep)
    return dataclasses.replace(run, findings=findings, diagnostics=diagnostics)

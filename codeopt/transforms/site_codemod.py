"""Running one site-by-site codemod over a file, shared by the pool and lazy-attributes transforms.

Both find candidate sites from the analysis facts, parse only when a site survives the cheap checks,
run a LibCST command that records what it applied and what it skipped (with reasons), and turn that
into one per-file result; a failure of ours becomes ``Failed`` for that file, never a stopped run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import libcst as cst
from libcst.codemod import CodemodContext

from codeopt.transforms.base import Changed, Failed, FileInput, FileResult, SiteSkip, Skipped, Unchanged

Skip = tuple[int, str, str]  # (line, site name, reason)


class SiteCommand(Protocol):
    applied: list[str]
    skips: list[Skip]

    def transform_module(self, tree: cst.Module) -> cst.Module: ...


def site_result(
    file: FileInput,
    applied: Sequence[str],
    skips: Iterable[Skip],
    after: str | None,
    runtime: tuple[str, ...],
) -> FileResult:
    """Changed when anything was applied, else Skipped (with the reasons) or Unchanged."""
    found = tuple(SiteSkip(file.path, line, name, reason) for line, name, reason in sorted(skips))
    if not applied or after is None:
        return Skipped(file.path, found) if found else Unchanged(file.path)
    return Changed(file.path, file.source, after, applied=tuple(applied), skips=found, runtime=runtime)


def run_site_codemod(
    file: FileInput,
    label: str,
    build: Callable[[CodemodContext], SiteCommand],
    runtime: tuple[str, ...],
) -> FileResult:
    """Parse ``file``, run the command ``build`` makes (it reports every skip, early ones included)."""
    try:
        module = file.cst()
    except cst.ParserSyntaxError as exc:
        return Failed(file.path, f"cannot parse: {str(exc).splitlines()[0]}")
    command = build(CodemodContext(filename=str(file.path), full_module_name=file.module or None))
    try:
        new = command.transform_module(module)
    except Exception as exc:  # a bug of ours must not stop the run: report it for this file
        return Failed(file.path, f"{label} transform failed: {type(exc).__name__}: {exc}")
    return site_result(file, command.applied, command.skips, new.code, runtime)

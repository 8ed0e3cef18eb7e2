"""Write the split: the old module becomes a package whose ``__init__`` is a facade over submodules.

``pkg/mod.py`` becomes ``pkg/mod/__init__.py`` (the facade: docstring, ``__future__`` imports, the
old imports, pinned statements, a re-export of every name, ``__all__``, the run-time forwarding of
writes from :mod:`codeopt.split.facade`) plus one file per submodule of the plan (nested names become
packages) and ``__main__.py`` when the module had a ``__main__`` block, so ``python -m pkg.mod`` still
runs it. Units are copied verbatim (:mod:`codeopt.split.emit_text`); each file imports only what its
units use; links between submodules never make an import-time cycle (:mod:`codeopt.split.emit_links`);
variables rebound with ``global`` are read and written as ``owner.NAME`` outside the file that owns them.

Output depends only on the inventory, the plan and the options: the same input gives the same bytes.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codeopt.errors import TransformError
from codeopt.split.emit_facade import facade_text, main_text
from codeopt.split.emit_files import FileEmitter
from codeopt.split.emit_links import LOCAL_IMPORT, Link, decide_links
from codeopt.split.emit_model import FACADE, MAIN, EmitContext
from codeopt.split.emit_needs import FileNeeds, collect_needs, to_needs

if TYPE_CHECKING:
    from codeopt.split.plan import Plan
    from codeopt.split.unit_model import Inventory

__all__ = ["EmitOptions", "Emitted", "emit_package", "emit_split"]


@dataclass(frozen=True)
class EmitOptions:
    """``keep_module_names``: moved classes and functions keep ``__module__`` == the old dotted path."""

    keep_module_names: bool = False


@dataclass(frozen=True)
class Emitted:
    """The files of the split and what the user should know about them."""

    files: Mapping[Path, str]
    modules: tuple[str, ...]  # dotted names of every new module, the old path first (for import checks)
    links: tuple[Link, ...]
    renamed: tuple[str, ...]  # objects whose __module__ stays the old path (keep_module_names)
    notes: tuple[str, ...]


def emit_package(inv: Inventory, plan: Plan, options: EmitOptions = EmitOptions()) -> dict[Path, str]:
    """Every file to write (the command deletes the old module file itself)."""
    return dict(emit_split(inv, plan, options).files)


def emit_split(inv: Inventory, plan: Plan, options: EmitOptions = EmitOptions()) -> Emitted:
    """The files, the module names to import-check, the cross-module links chosen and notes."""
    if not plan.submodules:
        raise TransformError("the plan has no submodules: nothing to split", inv.path)
    ctx = EmitContext(inv, plan)
    try:
        return _emit(ctx, options)
    except TransformError as error:
        raise TransformError(error.reason, inv.path) from error


def _emit(ctx: EmitContext, options: EmitOptions) -> Emitted:
    needs = {key: collect_needs(ctx, key) for key in ctx.files if key != FACADE}
    sub_needs = [needs[key] for key in ctx.submodules]
    links = decide_links(to_needs(sub_needs), ctx.submodules)
    files: dict[Path, str] = {}
    bindings: dict[str, list[str]] = {}
    for key in ctx.submodules:
        emitter = FileEmitter(ctx, needs[key], [link for link in links if link.source == key])
        files[ctx.path_of(key)] = emitter.text()
        for name in sorted(emitter.bound_names()):
            if name not in ctx.moved_state:
                bindings.setdefault(name, []).append(key)
    for package in sorted(ctx.packages - set(ctx.submodules)):
        files[ctx.path_of(package)] = f'"""Submodules split out of {ctx.dotted(FACADE)}."""\n'
    renamed = _renamed(ctx) if options.keep_module_names else ()
    files[ctx.path_of(FACADE)] = facade_text(ctx, bindings, renamed, _doctest_names(ctx))
    if MAIN in needs:
        files[ctx.path_of(MAIN)] = main_text(ctx, needs[MAIN])
    _reparse(files)
    modules = tuple(ctx.dotted(key) for key in ctx.files if key != MAIN)
    notes = _notes(ctx, links, needs, renamed) + _doctest_notes(ctx, renamed)
    return Emitted(dict(sorted(files.items())), modules, links, renamed, notes)


def _moved_definitions(ctx: EmitContext) -> list[str]:
    names: list[str] = []
    for unit in ctx.inv.units:
        if ctx.home[unit.id] in ctx.submodules and unit.kind in {"function", "class"}:
            names.extend(name for name in unit.names if name not in ctx.state)
    return names


def _renamed(ctx: EmitContext) -> tuple[str, ...]:
    return tuple(_moved_definitions(ctx))


def _doctest_names(ctx: EmitContext) -> tuple[str, ...]:
    """Moved definitions whose text carries doctest examples (``>>>``)."""
    if "__test__" in ctx.module_names:
        return ()
    names: list[str] = []
    for unit in ctx.inv.units:
        if ctx.home[unit.id] not in ctx.submodules or unit.kind not in {"function", "class"}:
            continue
        text = ctx.unit_source(unit)
        if ">>>" in text:
            names.extend(name for name in unit.names if name not in ctx.state)
    return tuple(names)


def _reparse(files: Mapping[Path, str]) -> None:
    for path, text in files.items():
        try:
            ast.parse(text)
        except SyntaxError as error:
            raise TransformError(
                f"generated {path.name} does not parse (line {error.lineno}): {error.msg}"
            ) from error


def _notes(
    ctx: EmitContext, links: tuple[Link, ...], needs: Mapping[str, FileNeeds], renamed: tuple[str, ...]
) -> tuple[str, ...]:
    notes = []
    for link in links:
        if link.mode == LOCAL_IMPORT:
            what = ", ".join((*link.names, *link.state))
            notes.append(
                f"{link.source} imports {what} from {link.target} inside the functions that use them"
                " (a module-level import would make an import-time cycle)"
            )
    notes.extend(_dunder_notes(ctx))
    if MAIN in needs:
        notes.append(
            "the `if __name__ == '__main__':` block moved to __main__.py: `python -m "
            f"{ctx.dotted(FACADE)}` still runs it; running the old file by path no longer does"
        )
    if renamed:
        notes.append(
            f"__module__ of {len(renamed)} moved classes and functions stays {ctx.dotted(FACADE)!r} (pickles,"
            " reprs, doctest discovery); inspect.getsource() of those classes no longer finds their source"
        )
    return tuple(notes)


def _doctest_notes(ctx: EmitContext, renamed: tuple[str, ...]) -> tuple[str, ...]:
    doctests = () if renamed else _doctest_names(ctx)
    if not doctests:
        return ()
    return (
        f"{len(doctests)} moved definitions carry doctest examples: the facade lists them in __test__ so"
        f" DocTestSuite({ctx.dotted(FACADE)!r}) and python -m doctest still run them; pytest"
        " --doctest-modules over the package would collect them twice (--keep-module-names avoids it)",
    )


def _dunder_notes(ctx: EmitContext) -> list[str]:
    """Moved code using ``__name__``/``__file__`` now sees the submodule's (pitfall 8)."""
    notes = []
    for unit in ctx.inv.units:
        key = ctx.home[unit.id]
        text = ctx.unit_source(unit)
        if key not in ctx.submodules or ("__name__" not in text and "__file__" not in text):
            continue
        used = {
            node.id
            for stmt in ctx.statements[unit.id]
            for node in ast.walk(stmt)
            if isinstance(node, ast.Name) and node.id in {"__name__", "__file__"}
        }
        for dunder in sorted(used):
            notes.append(
                f"{unit.id} (line {unit.first_line}) uses {dunder}, which is now {key}'s"
                + (" (one directory deeper)" if dunder == "__file__" else f" ({ctx.dotted(key)})")
            )
    return notes

"""Text of the facade (the old module's path, now the package ``__init__``) and of ``__main__.py``.

The facade keeps the old module's order: header comments, docstring, imports, pinned statements, and a
re-export of each submodule where its first definition used to be (or earlier, when a pinned statement
needs its names at import time); then ``__all__`` when the old module had none, and the run-time tail
of :mod:`codeopt.split.facade`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from codeopt.split.emit_files import global_edits
from codeopt.split.emit_model import FACADE, IMPORT, MAIN, EmitContext
from codeopt.split.emit_needs import FileNeeds, star_import_units
from codeopt.split.emit_pieces import Piece, future_line, in_source_order, join_pieces, unit_pieces
from codeopt.split.emit_scope import IMPORT_TIME, definitely_bound
from codeopt.split.emit_text import Edit, char_col, import_line
from codeopt.split.facade import runtime_block
from codeopt.split.unit_model import Unit


def facade_text(
    ctx: EmitContext, bindings: Mapping[str, Sequence[str]], renamed: Sequence[str], doctests: Sequence[str]
) -> str:
    first = ctx.inv.units[0].first_line if ctx.inv.units else len(ctx.lines) + 1
    header = "".join(ctx.lines[: first - 1])
    pieces: list[Piece] = []
    exported: set[str] = set()
    runs = sorted(((start, unit) for unit in ctx.inv.units for start, _ in ctx.spans[unit.id]), key=_first)
    for start, unit in runs:
        key = ctx.home[unit.id]
        if key in {FACADE, IMPORT}:
            pieces.extend(_exports(ctx, _submodules_used(ctx, unit), exported))
            edits = [*_state_edits(ctx, unit), *global_edits(ctx, unit, FACADE)]
            pieces.extend(piece for piece in unit_pieces(ctx, unit, FACADE, edits) if piece.start == start)
        elif key != MAIN:
            pieces.extend(_exports(ctx, [key], exported))
    pieces.extend(_exports(ctx, list(ctx.submodules), exported))
    text = header + join_pieces(ctx, pieces) + _footer(ctx)
    text += _generated_all(ctx)
    state = dict(ctx.moved_state)
    text += runtime_block(ctx.dotted(FACADE), bindings, state, () if renamed else doctests, renamed)
    return text


def _state_edits(ctx: EmitContext, unit: Unit) -> list[Edit]:
    """State moved to a submodule is read (and written) there by facade code too: ``owner.NAME``.

    The facade drops its own copy of the name at the end (see :mod:`codeopt.split.facade`); the owner
    submodule is an attribute of the package, i.e. a global of the facade, once it is imported.
    """
    edits = []
    for ref in ctx.scans[unit.id].refs:
        owner = ctx.moved_state.get(ref.name)
        if owner is not None:
            text = ctx.lines[ref.line - 1]
            start, end = char_col(text, ref.col), char_col(text, ref.end_col)
            edits.append(Edit(ref.line, start, end, f"{owner}.{ref.name}"))
    return edits


def _footer(ctx: EmitContext) -> str:
    """Comments after the last statement of the old module stay at the end of the facade."""
    last = max((end for spans in ctx.spans.values() for _, end in spans), default=len(ctx.lines))
    rest = "".join(ctx.lines[last:])
    return "\n" + rest.strip("\n") + "\n" if rest.strip() else ""


def _first(run: tuple[int, Unit]) -> int:
    return run[0]


def _submodules_used(ctx: EmitContext, unit: Unit) -> list[str]:
    """Submodules whose names a facade statement needs at import time (re-exported before it)."""
    found = []
    for ref in ctx.scans[unit.id].refs:
        binder = ctx.binder(ref.name)
        if ref.when == IMPORT_TIME and binder is not None and ctx.home[binder.id] in ctx.submodules:
            found.append(ctx.home[binder.id])
    return found


def _exports(ctx: EmitContext, keys: Iterable[str], exported: set[str]) -> list[Piece]:
    pieces = []
    for key in keys:
        if key not in exported:
            exported.add(key)
            pieces.extend(_export(ctx, key))
    return pieces


def _export(ctx: EmitContext, key: str) -> list[Piece]:
    """``from .key import ...`` for what it always binds, a guarded copy for what it may not bind."""
    names = list(dict.fromkeys(name for unit in ctx.units_in(key) for name in unit.names))
    definite = [name for name in names if name not in ctx.conditional]
    maybe = [name for name in names if name in ctx.conditional]
    pieces = []
    if definite:
        pieces.append(Piece(import_line(".", key, [(name, None) for name in definite]), None))
    elif not maybe:
        pieces.append(Piece(f"from . import {key}\n", None))
    if maybe:
        pieces.append(Piece(_optional_export(ctx, key, maybe), None))
    return pieces


def _optional_export(ctx: EmitContext, key: str, names: Sequence[str]) -> str:
    """Names the submodule binds on some paths only (platforms, optional imports): copied if present."""
    parent, last = ctx.relative_parent(FACADE, key)
    listed = "".join(f"    {name!r},\n" for name in names)
    return (
        f"from {parent} import {last} as _codeopt_module\n\n"
        f"for _codeopt_name in (\n{listed}):  # bound only on some paths\n"
        "    if hasattr(_codeopt_module, _codeopt_name):\n"
        "        globals()[_codeopt_name] = getattr(_codeopt_module, _codeopt_name)\n"
    )


def _generated_all(ctx: EmitContext) -> str:
    """Without ``__all__``, ``import *`` would also pick up the new submodules: list the old public names."""
    if "__all__" in ctx.module_names:
        return ""
    if star_import_units(ctx):
        return ""
    definite: list[str] = []
    maybe: list[str] = []
    for unit in ctx.inv.units:
        if ctx.home[unit.id] == MAIN:
            continue
        bound = definitely_bound(ctx.statements[unit.id])
        for name in unit.names:
            if not name.startswith("_"):
                (definite if name in bound or name in ctx.state else maybe).append(name)
    body = "".join(f"    {name!r},\n" for name in dict.fromkeys(definite))
    text = (
        "\n\n# `from <module> import *` exports exactly the public names it exported before the split.\n"
        f"__all__ = [\n{body}]\n"
    )
    optional = [name for name in dict.fromkeys(maybe) if name not in definite]
    if optional:
        listed = "".join(f"    {name!r},\n" for name in optional)
        text += (
            f"__all__ += [_codeopt_name for _codeopt_name in (\n{listed}) if _codeopt_name in globals()]\n"
        )
    return text


def main_text(ctx: EmitContext, needs: FileNeeds) -> str:
    """``__main__.py``: the old ``__main__`` block, with its names taken from the facade."""
    names = sorted(name for name in needs.main_names if ctx.binder(name) is not None)
    head = future_line(ctx)
    if names:
        head += ("\n" if head else "") + import_line(".", "", [(name, None) for name in names])
    units = ctx.units_in(MAIN)
    body = join_pieces(
        ctx, in_source_order(piece for unit in units for piece in unit_pieces(ctx, unit, MAIN))
    )
    return f"{head}\n\n{body}" if head else body

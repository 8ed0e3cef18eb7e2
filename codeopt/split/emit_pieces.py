"""Pieces of generated files: a unit's original lines, joined with the original's spacing.

A unit may consist of several runs of statements (``X = None`` early, ``class X`` later); each run is
a piece that keeps its original position, so statements of one file stay in the original order and
adjacent runs keep the blank lines (and comments) that separated them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codeopt.split.emit_model import EmitContext
from codeopt.split.emit_text import Edit, Insert, relative_dots_edit, render_lines
from codeopt.split.unit_model import Unit


@dataclass(frozen=True)
class Piece:
    text: str
    unit: Unit | None  # None: generated (imports, re-exports)
    start: int = 0  # the original lines it copies (units only)
    end: int = 0


def future_line(ctx: EmitContext) -> str:
    if not ctx.inv.future_imports:
        return ""
    return f"from __future__ import {', '.join(ctx.inv.future_imports)}\n"


def unit_pieces(
    ctx: EmitContext, unit: Unit, key: str, edits: Iterable[Edit] = (), inserts: Iterable[Insert] = ()
) -> list[Piece]:
    """The unit's original lines (one piece per statement run), relative imports deepened, plus edits."""
    shift = ctx.shift(key)
    dots = [
        relative_dots_edit(ctx.lines, rel.line, rel.col, rel.level, shift)
        for rel in ctx.scans[unit.id].relative_imports
    ]
    every_edit = [*dots, *edits]
    every_insert = list(inserts)
    return [
        Piece(render_lines(ctx.lines, start, end, every_edit, every_insert), unit, start, end)
        for start, end in ctx.spans[unit.id]
    ]


def unit_text(ctx: EmitContext, unit: Unit, key: str) -> str:
    return join_pieces(ctx, unit_pieces(ctx, unit, key))


def in_source_order(pieces: Iterable[Piece]) -> list[Piece]:
    """Statements of the units of one file in their original order (a unit's parts may interleave)."""
    return sorted(pieces, key=lambda piece: piece.start)


def join_pieces(ctx: EmitContext, pieces: Sequence[Piece]) -> str:
    """Original spacing between units that were adjacent; PEP 8 spacing elsewhere."""
    out: list[str] = []
    previous: Piece | None = None
    for piece in pieces:
        if previous is not None:
            out.append(_gap(ctx, previous, piece))
        out.append(piece.text)
        previous = piece
    return "".join(out)


def _gap(ctx: EmitContext, before: Piece, after: Piece) -> str:
    first, second = before.unit, after.unit
    if first is not None and second is not None:
        between = ctx.lines[before.end : after.start - 1]
        blank = [not line.strip() for line in between]
        if before.end < after.start and all(blank):
            return "".join(between)  # adjacent in the original: its spacing
        if first.kind == second.kind == "import" and before.end < after.start:
            return "\n" if any(blank) else ""  # same import group in the original: no blank line
        return "\n\n"
    if first is None and second is None:
        return ""
    if _is_importish(before) and _is_importish(after):
        return "\n"
    return "\n\n"


def _is_importish(piece: Piece) -> bool:
    return piece.unit is None or piece.unit.kind == "import"

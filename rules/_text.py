"""Formatting shared by the built-in rules: messages are one line with names and numbers, proposals
show code. Private (leading underscore): rule discovery skips it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath


def num(value: float) -> str:
    """1812 -> "1,812"; floats keep one decimal unless whole."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def names(items: Sequence[str], limit: int = 4, quote: bool = True) -> str:
    """``a``, ``b``, ``c`` (+2 more)."""
    shown = [f"`{i}`" if quote else i for i in items[:limit]]
    rest = len(items) - limit
    return ", ".join(shown) + (f" (+{rest} more)" if rest > 0 else "")


def basename(path: str) -> str:
    return PurePosixPath(path).name


def code(lines: Iterable[str] | str, indent: int = 4) -> str:
    """A code block for a proposal: indented, so renderers can show it as code."""
    text = lines if isinstance(lines, str) else "\n".join(lines)
    return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * indent)


def matches_module(module: str, patterns: Iterable[str]) -> bool:
    """``module`` is one of ``patterns`` or inside one of them (a package covers its submodules)."""
    return any(module == p or module.startswith(p + ".") for p in patterns)

"""The Jinja environment shared by the HTML and Markdown reports, with their number filters.

Autoescaping is decided by template name (``select_autoescape``): ``.html`` and ``.svg`` templates
escape everything not marked safe, and the Markdown template escapes with its own filters
(:mod:`codeopt.report.mdtext`) because HTML escaping is wrong for Markdown.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from codeopt.report import mdtext
from codeopt.report.prose import spans

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).with_name("templates")


def num(value: object, digits: int = 1) -> str:
    """1,234 for ints, 1,234.5 for floats, an en dash for a missing value."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def signed(value: float | int, digits: int = 1) -> str:
    """+12, −3 (a real minus sign), 0; floats with ``digits`` decimals."""
    if isinstance(value, float) and not value.is_integer():
        text = f"{abs(value):,.{digits}f}"
    else:
        text = f"{abs(int(value)):,}"
    if value > 0:
        return "+" + text
    if value < 0:
        return "−" + text
    return "0"


def plural(count: int, word: str, many: str = "") -> str:
    """``1 module``, ``2 modules`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


@cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape  # ~50 ms: when used

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html", "svg"), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=num,
        signed=signed,
        plural=plural,
        spans=spans,
        md=mdtext.inline,
        mdcell=mdtext.cell,
        mdcode=mdtext.code,
        fence=mdtext.fence,
    )
    return env

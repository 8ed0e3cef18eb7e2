"""Tests of the per-file metrics; helpers shared by the test modules live here."""

from __future__ import annotations

import functools
import sysconfig
import textwrap
from pathlib import Path

from codeopt.source.parsing import SourceFile

STDLIB = Path(sysconfig.get_paths()["stdlib"])

# Real modules radon is compared on: plain code, heavy classes, async, match statements, closures.
RADON_MODULES = (
    "inspect.py",
    "argparse.py",
    "json/decoder.py",
    "dataclasses.py",
    "asyncio/tasks.py",
    "re/_parser.py",
    "tomllib/_parser.py",
    "functools.py",
    "test/test_patma.py",
)


@functools.cache
def stdlib_text(relative: str) -> str:
    return (STDLIB / relative).read_text(encoding="utf-8")


def source_of(text: str, name: str = "sample.py", dedent: bool = True) -> SourceFile:
    """A SourceFile for test code (dedented, so tests can indent their snippets)."""
    body = textwrap.dedent(text) if dedent else text
    return SourceFile(path=Path(name), display=name, module="", is_package=False, text=body)

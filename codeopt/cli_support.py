"""What every ``codeopt`` subcommand shares: exit codes, the one-line error, the progress bar.

Kept apart from ``codeopt.cli`` so the subcommands defined in their own modules (``cli_split``,
``cli_optimize``) can use them without importing the group that registers them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import NoReturn

import click

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> NoReturn:
    click.echo(f"codeopt: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def split_csv(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


class Progress:
    """A one-line progress bar on stderr, shown only on a terminal and only once a run passes ~1 s."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total == 0 or time.monotonic() - self.start < 1.0:
            return
        self.shown = True
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()

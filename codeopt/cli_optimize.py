"""``codeopt optimize``: the command-line face of the lazy-loading and pooling transforms."""

from __future__ import annotations

from pathlib import Path

import click

from codeopt.cli_support import fail


@click.command("optimize")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
def optimize_command(paths: tuple[Path, ...]) -> None:
    """Rewrite PATHS with lazy imports, lazy attributes and pools."""
    fail(f"{paths[0]}: codeopt optimize is not available in this build yet")

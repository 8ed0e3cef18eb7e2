"""``codeopt split`` and ``codeopt move``: the command-line face of the split engine (``codeopt.split``)."""

from __future__ import annotations

from pathlib import Path

import click

from codeopt.cli_support import fail


@click.command("split")
@click.argument("module", type=click.Path(path_type=Path))
def split_command(module: Path) -> None:
    """Propose and apply a split of MODULE into a package of cohesive submodules."""
    fail(f"{module}: codeopt split is not available in this build yet")


@click.command("move")
@click.argument("names", nargs=-1, required=True)
@click.option("--to", "target", required=True, help="Dotted path of the destination module.")
def move_command(names: tuple[str, ...], target: str) -> None:
    """Move definitions NAMES to another module, keeping the old import path working."""
    fail(f"codeopt move {' '.join(names)} --to {target}: not available in this build yet")

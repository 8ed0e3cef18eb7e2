"""``codeopt split`` and ``codeopt move``: the command-line face of the split engine (``codeopt.split``).

Exit codes: 0 done or nothing to do, 1 refused (the module does something a split cannot preserve, or
the suite was not green before), 2 errors (bad layout, dirty tree, a failed verification that was
rolled back, unreadable input). Errors are one line on stderr; the proposal goes to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from codeopt.cli_support import EXIT_CLEAN, EXIT_FINDINGS, fail
from codeopt.errors import CodeoptError, Refused

if TYPE_CHECKING:
    from codeopt.commands.split import Planner, SplitRequest


@click.command("split")
@click.argument("module", type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plan_file",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FILE]",
    help="Write the proposed layout as editable TOML to FILE ('-': stdout) "
    "[default: MODULE.split.toml beside it]. Put it after MODULE.",
)
@click.option(
    "--layout",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Split as this (edited) layout file says instead of proposing one.",
)
@click.option("--apply", "do_apply", is_flag=True, help="Write the change (default: show it).")
@click.option(
    "--verify",
    metavar="CMD",
    help="With --apply: run CMD (in the current directory) before and after; roll back unless it passes "
    "after with the same number of tests collected.",
)
@click.option(
    "--to",
    "to",
    metavar="DOTTED.PATH",
    help="Build the package at this dotted path (a sibling, e.g. pkg.mod_parts) instead of pkg/mod/; "
    "pkg/mod.py then forwards to it.",
)
@click.option("--rewrite-imports", is_flag=True, help="Point the project's importers at the new modules.")
@click.option(
    "--keep-module-names/--new-module-names",
    default=None,
    help="Keep __module__ of moved classes/functions at the old path, or give them the new one "
    "[default: keep when the project's code compares __module__ or reprs with the old path].",
)
@click.option("--allow-dirty", is_flag=True, help="Apply even if touched files have uncommitted changes.")
@click.option("--force", is_flag=True, help="Split even where codeopt would refuse (see the reasons).")
@click.option("--python", metavar="PATH", help="Interpreter for the import checks [default: the project's].")
@click.option(
    "--cross-check",
    is_flag=True,
    help="Also ask rope where the moved names are used and check the facade re-exports them (slow).",
)
@click.option("--no-diff", is_flag=True, help="Show the layout and metrics only.")
def split_command(
    module: Path,
    plan_file: str | None,
    layout: Path | None,
    do_apply: bool,
    verify: str | None,
    to: str | None,
    rewrite_imports: bool,
    keep_module_names: bool | None,
    allow_dirty: bool,
    force: bool,
    python: str | None,
    cross_check: bool,
    no_diff: bool,
) -> None:
    """Propose, and with --apply write, a split of MODULE into a package of cohesive submodules.

    MODULE (pkg/mod.py) becomes the package pkg/mod/ whose __init__.py re-exports every name the old
    module had, so `from pkg.mod import X` keeps working. Without --apply nothing is written: the
    layout, the metrics before/after and the diff are shown. --verify runs CMD through the shell in
    the current directory, as if typed here.

    Exit codes: 0 done or nothing to split, 1 refused (nothing written), 2 error (rolled back).
    """
    from codeopt.commands.split import SplitRequest

    if verify is not None and not do_apply:
        fail("--verify needs --apply (the suite is run before and after writing)")
    if plan_file is not None and do_apply:
        fail("--plan only writes the layout file; split with --layout FILE --apply after editing it")
    request = SplitRequest(
        module=module,
        cwd=Path.cwd(),
        layout=layout,
        verify=verify,
        rewrite_imports=rewrite_imports,
        keep_module_names=keep_module_names,
        allow_dirty=allow_dirty,
        force=force,
        python=python,
        cross_check=cross_check,
        to=to,
    )
    try:
        if plan_file is not None:
            _write_plan(request, plan_file)
        else:
            _split(request, do_apply, no_diff)
    except Refused as exc:
        _refused(exc)
    except CodeoptError as exc:
        fail(str(exc))


def _write_plan(request: SplitRequest, plan_file: str) -> None:
    from codeopt.commands.split import layout_text

    location, text = layout_text(request)
    if plan_file == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    target = Path(plan_file) if plan_file else location.path.with_suffix(".split.toml")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{target}: cannot write the layout: {exc.strerror}")
    click.echo(
        f"codeopt: wrote the layout to {target}; edit it, then: codeopt split {request.module} "
        f"--layout {target}",
        err=True,
    )


def _split(request: SplitRequest, do_apply: bool, no_diff: bool, planner: Planner | None = None) -> None:
    from codeopt.commands.split import apply_split, propose_split
    from codeopt.commands.split_render import render_nothing, render_outcome, render_proposal

    proposal = propose_split(request, planner)
    if proposal.nothing_to_do:
        click.echo(render_nothing(proposal), nl=False)
        sys.exit(EXIT_CLEAN)
    if not do_apply:
        click.echo(render_proposal(proposal), nl=False)
        if not no_diff:
            click.echo("")
            click.echo(proposal.diff(), nl=False)
        sys.exit(EXIT_CLEAN)
    outcome = apply_split(proposal, request, say=lambda line: click.echo(f"codeopt: {line}", err=True))
    click.echo(render_outcome(outcome), nl=False)
    sys.exit(EXIT_CLEAN)


def _refused(exc: Refused) -> None:
    """Every refusal as ``path:line: reason`` (what editors jump to), then exit 1 with nothing written."""
    refusals = getattr(exc, "refusals", ())
    if refusals:
        for refusal in refusals:
            click.echo(f"{exc.path}:{refusal.line}: {refusal.reason}", err=True)
        click.echo("codeopt: refused, nothing written (--force splits anyway)", err=True)
    else:
        click.echo(f"codeopt: refused: {exc}", err=True)
    sys.exit(EXIT_FINDINGS)


@click.command("move")
@click.argument("names", nargs=-1, required=True)
@click.option(
    "--to", "target", required=True, help="The new submodule: pkg.mod.NAME (or NAME) for names in pkg/mod.py."
)
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    help="The module the NAMES are in (else NAMES are qualified: pkg.mod.helper).",
)
@click.option("--apply", "do_apply", is_flag=True, help="Write the change (default: show it).")
@click.option("--verify", metavar="CMD", help="With --apply: run CMD before and after; roll back on failure.")
@click.option("--allow-dirty", is_flag=True, help="Apply even if touched files have uncommitted changes.")
@click.option("--force", is_flag=True, help="Move even where codeopt would refuse (see the reasons).")
@click.option("--python", metavar="PATH", help="Interpreter for the import checks [default: the project's].")
@click.option("--no-diff", is_flag=True, help="Show the layout and metrics only.")
def move_command(
    names: tuple[str, ...],
    target: str,
    source: Path | None,
    do_apply: bool,
    verify: str | None,
    allow_dirty: bool,
    force: bool,
    python: str | None,
    no_diff: bool,
) -> None:
    """Move definitions NAMES into a new submodule, keeping every old import path working.

    `codeopt move pkg.mod.helper pkg.mod.other --to pkg.mod.helpers` turns pkg/mod.py into the package
    pkg/mod/ with helpers.py holding the two definitions; everything else stays in pkg/mod/__init__.py,
    which re-exports every name. The same checks, verification and rollback as `codeopt split`.
    """
    from codeopt.commands.move import move_planner, parse_move
    from codeopt.commands.split import SplitRequest

    if verify is not None and not do_apply:
        fail("--verify needs --apply (the suite is run before and after writing)")
    try:
        move = parse_move(names, target, source, Path.cwd())
        request = SplitRequest(
            module=move.module_path,
            cwd=Path.cwd(),
            verify=verify,
            allow_dirty=allow_dirty,
            force=force,
            python=python,
        )
        _split(request, do_apply, no_diff, move_planner(move))
    except Refused as exc:
        _refused(exc)
    except CodeoptError as exc:
        fail(str(exc))

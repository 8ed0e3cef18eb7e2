"""The ``codeopt`` command: parses options, calls a use case, renders, and maps errors to exit codes.

Exit codes: 0 clean (nothing at or above ``--fail-on``), 1 findings, 2 errors (a file that could not be
analysed, bad configuration, bad usage). Output for people goes to stdout; progress and one-line
diagnostics go to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from codeopt import __version__
from codeopt.cli_optimize import optimize_command
from codeopt.cli_split import move_command, split_command
from codeopt.cli_support import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Progress, fail, split_csv
from codeopt.config import FORMATS, SEVERITIES, Settings, load_settings
from codeopt.errors import CodeoptError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="codeopt")
def cli() -> None:
    """Make large Python codebases faster to load and easier to change, safely."""


def _settings(target: Path, config: Path | None, **overrides: Any) -> Settings:
    settings = load_settings(target, config)
    return settings.with_overrides(**overrides)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format [default: text].")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here."
)
@click.option("--select", multiple=True, help="Rule ids, prefixes or names to run (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule ids, prefixes or names to skip (comma-separated).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Lowest severity that makes the exit code 1.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (errors still exit 2).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write .codeopt_cache/.")
@click.option("--measure-imports", is_flag=True, help="Measure external import costs (runs imports).")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), help="Report only new findings.")
@click.option("--update-baseline", is_flag=True, help="Write all current findings to the --baseline file.")
@click.option(
    "--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Use this pyproject.toml."
)
@click.option("-j", "--jobs", type=click.IntRange(min=0), help="Worker processes (0 = one per core).")
@click.option("--concise", is_flag=True, help="Text: one line per finding, no proposals or tables.")
@click.option("-q", "--quiet", is_flag=True, help="Text: findings only, no summary.")
def analyze(
    paths: tuple[Path, ...],
    fmt: str | None,
    output: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    no_cache: bool,
    measure_imports: bool,
    baseline: Path | None,
    update_baseline: bool,
    config: Path | None,
    jobs: int | None,
    concise: bool,
    quiet: bool,
) -> None:
    """Analyse PATHS: complexity, cohesion, the import graph, and findings with proposals."""
    from codeopt.commands.analyze import run_analysis
    from codeopt.report.render import render
    from codeopt.rules.baseline import write_baseline

    if update_baseline and baseline is None:
        fail("--update-baseline needs --baseline FILE")
    try:
        settings = _settings(
            paths[0],
            config,
            select=split_csv(select) or None,
            ignore=split_csv(ignore) or None,
            fail_on=fail_on,
            jobs=jobs,
            format=fmt,
        )
        progress = Progress("analyzing", sys.stderr.isatty())
        try:
            run = run_analysis(
                paths,
                settings,
                use_cache=not no_cache,
                measure_imports=measure_imports,
                progress=progress,
                baseline=None if update_baseline else baseline,
            )
        finally:
            progress.close()
        if update_baseline and baseline is not None:
            write_baseline(baseline, run.findings)
            click.echo(f"codeopt: wrote {len(run.findings)} findings to {baseline}", err=True)
            sys.exit(EXIT_CLEAN if not _errors(run) else EXIT_ERROR)
        text = render(
            run, settings.format, concise=concise, quiet=quiet, color=output is None and sys.stdout.isatty()
        )
    except CodeoptError as exc:
        fail(str(exc))
    _emit(run, text, output)
    sys.exit(_exit_code(run, settings.fail_on, exit_zero))


def _emit(run: Any, text: str, output: Path | None) -> None:
    """Diagnostics to stderr, one line each; the report to ``output`` or stdout."""
    for diagnostic in run.diagnostics:
        kind = "skipped" if diagnostic.skipped else "error"
        click.echo(f"codeopt: {kind}: {diagnostic.path}: {diagnostic.reason}", err=True)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write report: {exc.strerror}")


def _errors(run: Any) -> bool:
    return any(not d.skipped for d in run.diagnostics)


def _exit_code(run: Any, fail_on: str, exit_zero: bool) -> int:
    if _errors(run):
        return EXIT_ERROR
    if exit_zero or fail_on == "never":
        return EXIT_CLEAN
    threshold = SEVERITIES.index(fail_on)
    failing = [f for f in run.findings if SEVERITIES.index(f.severity.value) >= threshold]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Lowest severity that fails the check.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), help="Report only new findings.")
@click.option(
    "--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Use this pyproject.toml."
)
def check(files: tuple[Path, ...], fail_on: str | None, baseline: Path | None, config: Path | None) -> None:
    """Gate changed files (for pre-commit): quiet, findings in FILES only.

    The whole project is analysed (cached), so project-wide findings such as import cycles stay
    correct; only findings located in FILES are reported. Without FILES, the files changed against
    git's HEAD (and untracked ones) are checked.
    """
    from codeopt.commands.check import run_check
    from codeopt.report.render import render

    try:
        settings = _settings(files[0] if files else Path.cwd(), config, fail_on=fail_on)
        run = run_check(list(files), settings, baseline=baseline)
        text = render(run, "text", concise=True, quiet=True, color=False)
    except CodeoptError as exc:
        fail(str(exc))
    for diagnostic in run.diagnostics:
        if not diagnostic.skipped:
            click.echo(f"codeopt: error: {diagnostic.path}: {diagnostic.reason}", err=True)
    if text.strip():
        click.echo(text, nl=not text.endswith("\n"))
    sys.exit(_exit_code(run, settings.fail_on, False))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write the report here ('-': stdout) [default: codeopt-report.html; Markdown: stdout].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown"]),
    help="Report format [default: markdown for -o *.md, else html].",
)
@click.option(
    "--compare",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Show the trend against BEFORE.json (earlier `analyze --format json` output).",
)
@click.option("--include-plans", is_flag=True, help="Add the proposed splits (from CO101 findings).")
@click.option("--include-diffs", is_flag=True, help="Add diffs (none yet: they come with split/optimize).")
@click.option("--select", multiple=True, help="Rule ids, prefixes or names to run (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule ids, prefixes or names to skip (comma-separated).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write .codeopt_cache/.")
@click.option("--measure-imports", is_flag=True, help="Measure external import costs (runs imports).")
@click.option(
    "--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Use this pyproject.toml."
)
@click.option("-j", "--jobs", type=click.IntRange(min=0), help="Worker processes (0 = one per core).")
def report(
    paths: tuple[Path, ...],
    output: Path | None,
    fmt: str | None,
    compare: Path | None,
    include_plans: bool,
    include_diffs: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    no_cache: bool,
    measure_imports: bool,
    config: Path | None,
    jobs: int | None,
) -> None:
    """Analyse PATHS and write a report: one self-contained HTML page, or a Markdown PR comment.

    Exit codes: 0 report written, 2 errors (a file that could not be analysed, bad configuration or
    --compare file, an unwritable output). Findings do not change the exit code: gate with analyze.
    """
    from codeopt.commands.report import run_report

    fmt, target = _report_destination(fmt, output)
    try:
        settings = _settings(
            paths[0], config, select=split_csv(select) or None, ignore=split_csv(ignore) or None, jobs=jobs
        )
        progress = Progress("analyzing", sys.stderr.isatty())
        try:
            result = run_report(
                paths,
                settings,
                fmt=fmt,
                compare=compare,
                include_plans=include_plans,
                include_diffs=include_diffs,
                use_cache=not no_cache,
                measure_imports=measure_imports,
                progress=progress,
            )
        finally:
            progress.close()
    except CodeoptError as exc:
        fail(str(exc))
    _emit(result.run, result.text, target)
    if target is not None:
        click.echo(f"codeopt: wrote {target} ({len(result.text.encode()) / 1024:,.0f} KB)", err=True)
    sys.exit(EXIT_ERROR if _errors(result.run) else EXIT_CLEAN)


def _report_destination(fmt: str | None, output: Path | None) -> tuple[str, Path | None]:
    """The format (``--format``, else from the ``-o`` suffix) and the file to write (None: stdout)."""
    if fmt is None:
        fmt = "markdown" if output is not None and output.suffix.lower() in (".md", ".markdown") else "html"
    if output is None:
        return fmt, Path("codeopt-report.html") if fmt == "html" else None
    return fmt, None if str(output) == "-" else output


@cli.command("rules")
@click.argument("rule", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules_command(rule: str | None, fmt: str) -> None:
    """List the rules, or explain RULE (an id like CO101 or a name)."""
    from codeopt.rules.listing import explain, rules_json, rules_table
    from codeopt.rules.registry import discover_rules

    try:
        available = discover_rules()
        if rule is None:
            click.echo(
                rules_json(available) if fmt == "json" else rules_table(available, markdown=fmt == "markdown")
            )
            return
        match = [r for r in available.values() if rule.upper() == r.id or rule == r.name]
        if not match:
            fail(f"unknown rule {rule!r} (see `codeopt rules`)")
        click.echo(explain(match[0]))
    except CodeoptError as exc:
        fail(str(exc))


cli.add_command(split_command)
cli.add_command(move_command)
cli.add_command(optimize_command)


def main(argv: Sequence[str] | None = None) -> None:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="codeopt", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("codeopt: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("codeopt: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()

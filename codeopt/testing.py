"""Test helpers for rules: the built-in rules are tested with these, and so can yours.

A rule's ``VALID`` and ``INVALID`` examples are its tests (as in Fixit): :func:`check_examples` runs
every example through the same per-file analysis and project graph as ``codeopt analyze`` and fails
with the findings it got when an example does not behave as declared. :func:`run_rule` runs one rule
over a snippet for tests that need more than examples::

    from codeopt.testing import check_examples, run_rule
    from my_rules.no_print import NoPrint

    def test_examples():
        check_examples(NoPrint)

    def test_option():
        assert run_rule(NoPrint, "print(1)\n", options={"allow": ("print",)}) == []

A snippet may hold several files, for rules about how modules relate (import cycles): each file
starts with a marker line ``# file: pkg/a.py``; text before the first marker belongs to ``path``::

    run_rule(ImportCycleRule, '''
        # file: pkg/__init__.py
        # file: pkg/a.py
        from pkg import b
        # file: pkg/b.py
        from pkg import a
    ''', path="pkg/a.py")

Snippets are dedented, so they can be written indented inside the test.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from codeopt.analysis.graph import build_graph
from codeopt.analysis.pipeline import analyze_source
from codeopt.analysis.project import ProjectAnalysis
from codeopt.analysis.suppressions import is_suppressed
from codeopt.rules.base import Finding, Invalid, Rule, Valid
from codeopt.source.parsing import SourceFile

__all__ = ["ExampleFailure", "check_examples", "module_name", "run_rule", "split_files"]

_MARKER = re.compile(r"^# file: *(\S+) *$", re.MULTILINE)


class ExampleFailure(AssertionError):
    """A rule example that does not behave as declared; the message shows what the rule reported."""


def module_name(path: str) -> tuple[str, bool]:
    """(dotted module name, is_package) of a posix path relative to the project root."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def split_files(code: str, path: str = "example.py") -> dict[str, str]:
    """The files of a snippet: ``{path: text}``, split on ``# file: NAME`` marker lines."""
    text = textwrap.dedent(code)
    markers = list(_MARKER.finditer(text))
    if not markers:
        return {path: text.lstrip("\n")}
    files: dict[str, str] = {}
    head = text[: markers[0].start()].strip("\n")
    if head.strip():
        files[path] = head + "\n"
    for index, marker in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(text)
        files[marker.group(1)] = text[marker.end() + 1 : end]
    return files


def run_rule(
    rule_cls: type[Rule],
    code: str,
    *,
    options: Mapping[str, object] | None = None,
    path: str = "example.py",
    extra_files: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings of one rule on a snippet, after inline suppressions, sorted by path and line.

    Every file goes through the real pipeline (``analyze_source``, then ``build_graph``), so a rule
    sees exactly what it sees in ``codeopt analyze``; exceptions propagate to the test.
    """
    files = split_files(code, path)
    for name, text in (extra_files or {}).items():
        files[name] = textwrap.dedent(text)
    analyses = []
    for name, text in files.items():
        module, is_package = module_name(name)
        source = SourceFile(
            path=Path(name),  # never opened: the text is given
            display=name,
            module=module,
            is_package=is_package,
            text=text,
        )
        analyses.append(analyze_source(source))
    project = ProjectAnalysis(root=".", files=tuple(analyses), graph=build_graph(analyses))
    suppressions = {f.path: f.suppressions for f in analyses}
    rule = rule_cls(options)
    findings = [
        f
        for f in rule.check_project(project)
        if not is_suppressed(suppressions.get(f.path, ()), f.rule_id, f.line, f.end_line)
    ]
    return sorted(findings, key=lambda f: (f.path, f.line, f.message))


def check_examples(rule_cls: type[Rule]) -> None:
    """Every VALID example gives no finding; every INVALID one gives a finding where it says.

    Also checks what every finding must be: the rule's own id, a one-line message, and a proposal.
    """
    problems: list[str] = []
    for index, valid in enumerate(rule_cls.VALID):
        problems.extend(_check_valid(rule_cls, index, valid))
    for index, invalid in enumerate(rule_cls.INVALID):
        problems.extend(_check_invalid(rule_cls, index, invalid))
    if problems:
        raise ExampleFailure(f"{rule_cls.id} {rule_cls.name}:\n" + "\n".join(problems))


def _check_valid(rule_cls: type[Rule], index: int, example: Valid) -> list[str]:
    findings = run_rule(rule_cls, example.code, options=example.options, path=example.path)
    if not findings:
        return []
    return [f"  VALID[{index}] expected no finding, got:", *_describe(findings)]


def _check_invalid(rule_cls: type[Rule], index: int, example: Invalid) -> list[str]:
    findings = run_rule(rule_cls, example.code, options=example.options, path=example.path)
    problems = [f"  INVALID[{index}] {line}" for f in findings for line in _malformed(rule_cls, f)]
    wanted = [
        f
        for f in findings
        if f.path == example.path
        and (example.line is None or f.line == example.line)
        and (example.message is None or example.message in f.message)
    ]
    if not wanted:
        where = f"{example.path}:{example.line}" if example.line else example.path
        text = f" containing {example.message!r}" if example.message else ""
        problems.append(f"  INVALID[{index}] expected a finding at {where}{text}, got:")
        problems.extend(_describe(findings) or ["    (no findings)"])
    return problems


def _malformed(rule_cls: type[Rule], finding: Finding) -> list[str]:
    problems = []
    if finding.rule_id != rule_cls.id:
        problems.append(f"finding carries rule id {finding.rule_id}, not {rule_cls.id}")
    if "\n" in finding.message or not finding.message.strip():
        problems.append(f"message must be one non-empty line: {finding.message!r}")
    if not finding.proposal.strip():
        problems.append("finding has no proposal")
    return problems


def _describe(findings: list[Finding]) -> list[str]:
    return [f"    {f.path}:{f.line}: {f.rule_id} {f.message}" for f in findings]

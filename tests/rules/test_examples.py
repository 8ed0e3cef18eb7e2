"""Every built-in rule's VALID/INVALID examples are its tests, and docs/rules.md follows the rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codeopt.rules.base import Invalid, Rule, Valid
from codeopt.rules.docs import main as docs_main
from codeopt.rules.docs import render
from codeopt.rules.registry import discover_rules
from codeopt.testing import ExampleFailure, check_examples, run_rule, split_files

ROOT = Path(__file__).resolve().parents[2]
RULES = list(discover_rules().values())


def test_the_expected_rules_are_discovered() -> None:
    assert {"CO101", "CO102", "CO103", "CO201", "CO202", "CO301", "CO302"} <= set(discover_rules())


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.id}-{r.name}")
def test_examples(rule: type[Rule]) -> None:
    check_examples(rule)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.id}-{r.name}")
def test_rule_metadata_is_complete(rule: type[Rule]) -> None:
    assert len(rule.VALID) >= 2 and len(rule.INVALID) >= 2, "at least two examples of each kind"
    assert rule.summary.strip().endswith(".") and "\n" not in rule.summary.strip()
    assert len(rule.why) > 200, "the rationale says why, with numbers or mechanisms"
    assert rule.use_instead.strip() and rule.fix_safety.strip()
    assert all(option.description.strip() for option in rule.options)
    assert rule.fix is None or "PATH" in rule.fix
    assert all(inv.line is not None for inv in rule.INVALID), "INVALID examples say where they report"
    rule()  # default options are valid


def test_docs_are_up_to_date() -> None:
    expected = render(discover_rules().values())
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `python -m codeopt.rules.docs`"
    )


def test_docs_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path: Path) -> None:
    output = tmp_path / "rules.md"
    output.write_text("# old\n", encoding="utf-8")
    assert docs_main(["--check", "--output", str(output)]) == 1
    assert docs_main(["--output", str(output)]) == 0
    assert docs_main(["--check", "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"## {rule.id} {rule.name}" in text
    assert "### Why is this bad" in text and "### Fix safety" in text


def test_check_examples_reports_what_the_rule_found() -> None:
    """A wrong example fails with the findings the rule actually produced."""
    complex_function = discover_rules()["CO102"]

    class Wrong(complex_function):  # type: ignore[valid-type,misc]
        abstract = True
        VALID = (Valid(complex_function.INVALID[1].code),)
        INVALID = (Invalid("def f():\n    return 1\n", line=1),)

    with pytest.raises(ExampleFailure) as failure:
        check_examples(Wrong)
    text = str(failure.value)
    assert "VALID[0] expected no finding" in text and "cyclomatic complexity 17" in text
    assert "INVALID[0] expected a finding at example.py:1" in text and "(no findings)" in text


def test_split_files_reads_markers() -> None:
    files = split_files(
        """
        # file: pkg/__init__.py
        # file: pkg/a.py
        import pkg.b
        # file: pkg/b.py
        X = 1
        """
    )
    assert files == {"pkg/__init__.py": "", "pkg/a.py": "import pkg.b\n", "pkg/b.py": "X = 1\n"}
    assert split_files("x = 1\n", "m.py") == {"m.py": "x = 1\n"}


def test_run_rule_applies_inline_suppressions_and_extra_files() -> None:
    complex_function = discover_rules()["CO102"]
    code = textwrap.dedent(complex_function.INVALID[1].code)
    assert run_rule(complex_function, code)
    suppressed = code.replace("def classify(x):", "def classify(x):  # codeopt: ignore[CO102]")
    assert run_rule(complex_function, suppressed) == []
    findings = run_rule(complex_function, "x = 1\n", extra_files={"other.py": code})
    assert [f.path for f in findings] == ["other.py"]

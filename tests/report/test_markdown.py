"""The Markdown report: a GitHub comment that fits, says what it cut, and escapes what it quotes."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from codeopt.report import mdtext
from codeopt.report.markdown import LIMIT, render_markdown
from codeopt.report.view import ReportOptions

ALLOWED_TAGS = {"<details>", "</details>", "<summary>", "</summary>", "<sub>", "</sub>"}


def outside_code(markdown: str) -> str:
    """The text GitHub renders as Markdown/HTML: fenced blocks and code spans removed."""
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", text)


def fences_balanced(markdown: str) -> bool:
    opened: str | None = None
    for line in markdown.splitlines():
        match = re.match(r"^(`{3,})", line)
        if match and opened is None:
            opened = match.group(1)
        elif match and line.strip() == opened:
            opened = None
    return opened is None


@pytest.fixture(scope="module")
def markdown(gitkit_doc: dict[str, Any], gitkit: Path) -> str:
    return render_markdown(gitkit_doc, options=ReportOptions(include_plans=True, source_root=gitkit))


def test_summary_first_then_folded_details(markdown: str, gitkit_doc: dict[str, Any]) -> None:
    first = markdown.split("<details>", 1)[0]
    summary = gitkit_doc["summary"]
    rank = {"error": 0, "warning": 1, "info": 2}
    by_severity = sorted(summary["findings_by_severity"].items(), key=lambda item: rank[item[0]])
    severities = ", ".join(f"{n} {sev}" for sev, n in by_severity)
    assert first.startswith("## codeopt report: `gitkit`")
    size = "14 files · 3,274 lines · **2,414 SLOC** · 219 functions"
    assert f"{size} · **{summary['findings']} findings** ({severities})" in first
    for rule, count in summary["findings_by_rule"].items():
        assert re.search(rf"^\| {rule} \| [a-z-]+ \| {count} \| ", first, re.MULTILINE)
        assert re.search(rf"<details><summary>{rule} [a-z-]+: {count} findings?</summary>\n\n", markdown)
    monolith = sum(1 for f in gitkit_doc["findings"] if f["path"] == "gitkit/git_advanced.py")
    assert f"| `gitkit/git_advanced.py` | 1,323 | 19 | 0.0 | 1 | {monolith} |" in first
    assert markdown.count("<details>") == markdown.count("</details>")
    assert "Shortened" not in markdown  # the fixture fits whole
    assert len(markdown) <= LIMIT


def test_every_module_and_finding_is_in_the_comment(markdown: str, gitkit_doc: dict[str, Any]) -> None:
    for entry in gitkit_doc["files"]:
        assert f"| `{entry['path']}` | {entry['raw']['loc']:,} | {entry['raw']['sloc']:,} |" in markdown
    for finding in gitkit_doc["findings"]:
        assert f"**{finding['severity']}** `{finding['path']}:{finding['line']}`" in markdown


def test_code_is_fenced_and_fences_balance(markdown: str) -> None:
    assert fences_balanced(markdown)
    assert re.search(
        r"```python\n(  .*\n)*> 46  def _coerce\(name: str, raw: Any, default: Any\) -> Any:", markdown
    )
    assert "```python\ndef _coerce_if_block(default, raw, name):\n    ...\n```" in markdown


def test_markup_is_only_ever_shown_as_code(hostile: tuple[Path, dict[str, Any]]) -> None:
    root, doc = hostile
    markdown = render_markdown(doc, options=ReportOptions(source_root=root))
    assert '  2  BANNER = "<script>alert(1)</script>"' in markdown  # verbatim, inside the excerpt fence
    assert "`proj<img src=x onerror=alert(2)>`" in markdown  # the name as a code span
    rendered = outside_code(markdown)
    assert set(re.findall(r"</?[a-zA-Z][^>]*>", rendered)) <= ALLOWED_TAGS
    assert fences_balanced(markdown)


def test_a_big_project_is_cut_to_fit_and_says_what_was_cut(gitkit_doc: dict[str, Any], gitkit: Path) -> None:
    big = copy.deepcopy(gitkit_doc)
    copies = 60  # 840 files and 60 times the findings: far over a comment's limit when complete
    big["files"] = [{**f, "path": f"c{i}/{f['path']}"} for i in range(copies) for f in gitkit_doc["files"]]
    big["findings"] = [
        {**f, "path": f"c{i}/{f['path']}"} for i in range(copies) for f in gitkit_doc["findings"]
    ]
    options = ReportOptions(source_root=gitkit)
    markdown = render_markdown(big, options=options)
    assert len(markdown) <= LIMIT
    note = next(line for line in markdown.splitlines() if line.startswith("> Shortened"))
    assert re.search(r"modules table \d+ of 840 rows", note)
    total = f"{copies * len(gitkit_doc['findings']):,}"
    assert re.search(rf"[\d,]+ of {total} findings listed \(at most \d+ per rule", note)
    assert fences_balanced(markdown) and markdown.count("<details>") == markdown.count("</details>")
    # the loosest limits that fit were used: the next looser level would not have fitted
    assert len(markdown) > LIMIT * 0.5


def test_when_nothing_fits_the_text_is_cut_cleanly(gitkit_doc: dict[str, Any]) -> None:
    markdown = render_markdown(gitkit_doc, limit=1500)
    assert len(markdown) <= 1500
    assert markdown.rstrip().endswith("the report is longer than a GitHub comment allows.")
    assert fences_balanced(markdown) and markdown.count("<details>") == markdown.count("</details>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a | b", r"a \| b"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("__init__.py and snake_case", r"\_\_init\_\_.py and snake_case"),
        ("*x* [y](z) `q", r"\*x\* \[y\](z) \`q"),
    ],
)
def test_text_escaping(value: str, expected: str) -> None:
    assert mdtext.text(value) == expected


def test_code_spans_and_fences_outlast_backticks_inside() -> None:
    assert mdtext.code("a``b") == "```a``b```"
    assert mdtext.code("`x") == "`` `x ``"
    assert mdtext.code("a|b", in_table=True) == r"`a\|b`"
    assert mdtext.fence("x = '''\n```\n'''", "python") == "````python\nx = '''\n```\n'''\n````"
    assert mdtext.cell("use `a|b` <here>") == r"use `a\|b` &lt;here&gt;"

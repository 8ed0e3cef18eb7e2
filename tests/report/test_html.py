"""The HTML report of the gitkit fixture: every section and module, numbers traced to the JSON,
markup from the analysed code escaped, and nothing that could make the page load anything."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from codeopt.report.html import render_html
from codeopt.report.view import ReportOptions

SECTIONS = ("summary", "modules", "graph", "findings", "plans", "imports", "trend")


class Page(HTMLParser):
    """Elements with their attributes and the text inside them (enough to check a report)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[list[str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, {k: v or "" for k, v in attrs}, text))
        if tag not in ("meta", "link", "br", "circle", "rect", "path", "col", "input", "img"):
            self._open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag not in ("meta", "link", "br", "circle", "rect", "path", "col", "input", "img"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for text in self._open:
            text.append(data)

    def traced(self, key: str) -> list[str]:
        """Text of every element whose data-json names ``key``."""
        return ["".join(text) for _, attrs, text in self.elements if attrs.get("data-json") == key]


@pytest.fixture(scope="module")
def html(gitkit_doc: dict[str, Any], gitkit: Path) -> str:
    return render_html(gitkit_doc, options=ReportOptions(include_plans=True, source_root=gitkit))


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


def number(text: str) -> float:
    return float(text.strip().replace(",", ""))


def test_every_section_is_there(page: Page) -> None:
    ids = {attrs.get("id") for tag, attrs, _ in page.elements if tag == "section"}
    assert set(SECTIONS) <= ids


def test_every_module_has_a_row_with_its_numbers(page: Page, gitkit_doc: dict[str, Any]) -> None:
    rows = {
        attrs["data-json"]: text
        for tag, attrs, text in page.elements
        if tag == "tr" and attrs.get("data-json", "").startswith("files[")
    }
    table = [attrs for tag, attrs, _ in page.elements if tag == "table" and attrs.get("id") == "module-table"]
    assert table, "no module table"
    cells = _module_table_cells(page)
    assert len(cells) == len(gitkit_doc["files"]) == 14
    for index, entry in enumerate(gitkit_doc["files"]):
        assert f"files[{index}]" in rows
        row = cells[entry["path"]]
        assert row["SLOC"] == entry["raw"]["sloc"] and row["LOC"] == entry["raw"]["loc"]
        assert row["CC max"] == entry["cc"]["max"] and row["LCOM4"] == entry["cohesion"]["lcom4"]
        assert row["MI"] == pytest.approx(entry["mi"], abs=0.05)


def _module_table_cells(page: Page) -> dict[str, dict[str, float]]:
    """path -> {column header: data-v} for the module table (read in document order)."""
    inside, headers, rows = False, [], {}
    current: list[tuple[dict[str, str], str]] = []
    for tag, attrs, text in page.elements:
        if tag == "table":
            inside = attrs.get("id") == "module-table"
        elif inside and tag == "th":
            headers.append("".join(text))
        elif inside and tag == "tr" and current:
            rows[current[0][1]] = current
            current = []
        elif inside and tag == "td":
            current.append((attrs, "".join(text)))
    if current:
        rows[current[0][1]] = current
    return {
        path: {h: float(a["data-v"]) for h, (a, _) in zip(headers, cells, strict=True) if a.get("data-v")}
        for path, cells in rows.items()
    }


def test_summary_numbers_are_the_json_summary(page: Page, gitkit_doc: dict[str, Any]) -> None:
    summary = gitkit_doc["summary"]
    for key in ("files", "loc", "sloc", "functions", "findings", "import_time_cycles"):
        (shown,) = page.traced(f"summary.{key}")
        assert number(shown) == summary[key], key
    assert number(page.traced("summary.sloc")[0]) == 2414  # the fixture's size, as the README says
    for rule, count in summary["findings_by_rule"].items():
        assert [number(t) for t in page.traced(f"summary.findings_by_rule.{rule}")] == [count]
    for severity, count in summary["findings_by_severity"].items():
        assert number(page.traced(f"summary.findings_by_severity.{severity}")[0]) == count


def test_every_finding_is_shown_where_the_json_puts_it(page: Page, gitkit_doc: dict[str, Any]) -> None:
    for index, finding in enumerate(gitkit_doc["findings"]):
        (text,) = page.traced(f"findings[{index}]")
        assert f"{finding['path']}:{finding['line']}" in text
        assert finding["severity"] in text


def test_findings_have_excerpts_and_code_blocks(html: str) -> None:
    # CO102 on gitkit/config.py:46: the excerpt shows the def line, highlighted and marked
    assert re.search(
        r'<span class="l hit"><span class="ln"[^>]*>46</span>'
        r'<span class="kw">def</span> <span class="fn">_coerce</span>',
        html,
    )
    # proposals keep their code: the extracted helper is a code block, not prose
    assert re.search(r"<pre><code>def _coerce_if_block\(default, raw, name\):\n    \.\.\.</code></pre>", html)


def test_graph_draws_every_module_and_no_cycle(page: Page, gitkit_doc: dict[str, Any]) -> None:
    circles = [attrs for tag, attrs, _ in page.elements if tag == "circle"]
    assert len(circles) == len(gitkit_doc["graph"]["modules"])
    titles = ["".join(text) for tag, _, text in page.elements if tag == "title"]
    assert any(t.startswith("gitkit.git_advanced: 1,323 SLOC") for t in titles)
    assert not [attrs for tag, attrs, _ in page.elements if tag == "path" and attrs.get("class") == "cycle"]


def test_proposed_split_lists_the_groups_and_promises_no_diff(html: str, page: Page) -> None:
    (plans,) = ["".join(t) for tag, a, t in page.elements if tag == "section" and a.get("id") == "plans"]
    assert "No diffs in this report." in plans and "codeopt split" in plans and "codeopt optimize" in plans
    assert "_run_git" in plans and "and 17 more" in plans
    assert "diff --git" not in plans and "@@ " not in plans


def test_without_plan_flags_there_is_no_split_section(gitkit_doc: dict[str, Any]) -> None:
    html = render_html(gitkit_doc)
    assert 'id="plans"' not in html and 'id="findings"' in html


def test_not_measured_and_no_comparison_are_said(page: Page) -> None:
    sections = {a.get("id"): "".join(t) for tag, a, t in page.elements if tag == "section"}
    assert "Not measured." in sections["imports"]
    assert "No comparison" in sections["trend"]


def test_measured_imports_are_charted_before_and_after(gitkit_doc: dict[str, Any]) -> None:
    def cost(module: str, us: int) -> dict[str, Any]:
        return {
            "module": module,
            "cumulative_us": us,
            "self_us": 1,
            "modules_loaded": 7,
            "runs": 5,
            "error": "",
        }

    after = copy.deepcopy(gitkit_doc)
    after["measured_imports"] = {"json": cost("json", 8000), "sqlite3": cost("sqlite3", 12500)}
    after["measured_imports"]["nope"] = {**cost("nope", 0), "error": "ModuleNotFoundError"}
    before = copy.deepcopy(gitkit_doc)
    before["measured_imports"] = {"json": cost("json", 10000)}
    page = Page(render_html(after, before=before))
    (imports,) = ["".join(t) for tag, a, t in page.elements if tag == "section" and a.get("id") == "imports"]
    assert "12.5 ms" in imports and "8.0 ms (was 10.0)" in imports
    assert "nope" in imports and "ModuleNotFoundError" in imports
    assert imports.index("sqlite3") < imports.index("json")  # heaviest first
    bars = [a for tag, a, _ in page.elements if tag == "rect" and a.get("class") == "now"]
    assert [float(b["width"]) for b in bars] == [420.0, 268.8]  # 12.5 ms is the full bar; 8/12.5 of it


def test_markup_in_the_code_is_escaped(hostile: tuple[Path, dict[str, Any]]) -> None:
    root, doc = hostile
    html = render_html(doc, options=ReportOptions(source_root=root))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the excerpt shows it ...
    assert "<script>alert" not in html  # ... and it never becomes a tag
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html  # the project name
    assert html.count("<script>") == 1  # the report's own sorting script


def test_the_page_asks_for_nothing(html: str, page: Page) -> None:
    for tag, attrs, _ in page.elements:
        for name in ("src", "srcset", "action", "poster", "data", "xlink:href", "background"):
            assert name not in attrs, (tag, attrs)
        href = attrs.get("href")
        assert href is None or href.startswith("#"), (tag, attrs)
    assert "@import" not in html and "url(" not in html.replace("url(#arrow", "")
    links = re.findall(r"https?://[^\s\"'<>)]+", html)
    assert set(links) <= {"http://www.w3.org/2000/svg"}, links  # the SVG namespace, never fetched
    assert "default-src 'none'" in html  # and the CSP would block anything that slipped in

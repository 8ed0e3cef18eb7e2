"""The HTML report in a real browser (Debian's headless Chromium over the DevTools protocol).

Loads the gitkit report and checks what a reader gets: no console errors, no request but the file
itself (Chromium also runs behind a dead proxy, so anything else would fail loudly), sortable
tables, a complete page with JavaScript off, a PDF for print. Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codeopt.report.html import render_html
from codeopt.report.view import ReportOptions
from tests.report.cdp import Browser, browser
from tests.report.conftest import ARTIFACTS


@pytest.fixture(scope="module")
def page(chromium: str) -> Iterator[Browser]:
    with browser(chromium, width=1280, height=1000) as instance:
        yield instance


@pytest.fixture(scope="module")
def report(gitkit_doc: dict[str, Any], gitkit: Path) -> Path:
    path = gitkit.parent / "report.html"
    path.write_text(
        render_html(
            gitkit_doc, before=gitkit_doc, options=ReportOptions(include_plans=True, source_root=gitkit)
        ),
        encoding="utf-8",
    )
    return path


def test_loads_without_errors_or_requests(page: Browser, report: Path) -> None:
    load = page.load(report.as_uri())
    assert load.console_errors == []
    assert load.requests == [report.as_uri()]
    assert load.failed == []
    assert 0 < load.load_ms < 3000
    assert page.evaluate("document.title") == "codeopt report: gitkit"
    assert page.evaluate("document.querySelectorAll('#module-table tbody tr').length") == 14
    shot = page.screenshot(ARTIFACTS / "report-gitkit.png")
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_a_column_header_sorts_the_module_table(page: Browser, report: Path) -> None:
    page.load(report.as_uri())
    column = "#module-table th:nth-child(3)"  # SLOC
    read = "Array.from(document.querySelectorAll('#module-table tbody tr')).map(r => +r.cells[2].dataset.v)"
    page.evaluate(f"document.querySelector('{column}').click()")
    largest_first = page.evaluate(read)
    assert largest_first == sorted(largest_first, reverse=True) and largest_first[0] == 1323
    assert page.evaluate(f"document.querySelector('{column}').getAttribute('aria-sort')") == "descending"
    page.evaluate(f"document.querySelector('{column}').click()")
    assert page.evaluate(read) == sorted(largest_first)
    page.evaluate("document.querySelector('#module-table th:nth-child(1)').click()")
    paths = page.evaluate(
        "Array.from(document.querySelectorAll('#module-table tbody tr')).map(r => r.cells[0].textContent)"
    )
    assert paths == sorted(paths)


def test_complete_without_javascript(page: Browser, report: Path) -> None:
    page.send("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        load = page.load(report.as_uri())
        assert load.console_errors == []
        ran = page.evaluate("document.documentElement.classList.contains('js')")
        assert ran is False  # the sorting script did not run
        # textContent, not innerText: sections below the fold are laid out only when scrolled to
        # (content-visibility), and innerText leaves out what is not laid out yet
        headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        assert headings == [
            "Summary",
            "Modules",
            "Import graph",
            "Findings",
            "Proposed split",
            "Import time",
            "Trend",
        ]
        content = page.evaluate("document.body.textContent")
        assert "gitkit/git_advanced.py" in content and "_coerce_if_block" in content
        assert page.evaluate("document.querySelectorAll('svg circle').length") == 14
        page.screenshot(ARTIFACTS / "report-gitkit-nojs.png")
    finally:
        page.send("Emulation.setScriptExecutionDisabled", {"value": False})


def test_prints(page: Browser, report: Path) -> None:
    page.load(report.as_uri())
    import base64

    pdf = base64.b64decode(page.send("Page.printToPDF", {"printBackground": False})["data"])
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 3
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report-gitkit.pdf").write_bytes(pdf)


def test_hostile_code_does_not_run(page: Browser, hostile: tuple[Path, dict[str, Any]]) -> None:
    root, doc = hostile
    path = root.parent / "hostile.html"
    path.write_text(render_html(doc, options=ReportOptions(source_root=root)), encoding="utf-8")
    load = page.load(path.as_uri())
    assert load.console_errors == [] and load.requests == [path.as_uri()]
    assert not [e for e in page.events if e.get("method") == "Page.javascriptDialogOpening"]
    assert "<script>alert(1)</script>" in page.evaluate("document.querySelector('pre.excerpt').textContent")

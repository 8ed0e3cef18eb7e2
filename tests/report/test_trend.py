"""``--compare BEFORE.json``: totals, findings per rule and per-module deltas, checked by hand.

BEFORE has ``a.py`` (one function, one ``if``) and ``c.py`` (``X = 1``). AFTER changes ``a.py`` (a
second, unrelated function with a ``for`` and an ``if``), drops ``c.py`` and adds ``b.py`` (fourteen
``if`` statements in one function: a CO102 finding). By hand:

* a.py SLOC 4 -> 9; CC (radon's module total: 1 + decision points) 1+1 = 2 -> 1+1+2 = 4; LCOM4 1 -> 2
  (``f`` and ``g`` share nothing); MI 100 -> 100 (tiny modules sit at radon's cap).
* SLOC 4+1 = 5 -> 9+30 = 39; files 2 -> 2; functions 1 -> 3; CO102 findings 0 -> 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codeopt.errors import ConfigError
from codeopt.report.html import render_html
from codeopt.report.trend import compare, load_before
from tests.report.conftest import analyse

A_BEFORE = "def f(x):\n    if x:\n        return 1\n    return 2\n"
A_AFTER = A_BEFORE + "\n\ndef g(y):\n    for i in y:\n        if i:\n            return i\n    return None\n"
B_AFTER = (
    "def big(x):\n"
    + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(1, 15))
    + "    return 0\n"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], Path]:
    base = tmp_path_factory.mktemp("trend")
    for name, files in {
        "before": {"a.py": A_BEFORE, "c.py": "X = 1\n"},
        "after": {"a.py": A_AFTER, "b.py": B_AFTER},
    }.items():
        (base / name).mkdir()
        (base / name / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\n")
        for file, text in files.items():
            (base / name / file).write_text(text)
    before, after = analyse(base / "before", base), analyse(base / "after", base)
    (base / "before.json").write_text(json.dumps(before))
    return before, after, base


def test_totals_and_rules(runs: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    before, after, _ = runs
    trend = compare(before, after, "before.json")
    totals = {d.label: (d.before, d.after, d.change) for d in trend.totals}
    assert totals["SLOC"] == (5, 39, 34)
    assert totals["files"] == (2, 2, 0)
    assert totals["functions"] == (1, 3, 2)
    assert totals["findings"] == (0, 1, 1)
    assert [(d.label, d.before, d.after, d.change) for d in trend.rules] == [("CO102", 0, 1, 1)]


def test_modules_in_both_runs_get_deltas(runs: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    before, after, _ = runs
    trend = compare(before, after, "before.json")
    (a,) = trend.modules
    assert a.name == "a" and a.path == "after/a.py"
    assert (a.sloc.before, a.sloc.after, a.sloc.change) == (4, 9, 5)
    assert (a.cc_total.before, a.cc_total.after, a.cc_total.change) == (2, 4, 2)
    assert (a.lcom4.before, a.lcom4.after, a.lcom4.change) == (1, 2, 1)
    assert (a.mi.before, a.mi.after, a.mi.change) == (100.0, 100.0, 0)
    assert trend.added == ("b",) and trend.removed == ("c",) and trend.unchanged == 0


def test_the_html_trend_shows_the_same_numbers(runs: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    before, after, _ = runs
    html = render_html(after, before=before)
    section = html[html.index('<section id="trend">') : html.index("</section>", html.index('id="trend"'))]
    assert '<td>SLOC</td><td class="n" data-v="5">5</td><td class="n" data-v="39">39</td>' in section
    assert 'data-v="34">+34</td>' in section
    assert '<td class="path" title="after/a.py">a</td>' in section
    assert "<code>b</code>" in section and "<code>c</code>" in section


def test_the_cli_compares_with_a_json_file(
    codeopt: Any, runs: tuple[dict[str, Any], dict[str, Any], Path]
) -> None:
    _, _, base = runs
    result = codeopt(
        "report", "after", "--compare", "before.json", "--format", "markdown", "--no-cache", cwd=base
    )
    assert result.code == 0, result.err
    assert "**Trend** against `before.json`:" in result.out
    assert "| SLOC | 5 | 39 | +34 |" in result.out
    assert "| findings | 0 | 1 | +1 |" in result.out
    assert "| `a` | 4 → 9 | +5 | 2 → 4 | +2 | 100.0 → 100.0 | 0 | 1 → 2 | +1 |" in result.out
    assert "1 module in both runs changed, 0 did not; 1 added, 1 removed." in result.out


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "is not JSON"),
        ('{"schema": "something-else", "version": 1}', "is not `codeopt analyze --format json` output"),
        ('{"schema": "codeopt-analysis", "version": 99}', "schema version 99"),
        ('{"schema": "codeopt-analysis", "version": 1, "summary": {}}', "incomplete .*'files'"),
    ],
)
def test_a_bad_before_file_is_a_config_error(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "before.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=reason):
        load_before(path)

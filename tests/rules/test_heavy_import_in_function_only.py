"""CO202 beyond its examples: project-wide closure, never-lazy, measured costs, proposals."""

from __future__ import annotations

from codeopt.analysis.import_cost import ImportCost
from codeopt.analysis.project import ProjectAnalysis
from codeopt.rules.registry import discover_rules
from codeopt.testing import run_rule

RULE = discover_rules()["CO202"]
LOW = {"min-cost-ms": 0.5}  # every module qualifies: these tests are about usage, not cost


def test_reports_once_per_statement_with_the_functions_and_the_proxy() -> None:
    (finding,) = run_rule(
        RULE,
        """
        import json

        class Store:
            def save(self, data):
                return json.dumps(data)

        def load(text):
            return json.loads(text)
        """,
        options=LOW,
    )
    assert finding.line == 1 and finding.fix == "codeopt optimize example.py --lazy-imports"
    assert (
        "`import json` takes ~" in finding.message and "2 functions: `Store.save`, `load`" in finding.message
    )
    assert 'json = lazy_import("json")' in finding.proposal
    assert "from codeopt_runtime.lazy import lazy_import" in finding.proposal


def test_from_import_proposal_qualifies_names_and_keeps_isinstance_working() -> None:
    (finding,) = run_rule(
        RULE,
        """
        from decimal import Decimal, InvalidOperation

        def parse(text):
            try:
                return Decimal(text)
            except InvalidOperation:
                return None
        """,
        options=LOW,
    )
    assert 'decimal = lazy_import("decimal")' in finding.proposal
    assert "`Decimal` -> `decimal.Decimal` (lines 5)" in finding.proposal
    assert "`InvalidOperation` -> `decimal.InvalidOperation`" in finding.proposal
    assert "isinstance" in finding.proposal


def test_one_name_used_at_import_time_keeps_the_whole_statement() -> None:
    code = """
        from decimal import Decimal, localcontext

        ZERO = Decimal(0)

        def rounded(x):
            with localcontext() as ctx:
                return ctx.create_decimal(x)
        """
    assert run_rule(RULE, code, options=LOW) == []


def test_rebound_or_star_or_type_checking_imports_are_left_alone() -> None:
    assert run_rule(RULE, "import json\njson = None\ndef f():\n    return json\n", options=LOW) == []
    assert run_rule(RULE, "from json import *\ndef f():\n    return dumps(1)\n", options=LOW) == []
    code = """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import json
        def f(x: "json.JSONDecoder"):
            pass
        """
    assert run_rule(RULE, code, options=LOW) == []


def test_script_entry_point_uses_do_not_block_laziness() -> None:
    code = """
        import argparse

        def main():
            return argparse.ArgumentParser().parse_args()

        if __name__ == "__main__":
            print(argparse.__name__, main())
        """
    (finding,) = run_rule(RULE, code, options=LOW)
    assert "only inside 1 function: `main`" in finding.message


def test_imports_inside_the_main_block_are_not_import_time_imports() -> None:
    code = """
        if __name__ == "__main__":
            import argparse

            def main():
                return argparse.ArgumentParser()
        """
    assert run_rule(RULE, code, options=LOW) == []


def test_never_lazy_covers_submodules() -> None:
    code = "import sqlalchemy.events\ndef f():\n    return sqlalchemy.events\n"
    assert run_rule(RULE, code, options={"min-cost-ms": 0.0}) == []
    assert run_rule(RULE, code, options={"min-cost-ms": 0.0, "never-lazy": ()})


def test_module_already_loaded_by_an_eager_project_import_gains_nothing() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/helpers.py": "import json\nCONFIG = json.loads('{}')\n",
        "pkg/app.py": "from pkg import helpers\nimport json\n\ndef dump(x):\n    return json.dumps(x)\n",
    }
    code = "".join(f"# file: {name}\n{text}" for name, text in files.items())
    assert run_rule(RULE, code, options=LOW, path="pkg/app.py") == []
    # the same import in a module that loads nothing else is reported
    lone = code.replace("from pkg import helpers\n", "")
    assert [f.path for f in run_rule(RULE, lone, options=LOW, path="pkg/app.py")] == ["pkg/app.py"]


def test_package_init_imports_count_as_already_loaded() -> None:
    files = {
        "pkg/__init__.py": "import json\nVERSION = json.dumps(1)\n",
        "pkg/app.py": "import json\n\ndef dump(x):\n    return json.dumps(x)\n",
    }
    code = "".join(f"# file: {name}\n{text}" for name, text in files.items())
    assert run_rule(RULE, code, options=LOW, path="pkg/app.py") == []


def test_project_modules_are_not_reported() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/heavy.py": "X = 1\n",
        "pkg/app.py": "from pkg import heavy\ndef f():\n    return heavy.X\n",
    }
    code = "".join(f"# file: {name}\n{text}" for name, text in files.items())
    assert run_rule(RULE, code, options={"min-cost-ms": 0.0}, path="pkg/app.py") == []


def test_measured_costs_win_over_estimates() -> None:
    (estimated,) = run_rule(RULE, "import pandas\n\ndef f(x):\n    return pandas.read_csv(x)\n")
    assert "(bundled estimate)" in estimated.message
    code = "import json\n\ndef f(x):\n    return json.dumps(x)\n"
    project = _project(code)
    measured = {"json": ImportCost("json", cumulative_us=250_000, self_us=1000, modules_loaded=9, runs=5)}
    rule = RULE({"min-cost-ms": 100.0})
    (finding,) = rule.check_project(ProjectAnalysis(project.root, project.files, project.graph, measured))
    assert "~250 ms to import (measured)" in finding.message
    cheap = {"json": ImportCost("json", cumulative_us=2_000, self_us=1000, modules_loaded=9, runs=5)}
    assert (
        list(
            RULE({"min-cost-ms": 5.0}).check_project(
                ProjectAnalysis(project.root, project.files, project.graph, cheap)
            )
        )
        == []
    )


def test_optional_dependency_gets_a_probe_and_no_automatic_fix() -> None:
    code = RULE.INVALID[2].code
    (finding,) = run_rule(RULE, code, options=LOW)
    assert finding.fix == "" and 'importlib.util.find_spec("yaml")' in finding.proposal
    assert run_rule(RULE, code, options={**LOW, "report-optional": False}) == []


def test_dotted_import_proxy_binds_the_top_package() -> None:
    (finding,) = run_rule(
        RULE, "import urllib.request\n\ndef get(u):\n    return urllib.request.urlopen(u)\n", options=LOW
    )
    assert 'urllib = lazy_import("urllib.request", bind="top")' in finding.proposal


def test_names_only_called_get_call_forwarding_proxies() -> None:
    code = """
        from difflib import SequenceMatcher as SM, unified_diff

        def f(a, b):
            return SM(None, a, b), unified_diff(a, b)
        """
    (finding,) = run_rule(RULE, code, options=LOW)
    assert 'SM = lazy_from("difflib", "SequenceMatcher")' in finding.proposal
    assert 'unified_diff = lazy_from("difflib", "unified_diff")' in finding.proposal
    assert "rename" not in finding.proposal


def _project(code: str) -> ProjectAnalysis:
    from pathlib import Path

    from codeopt.analysis.graph import build_graph
    from codeopt.analysis.pipeline import analyze_source
    from codeopt.source.parsing import SourceFile
    from codeopt.testing import module_name

    module, is_package = module_name("example.py")
    analysis = analyze_source(SourceFile(Path("example.py"), "example.py", module, is_package, code))
    return ProjectAnalysis(".", (analysis,), build_graph([analysis]))

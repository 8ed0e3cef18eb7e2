"""CO302 beyond its examples."""

from __future__ import annotations

import textwrap

from codeopt.rules.registry import discover_rules
from codeopt.testing import run_rule

RULE = discover_rules()["CO302"]


def test_proposal_shows_the_lazy_attribute_and_the_fix() -> None:
    (finding,) = run_rule(RULE, RULE.INVALID[0].code)
    assert finding.fix == "codeopt optimize example.py --lazy-attributes"
    assert "@lazy_attribute" in finding.proposal and "def session(self):" in finding.proposal
    assert "return requests.Session()" in finding.proposal and "delete line 6" in finding.proposal
    assert "only 1 of its 2 other methods use it (`repos`)" in finding.message


def test_init_parameters_are_kept_on_the_instance() -> None:
    code = """
        import sqlite3

        class Store:
            def __init__(self, path):
                self.db = sqlite3.connect(path)

            def get(self, key):
                return self.db.execute("select", (key,))

            def name(self):
                return "store"
        """
    (finding,) = run_rule(RULE, code)
    assert "return sqlite3.connect(self._path)" in finding.proposal
    assert "keep `self._path = path`" in finding.proposal and finding.fix == ""


def test_slots_are_reported_without_a_fix() -> None:
    (finding,) = run_rule(RULE, RULE.INVALID[1].code)
    assert finding.fix == "" and "no instance `__dict__`" in finding.proposal


def test_file_reads_count_as_expensive() -> None:
    code = """
        from pathlib import Path

        class Page:
            def __init__(self, path):
                self.path = path
                self.template = Path("page.html").read_text()

            def render(self, **values):
                return self.template.format(**values)

            def title(self):
                return self.path
        """
    (finding,) = run_rule(RULE, code)
    assert "(it reads a file)" in finding.message


def test_heavy_third_party_module_calls_count_unless_turned_off() -> None:
    code = """
        import pandas

        class Report:
            def __init__(self):
                self.frame = pandas.DataFrame()

            def rows(self):
                return len(self.frame)

            def name(self):
                return "report"
        """
    code = textwrap.dedent(code)
    (finding,) = run_rule(RULE, code)
    assert (
        "`pandas.DataFrame()` imports pandas, ~" in finding.message
        and "for every instance" in finding.message
    )
    assert run_rule(RULE, code, options={"heavy-module-ms": 0.0}) == []
    # pandas used at import time too: the attribute does not decide when pandas is imported
    eager = code.replace("import pandas\n", "import pandas\n\nEMPTY = pandas.DataFrame()\n")
    assert run_rule(RULE, eager) == []
    # a call into the project itself costs no import
    own = "# file: pandas/__init__.py\nclass DataFrame:\n    pass\n# file: example.py\n" + code
    assert run_rule(RULE, own) == []


def test_conditional_and_method_less_classes_are_skipped() -> None:
    code = """
        import requests

        class A:
            def __init__(self, online):
                if online:
                    self.s = requests.Session()

            def get(self):
                return self.s

            def other(self):
                return 1

        class Holder:
            def __init__(self):
                self.s = requests.Session()
        """
    assert run_rule(RULE, code) == []


def test_side_effecting_constructor_gets_no_automatic_fix() -> None:
    # optimize --lazy-attributes defers only side-effect-free constructors: the rule must not promise more
    code = """
        import sqlite3

        DB = "app.db"

        class Store:
            def __init__(self):
                self.db = sqlite3.connect(DB)

            def get(self, key):
                return self.db.execute("select", (key,))

            def name(self):
                return "store"
        """
    (finding,) = run_rule(RULE, code)
    assert finding.fix == ""
    assert "not automatic: building it has side effects (`sqlite3.connect()`)" in finding.message

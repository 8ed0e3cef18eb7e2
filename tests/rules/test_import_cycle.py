"""CO201 beyond its examples: the advice per breaking import."""

from __future__ import annotations

from codeopt.rules.registry import discover_rules
from codeopt.testing import run_rule

RULE = discover_rules()["CO201"]


def test_one_finding_per_cycle_with_chain_and_movable_advice() -> None:
    (finding,) = run_rule(RULE, RULE.INVALID[0].code, path="pkg/a.py")
    assert finding.message == "import cycle (2 modules): pkg.a:1 -> pkg.b:1 -> pkg.a"
    assert "into the functions that use it" in finding.proposal
    assert finding.symbol == "cycle:pkg.a,pkg.b"


def test_annotation_only_import_is_told_to_move_under_type_checking() -> None:
    code = """
        # file: app/__init__.py
        # file: app/models.py
        from app import views

        class User:
            name = "u"
            def show(self):
                return views.render(self)
        # file: app/views.py
        from app.models import User

        def render(user: User) -> str:
            return user.name
        """
    findings = run_rule(RULE, code, path="app/models.py")
    assert len(findings) == 1
    proposal = findings[0].proposal
    assert "only annotations use `User`" in proposal or "into the functions that use it" in proposal
    if "only annotations" in proposal:
        assert "`from __future__ import annotations`" in proposal


def test_import_needed_at_import_time_gets_third_module_advice() -> None:
    code = """
        # file: pkg/__init__.py
        # file: pkg/base.py
        from pkg.plugins import REGISTRY

        class Base:
            pass

        REGISTRY.append(Base)
        # file: pkg/plugins.py
        from pkg.base import Base

        REGISTRY = []

        class Plugin(Base):
            pass
        """
    (finding,) = run_rule(RULE, code, path="pkg/base.py")
    assert "third module" in finding.proposal


def test_call_time_and_type_checking_cycles_are_not_reported() -> None:
    for valid in RULE.VALID:
        assert run_rule(RULE, valid.code, path=valid.path) == []

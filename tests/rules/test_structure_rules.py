"""CO101, CO102 and CO103 beyond their examples."""

from __future__ import annotations

from codeopt.rules.registry import discover_rules
from codeopt.testing import run_rule
from codeopt_rules.monolithic_module import _generated_monolith, group_label

MONOLITH, COMPLEX, LOW_MI = (discover_rules()[i] for i in ("CO101", "CO102", "CO103"))


def test_monolith_proposal_names_the_groups_and_the_split_command() -> None:
    (finding,) = run_rule(MONOLITH, _generated_monolith(), path="pkg/big.py")
    assert finding.message.startswith("big.py: 1,090 lines (SLOC 951 > 800), CC total")
    assert "LCOM4 3, 3 groups" in finding.message
    assert finding.proposal.startswith("Split into 3 submodules: {branch: branch_base,")
    assert "{commit: " in finding.proposal and "{remote: " in finding.proposal
    assert "`codeopt split pkg/big.py`" in finding.proposal and finding.fix == "codeopt split pkg/big.py"


def test_monolith_needs_size_complexity_and_low_cohesion_together() -> None:
    code = _generated_monolith()
    assert run_rule(MONOLITH, code, options={"min-sloc": 2000}) == []
    assert run_rule(MONOLITH, code, options={"min-cc-total": 10_000, "min-definitions": 10_000}) == []
    assert run_rule(MONOLITH, code, options={"min-group-size": 100}) == []


def test_group_labels_prefer_distinctive_words() -> None:
    branch = ("create_branch", "delete_branch", "branch_exists", "get_log")
    commit = ("make_commit", "amend_commit", "commit_message", "get_log")
    assert group_label(branch, [commit]) == "branch"
    assert group_label(("run", "main"), []) == "run"


def test_complex_function_proposal_extracts_the_heaviest_block() -> None:
    (finding,) = run_rule(COMPLEX, COMPLEX.INVALID[0].code, options={"cognitive-threshold": 15})
    assert finding.symbol == "sync" and finding.end_line == 18
    assert "Extract the `for repo in repos` block (lines 3-17" not in finding.proposal  # spans the body
    assert "`for branch in repo.branches` block (lines 6-17" in finding.proposal
    assert "def _for_each_branch(repo, force, remote, synced):" in finding.proposal
    assert "It continues an enclosing loop" not in finding.proposal
    assert "deepest nesting (5 levels) is at line 11" in finding.proposal


def test_nested_functions_are_judged_on_their_own() -> None:
    inner = "\n".join(f"        if x == {i}:\n            return {i}" for i in range(16))
    code = f"def make():\n    def inner(x):\n{inner}\n        return -1\n    return inner\n"
    findings = run_rule(COMPLEX, code)
    assert [f.symbol for f in findings] == ["make.<locals>.inner"]


def test_low_maintainability_names_the_heaviest_functions() -> None:
    (finding,) = run_rule(LOW_MI, LOW_MI.INVALID[1].code)
    assert "radon rank C" in finding.message
    assert finding.proposal.startswith("Split the functions that weigh most first: `f")

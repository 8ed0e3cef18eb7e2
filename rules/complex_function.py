"""CO102 complex-function: too many paths (cyclomatic) or too hard to follow (cognitive)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from codeopt.analysis.facts import Block, FunctionShape
from codeopt.analysis.model import FileAnalysis, FunctionMetrics
from codeopt.rules.base import Finding, Invalid, Option, Rule, Severity, Valid
from codeopt_rules._text import code, names


def _branchy(name: str, branches: int) -> str:
    """A function with ``branches`` sequential ``if`` statements (cyclomatic complexity branches + 1)."""
    body = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(branches))
    return f"def {name}(x):\n{body}\n    return -1\n"


_NESTED = """\
def sync(repos, remote, force):
    synced = []
    for repo in repos:
        if repo.archived:
            continue
        for branch in repo.branches:
            if branch.protected and not force:
                continue
            if branch.behind(remote):
                if branch.diverged(remote):
                    if force:
                        branch.reset(remote)
                    else:
                        raise RuntimeError(branch.name)
                else:
                    branch.fast_forward(remote)
                synced.append(branch.name)
    return synced
"""


class ComplexFunction(Rule):
    id = "CO102"
    name = "complex-function"
    severity = Severity.WARNING
    summary = "Finds functions whose cyclomatic or cognitive complexity is over a threshold."
    why = (
        "Cyclomatic complexity counts the independent paths through a function: each needs a test, "
        "and past ~15 the paths outnumber the tests anyone writes. Cognitive complexity "
        "(SonarSource) weighs nesting: a decision three levels deep costs more to read than three "
        "in a row, which is what makes a function hard to change safely.\n\n"
        "The proposal points at the block carrying most of the complexity (the heaviest top-level "
        "block, or inside it when it spans nearly the whole function), with the names it reads "
        "(the extracted function's parameters) and the names it sets that are used afterwards "
        "(what it returns), plus the deepest nesting, which guard clauses usually flatten."
    )
    use_instead = (
        "Extract the heaviest block into a function named after what it does, and flatten deep "
        "nesting with guard clauses:\n"
        + code(
            """
            def sync(repos, remote, force):
                synced = []
                for repo in repos:
                    if not repo.archived:
                        synced += _sync_branches(repo, remote, force)
                return synced


            def _sync_branches(repo, remote, force):
                ...
            """
        )
    )
    fix_safety = "No automatic fix: naming the extracted function and checking its boundary needs a person."
    options = (
        Option("cc-threshold", 15, "Report functions with a cyclomatic complexity at or above this."),
        Option("cognitive-threshold", 20, "Report functions with a cognitive complexity at or above this."),
    )
    VALID = (
        Valid(_branchy("classify", 10)),
        Valid(
            """
            def total(items):
                return sum(item.price for item in items if item.available)
            """
        ),
        Valid(_NESTED, options={"cognitive-threshold": 40}),
    )
    INVALID = (
        Invalid(_NESTED, line=1, message="cognitive complexity", options={"cognitive-threshold": 15}),
        Invalid(_branchy("classify", 16), line=1, message="`classify`: cyclomatic complexity 17"),
        Invalid(
            "class Router:\n" + "\n".join("    " + line for line in _branchy("route", 20).splitlines()),
            line=2,
            message="`Router.route`",
        ),
    )

    def check_file(self, file: FileAnalysis) -> Iterator[Finding]:
        cc_limit: int = self.option("cc-threshold")
        cognitive_limit: int = self.option("cognitive-threshold")
        shapes = {shape.lineno: shape for shape in file.facts.functions}
        functions = file.metrics.functions
        for function in functions:
            if function.cc < cc_limit and function.cognitive < cognitive_limit:
                continue
            shape = shapes.get(function.lineno)
            if function.cc < cc_limit and _nested_carry_it(function, shape, functions, cognitive_limit):
                continue  # the nested functions are judged (and reported) on their own
            yield self._finding(file, function, shape, cc_limit, cognitive_limit)

    def _finding(
        self,
        file: FileAnalysis,
        fn: FunctionMetrics,
        shape: FunctionShape | None,
        cc_limit: int,
        cog_limit: int,
    ) -> Finding:
        parts = []
        cc_mark = f" (≥ {cc_limit})" if fn.cc >= cc_limit else ""
        cog_mark = f" (≥ {cog_limit})" if fn.cognitive >= cog_limit else ""
        parts.append(f"cyclomatic complexity {fn.cc}{cc_mark}")
        parts.append(f"cognitive complexity {fn.cognitive}{cog_mark}")
        if shape is not None and shape.max_depth >= 3:
            parts.append(f"nesting depth {shape.max_depth}")
        lines = fn.end_lineno - fn.lineno + 1
        message = f"`{fn.qualname}`: {', '.join(parts)}, {lines:,} lines"
        return self.finding(
            file,
            fn.lineno,
            message,
            _proposal(fn, shape),
            end_line=fn.end_lineno,
            symbol=fn.qualname,
            data={"cc": fn.cc, "cognitive": fn.cognitive, "depth": shape.max_depth if shape else 0},
        )


def _nested_carry_it(
    fn: FunctionMetrics, shape: FunctionShape | None, functions: Sequence[FunctionMetrics], limit: int
) -> bool:
    """Cognitive complexity counts nested functions into their parent (``def make(): def run(): ...``).
    When the parent's own body, nested functions left out, weighs under the limit, the parent is fine:
    the nested functions are reported on their own when they deserve it."""
    prefix = f"{fn.qualname}.<locals>."
    nested = any(f.qualname.startswith(prefix) for f in functions)
    return nested and shape is not None and shape.weight < limit


def _proposal(fn: FunctionMetrics, shape: FunctionShape | None) -> str:
    if shape is None or shape.block is None:
        return (
            f"Split `{fn.qualname}` by responsibility: its complexity comes from many conditions at "
            "one level (long `if`/`elif` chains or boolean expressions); a lookup table (dict of "
            "handlers) or one predicate function per condition group usually replaces them."
        )
    block = shape.block
    helper = _helper_name(fn, block)
    params = [n for n in block.inputs if n not in ("self", "cls")]
    receiver = "self." if "self" in block.inputs else ""
    call = f"{receiver}{helper}({', '.join(params)})"
    signature = f"def {helper}({', '.join((['self'] if receiver else []) + params)}):"
    assign = f"{', '.join(block.outputs)} = " if block.outputs else ""
    share = (
        f"{block.decisions} of its {shape.decisions} decision points" if shape.decisions else "its decisions"
    )
    body = [signature, "    ..."]
    if block.outputs:
        body.append("    return " + ", ".join(block.outputs))
    text = (
        f"Extract the `{block.head}` block (lines {block.lineno}-{block.end_lineno}, {share}) into a "
        f"function:\n{code(body)}\nand call it as `{assign}{call}`."
    )
    if block.exits:
        text += " " + _exit_note(block.exits)
    if shape.max_depth >= 3:
        text += (
            f" The deepest nesting ({shape.max_depth} levels) is at line {shape.deepest_line}: "
            "guard clauses (`if not ...: continue` / `return`) flatten it."
        )
    if params and len(params) > 5:
        text += f" It reads {len(params)} local names ({names(params, 5)}):"
        text += " group them first if they belong together."
    return text


def _helper_name(fn: FunctionMetrics, block: Block) -> str:
    match = re.match(r"for (\w+) in ", block.head)
    if match and match.group(1) != "_":
        return f"_for_each_{match.group(1)}"
    return f"_{fn.name.strip('_')}_{block.kind}_block"


def _exit_note(exits: tuple[str, ...]) -> str:
    notes = {
        "return": (
            "it returns from inside, so the helper must return the value (or a sentinel)"
            " for the caller to return"
        ),
        "break": "it breaks out of an enclosing loop: return a flag and `break` on it",
        "continue": "it continues an enclosing loop: return early instead and let the loop go on",
        "yield": "it yields: call it with `yield from`",
    }
    return "Note: " + "; ".join(notes[e] for e in exits if e in notes) + "."

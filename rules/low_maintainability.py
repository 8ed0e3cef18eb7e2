"""CO103 low-maintainability: a module whose maintainability index is in radon's lowest rank."""

from __future__ import annotations

from collections.abc import Iterator

from codeopt.analysis.model import FileAnalysis
from codeopt.rules.base import Finding, Invalid, Option, Rule, Severity, Valid
from codeopt_rules._text import basename, num


def _dense(functions: int) -> str:
    """Uncommented, branchy, arithmetic-heavy code: what drives the index down."""
    out = []
    for f in range(functions):
        body = "\n".join(
            f"    if a{i % 3} > {i} and b < {i * 7} or c == {i}:\n"
            f"        total = total + a{i % 3} * {i} - b / ({i} + c) + (a0 ** 2) % ({i} + 1)"
            for i in range(12)
        )
        out.append(f"def f{f}(a0, a1, a2, b, c):\n    total = 0\n{body}\n    return total\n")
    return "\n".join(out)


def rank(mi: float) -> str:
    """Radon's rank for a maintainability index: A (>= 20), B (10-20), C (< 10)."""
    return "A" if mi >= 20 else "B" if mi >= 10 else "C"


class LowMaintainability(Rule):
    id = "CO103"
    name = "low-maintainability"
    severity = Severity.INFO
    summary = "Finds modules whose maintainability index (radon's, 0-100) is below a threshold."
    why = (
        "The maintainability index combines Halstead volume (how much there is to read), "
        "cyclomatic complexity (how many paths) and lines of code, raised by comments. Radon ranks "
        "it A (20-100, very high), B (10-20, medium) and C (0-10, extremely low).\n\n"
        "The default threshold is 10, radon's B/C boundary, not 20: the index falls with size "
        "alone, so most modules over a few hundred lines rank B without being hard to maintain, "
        "and size is what `monolithic-module` (CO101) already reports. Rank C means the code is "
        "dense as well as long: it is where changes are slow and risky."
    )
    use_instead = (
        "Start with the functions named in the proposal (the highest complexity and volume): split "
        "them (see `complex-function`, CO102). When the module is also large, `codeopt split PATH` "
        "proposes submodules."
    )
    fix_safety = "No automatic fix."
    options = (
        Option(
            "min-mi",
            10.0,
            "Report modules whose maintainability index is below this (radon: C < 10 <= B < 20 <= A).",
        ),
    )
    VALID = (
        Valid(
            """
            def greet(name):
                \"\"\"Say hello.\"\"\"
                return f"hello {name}"
            """
        ),
        Valid(_dense(3), options={"min-mi": 0.0}),
    )
    INVALID = (
        Invalid(_dense(3), line=1, message="maintainability index", options={"min-mi": 60.0}),
        Invalid(_dense(14), line=1, message="rank C"),
    )

    def check_file(self, file: FileAnalysis) -> Iterator[Finding]:
        metrics = file.metrics
        limit: float = self.option("min-mi")
        if metrics.mi >= limit or not metrics.raw.sloc:
            return
        message = (
            f"{basename(file.path)}: maintainability index {metrics.mi:.1f} (< {limit:g}, radon rank "
            f"{rank(metrics.mi)}): SLOC {num(metrics.raw.sloc)}, Halstead volume "
            f"{num(round(metrics.halstead.volume))}, CC total {num(metrics.cc_total)}, "
            f"{metrics.raw.comments} comment lines"
        )
        worst = sorted(metrics.functions, key=lambda f: (f.cc, f.halstead.volume), reverse=True)[:3]
        if worst:
            listed = ", ".join(
                f"`{f.qualname}` (CC {f.cc}, {f.end_lineno - f.lineno + 1} lines, line {f.lineno})"
                for f in worst
            )
            proposal = f"Split the functions that weigh most first: {listed}."
        else:
            proposal = "Break the module-level code into functions named after what they do."
        if metrics.raw.sloc >= 500:
            split = f"`codeopt split {file.path}`"
            proposal += f" At {num(metrics.raw.sloc)} SLOC, also consider splitting the module: {split}."
        yield self.finding(
            file,
            1,
            message,
            proposal,
            symbol=file.module or file.path,
            data={"mi": round(metrics.mi, 2), "sloc": metrics.raw.sloc},
        )

"""CO201 import-cycle: modules that import each other while being imported."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from codeopt.analysis.facts import ImportBinding, UseContext
from codeopt.analysis.graph import CycleBreaker, ImportCycle
from codeopt.analysis.model import FileAnalysis
from codeopt.analysis.project import ProjectAnalysis
from codeopt.rules.base import Finding, Invalid, Rule, Severity, Valid
from codeopt_rules._text import names

_ANNOTATION_ONLY = frozenset(
    {UseContext.ANNOTATION, UseContext.DEFERRED_ANNOTATION, UseContext.TYPE_CHECKING}
)


class ImportCycleRule(Rule):
    id = "CO201"
    name = "import-cycle"
    severity = Severity.WARNING
    summary = "Finds cycles of imports that run while modules are being imported."
    why = (
        "When `a` imports `b` at import time and `b` imports `a` back, whichever is imported first "
        "sees the other half-initialised: `from a import X` fails with `ImportError: cannot import "
        "name` (or `AttributeError` on `a.X`) depending on which module a caller happens to import "
        "first. The code works until an unrelated change reorders imports.\n\n"
        "Only import-time edges count: an import inside a function body runs when the function is "
        "called, after both modules finished loading, and one under `if TYPE_CHECKING:` never runs, "
        "so cycles through those are not reported. Each cycle (strongly connected component) is "
        "reported once, at the first import of its shortest chain, with the imports whose removal "
        "breaks every cycle in the component."
    )
    use_instead = (
        "Break each proposed edge: move the import into the functions that use it (a call-time "
        "import cannot cycle), import it under `if TYPE_CHECKING:` when only annotations use it (with "
        "`from __future__ import annotations`), or move the shared definitions into a third module "
        "both can import."
    )
    fix_safety = "No automatic fix: moving definitions between modules changes their import paths."
    VALID = (
        # the back edge runs only when `helper` is called
        Valid(
            """
            # file: pkg/__init__.py
            # file: pkg/a.py
            from pkg import b

            def run():
                return b.helper()
            # file: pkg/b.py
            def helper():
                from pkg import a
                return a.__name__
            """,
            path="pkg/a.py",
        ),
        # annotations only, under TYPE_CHECKING
        Valid(
            """
            # file: pkg/__init__.py
            # file: pkg/a.py
            from pkg.b import Node

            ROOT = Node()
            # file: pkg/b.py
            from __future__ import annotations

            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from pkg.a import ROOT

            class Node:
                def parent(self) -> ROOT:
                    ...
            """,
            path="pkg/a.py",
        ),
    )
    INVALID = (
        Invalid(
            """
            # file: pkg/__init__.py
            # file: pkg/a.py
            from pkg import b

            def run():
                return b.helper()
            # file: pkg/b.py
            from pkg import a

            def helper():
                return a.__name__
            """,
            path="pkg/a.py",
            line=1,
            message="pkg.a:1 -> pkg.b:1 -> pkg.a",
        ),
        Invalid(
            """
            # file: app/__init__.py
            # file: app/models.py
            from app.views import render

            class User:
                def show(self):
                    return render(self)
            # file: app/views.py
            from app.models import User

            def render(user: User) -> str:
                return str(user)
            """,
            path="app/models.py",
            line=1,
            message="import cycle",
        ),
    )

    def check_project(self, project: ProjectAnalysis) -> Iterator[Finding]:
        files = project.by_module()
        for cycle in project.graph.cycles:
            if not cycle.chain:
                continue
            first = cycle.chain[0]
            file = files.get(first.source)
            if file is None:
                continue
            yield self._finding(file, cycle, files)

    def _finding(self, file: FileAnalysis, cycle: ImportCycle, files: Mapping[str, FileAnalysis]) -> Finding:
        chain = " -> ".join(f"{link.source}:{link.lineno}" for link in cycle.chain)
        chain += f" -> {cycle.chain[-1].target}"
        size = len(cycle.modules)
        extent = "a module importing itself" if size == 1 else f"{size} modules"
        message = f"import cycle ({extent}): {chain}"
        steps = [_breaker_advice(b, files.get(b.source)) for b in cycle.breakers]
        plural = "this import breaks" if len(steps) == 1 else f"these {len(steps)} imports break"
        proposal = f"Break it ({plural} every cycle among {names(list(cycle.modules), 6)}):\n" + "\n".join(
            f"- {step}" for step in steps
        )
        return self.finding(
            file,
            cycle.chain[0].lineno,
            message,
            proposal,
            symbol="cycle:" + ",".join(cycle.modules),
            data={"modules": size, "breakers": len(cycle.breakers)},
        )


def _breaker_advice(breaker: CycleBreaker, file: FileAnalysis | None) -> str:
    where = f"{file.path if file else breaker.source}:{breaker.linenos[0] if breaker.linenos else '?'}"
    what = f"the import of `{breaker.target}` at {where}"
    if breaker.implicit:
        package = f"`{breaker.target}`"
        return f"{what} only runs the package {package}: import the submodule it needs at call time instead"
    bindings = [b for b in (file.facts.imports if file else ()) if b.lineno in breaker.linenos]
    if bindings and all(b.uses and b.contexts <= _ANNOTATION_ONLY for b in bindings):
        future = ""
        if file is not None and not file.facts.future_annotations:
            future = " and add `from __future__ import annotations`"
        return f"{what}: only annotations use {_bound(bindings)}; import it under `if TYPE_CHECKING:`{future}"
    if bindings and all(b.unused for b in bindings):
        here = file.path if file else breaker.source
        if file is not None and file.is_package:
            return (
                f"{what} only re-exports {_bound(bindings)} (nothing in {here} reads it): provide it "
                "lazily with a module `__getattr__` (PEP 562), or break the other side of the cycle"
            )
        return (
            f"{what} runs only for its side effect (nothing in {here} reads {_bound(bindings)}): trigger "
            "it from the code that needs the effect, or break the other side of the cycle"
        )
    functions = list(dict.fromkeys(f for b in bindings for f in b.functions))
    if breaker.movable or (bindings and all(b.used_only_in_functions for b in bindings)):
        inside = f" ({names(functions, 4)})" if functions else ""
        return f"move {what} into the functions that use it{inside}: a call-time import cannot cycle"
    early = [u for b in bindings for u in b.import_time_uses]
    if early:
        use = early[0]
        return (
            f"{what}: {_bound(bindings)} is needed at import time ({use.context.value} at line "
            f"{use.lineno}); move what both modules need into a third module they can both import"
        )
    return f"{what}: move the shared definitions into a third module both can import"


def _bound(bindings: list[ImportBinding]) -> str:
    return names([b.name for b in bindings], 3)

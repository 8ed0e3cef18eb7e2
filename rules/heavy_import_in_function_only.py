"""CO202 heavy-import-in-function-only: a costly module-level import whose names only functions use."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping

from codeopt.analysis.facts import ImportBinding, UseRole
from codeopt.analysis.import_cost import estimate_import_cost
from codeopt.analysis.model import EdgeKind, FileAnalysis
from codeopt.analysis.project import ProjectAnalysis
from codeopt.analysis.side_effects import IMPORTED_FOR_EFFECT
from codeopt.rules.base import Finding, Invalid, Option, Rule, Severity, Valid
from codeopt_rules._text import code, matches_module, names, plural


class HeavyImportInFunctionOnly(Rule):
    id = "CO202"
    name = "heavy-import-in-function-only"
    severity = Severity.INFO
    summary = "Finds module-level imports of costly modules whose names are used only inside function bodies."
    why = (
        "Everything imported at module level is paid for by every process that imports the module, "
        "including the ones that never call the functions needing it: a CLI's `--help`, a test run "
        "that touches one function, a worker that handles another task. `import requests` costs "
        "~100 ms, `import pandas` ~350 ms. When only function bodies use the name, the import can "
        "run on first use instead, and start-up pays nothing for it.\n\n"
        "An import is proposed only when it is safe to defer: every use of every name it binds runs "
        "after import time (not in base classes, decorators, defaults, class bodies, module-level "
        "code or evaluated annotations; never-evaluated annotations are fine), the name is not "
        "rebound or exported in `__all__`, the import is not a star import, not under "
        '`TYPE_CHECKING` or `if __name__ == "__main__":`, not imported only for its side effects '
        "(a name nobody reads) and not in `never-lazy`. Uses in the `__main__` block do not count: "
        "that code runs only when the file is run as a script. The cost is the module's measured "
        "import time (`--measure-imports`) or the bundled estimate; a module that another "
        "import-time import of the same module (or of a project module it imports) loads anyway "
        "gains nothing and is not reported.\n\n"
        "An import inside `try`/`except ImportError` is an optional dependency: it is reported with "
        "a different proposal (probe with `importlib.util.find_spec`, import in the function) and "
        "no automatic fix, because the `except` branch usually sets a fallback that module-level "
        "code reads."
    )
    use_instead = code(
        """
        from codeopt_runtime.lazy import lazy_import

        pandas = lazy_import("pandas")  # imported on first attribute access


        def load(path):
            return pandas.read_csv(path)
        """
    ) + (
        '\n\nThe module-level name stays, so `mock.patch("app.pandas.read_csv")` keeps working '
        "(moving the import into the function would break it). On Python 3.15+ the same is "
        "`lazy import pandas` (PEP 810)."
    )
    fix_safety = (
        "Behaviour changes only in *when* the module is imported: its import-time side effects "
        "(logging configuration, warnings filters, registrations) and an `ImportError` for a "
        "missing module now happen at first use. Modules known to act on import are never "
        "proposed (`never-lazy`); add your own there. Set `CODEOPT_EAGER=1` to import everything "
        "eagerly again (e.g. in tests) when the runtime supports it."
    )
    fix = "codeopt optimize PATH --lazy-imports"
    options = (
        Option(
            "min-cost-ms",
            20.0,
            "Report imports costing at least this many milliseconds (cumulative, measured or "
            "estimated). Cumulative figures count dependencies that other imports often load anyway "
            "(`import json` is ~8 ms alone, mostly `re`), so below ~20 ms the saving is within the "
            "estimate's error and not worth a review; lower it with `--measure-imports`.",
        ),
        Option(
            "never-lazy",
            IMPORTED_FOR_EFFECT,
            "Modules (and their submodules) that must stay eager because importing them has effects.",
        ),
        Option(
            "report-optional",
            True,
            "Also report heavy optional dependencies (imports in `try`/`except ImportError`).",
        ),
    )
    VALID = (
        # used at module level: the import is needed at import time
        Valid(
            """
            import json

            DEFAULTS = json.loads('{"a": 1}')

            def dump(data):
                return json.dumps(data)
            """,
            options={"min-cost-ms": 0.5},
        ),
        # a base class runs at import time
        Valid(
            """
            import argparse

            class Parser(argparse.ArgumentParser):
                pass
            """,
            options={"min-cost-ms": 0.5},
        ),
        # cheap module: nothing to gain
        Valid(
            """
            import os

            def home():
                return os.path.expanduser("~")
            """
        ),
        # evaluated annotation (no `from __future__ import annotations`)
        Valid(
            """
            import decimal

            def total(prices) -> decimal.Decimal:
                return sum(map(decimal.Decimal, prices))
            """,
            options={"min-cost-ms": 0.5},
        ),
        # side-effect import: the name is never read
        Valid(
            """
            import readline

            def ask():
                return input("> ")
            """,
            options={"min-cost-ms": 0.0},
        ),
        # exported: part of the module's interface
        Valid(
            """
            from json import dumps

            __all__ = ["dumps", "encode"]

            def encode(data):
                return dumps(data)
            """,
            options={"min-cost-ms": 0.5},
        ),
        # already loaded at import time by another import of the same module
        Valid(
            """
            import xml.etree.ElementTree as ET
            from xml.etree.ElementTree import Element

            ROOT = Element("root")

            def parse(text):
                return ET.fromstring(text)
            """,
            options={"min-cost-ms": 0.5},
        ),
    )
    INVALID = (
        Invalid(
            """
            import pandas

            def load(path):
                return pandas.read_csv(path)
            """,
            line=1,
            message="`import pandas`",
        ),
        Invalid(
            """
            from __future__ import annotations

            import json
            from difflib import SequenceMatcher, unified_diff

            def similar(a: str, b: str) -> float:
                return SequenceMatcher(None, a, b).ratio()

            def diff(a: list[str], b: list[str]) -> str:
                return "".join(unified_diff(a, b))

            def save(data: dict[str, object]) -> str:
                return json.dumps(data)
            """,
            line=4,
            message="`from difflib import SequenceMatcher, unified_diff`",
            options={"min-cost-ms": 0.5},
        ),
        Invalid(
            """
            try:
                import yaml
            except ImportError:
                yaml = None

            def load(text):
                if yaml is None:
                    raise RuntimeError("install pyyaml")
                return yaml.safe_load(text)
            """,
            line=2,
            message="optional dependency",
            options={"min-cost-ms": 0.5},
        ),
    )

    def check_project(self, project: ProjectAnalysis) -> Iterator[Finding]:
        loaded = _ImportTimeClosure(project)
        internal = project.by_module()
        for file in project.files:
            yield from self._check(file, project, loaded, internal)

    def _check(
        self,
        file: FileAnalysis,
        project: ProjectAnalysis,
        loaded: _ImportTimeClosure,
        internal: Mapping[str, FileAnalysis],
    ) -> Iterator[Finding]:
        facts = file.facts
        never_lazy: tuple[str, ...] = self.option("never-lazy")
        for (lineno, module), bindings in sorted(facts.import_statements().items()):
            if not module or module.startswith(".") or module in internal:
                continue  # project modules: their cost is their own imports, reported there
            if matches_module(module, never_lazy) or not all(_deferrable(b) for b in bindings):
                continue
            optional = any(b.optional for b in bindings)
            if optional and not self.option("report-optional"):
                continue
            target = _cost_module(bindings[0])
            if _loaded_elsewhere(target, facts.imports, lineno):
                continue
            cost, how = _cost(project, target)
            if cost < self.option("min-cost-ms"):
                continue
            if loaded.loads(file, lineno, target):  # the costliest check last
                continue
            yield self._finding(file, bindings, target, cost, how, optional)

    def _finding(
        self,
        file: FileAnalysis,
        bindings: tuple[ImportBinding, ...],
        target: str,
        cost: float,
        how: str,
        optional: bool,
    ) -> Finding:
        first = bindings[0]
        statement = _statement(bindings)
        functions = list(dict.fromkeys(f for b in bindings for f in b.functions))
        bound = names([b.name for b in bindings], limit=3)
        where = f"{plural(len(functions), 'function')}: {names(functions, limit=3)}"
        if optional:
            message = (
                f"`{statement}` (~{cost:.0f} ms to import, {how}) is an optional dependency used only "
                f"inside {where}"
            )
            proposal = _optional_proposal(first, target, functions)
            fix: str | None = ""  # no automatic fix (None would mean the rule's default fix)
        else:
            cost_text = f"~{cost:.0f} ms to import ({how})"
            message = f"`{statement}` takes {cost_text} but {bound} is used only inside {where}"
            proposal = _lazy_proposal(file, bindings, target)
            fix = None
        return self.finding(
            file,
            first.lineno,
            message,
            proposal,
            end_line=first.end_lineno,
            symbol=f"{file.module or file.path}:{target}",
            data={"cost_ms": round(cost, 1), "uses": sum(len(b.uses) for b in bindings)},
            fix=fix,
        )


def _deferrable(binding: ImportBinding) -> bool:
    """Every use runs after import time, and nothing but functions depends on the binding."""
    return (
        not binding.star
        and not binding.type_checking
        and not binding.main_block  # runs only as a script: nothing to gain at import
        and not binding.rebound_lines
        and binding.used_only_in_functions
    )


def _cost_module(binding: ImportBinding) -> str:
    """The module the statement makes Python load: ``from pkg import sub`` may load ``pkg.sub``."""
    if binding.imported and binding.imported != "*":
        candidate = f"{binding.module}.{binding.imported}"
        if not estimate_import_cost(candidate).estimated:
            return candidate
    return binding.module


def _loaded_elsewhere(module: str, imports: tuple[ImportBinding, ...], lineno: int) -> bool:
    """Another import in this file that runs at import time loads ``module`` anyway."""
    for other in imports:
        if other.lineno == lineno or other.type_checking or _deferrable(other):
            continue
        if other.module == module or other.module.startswith(module + "."):
            return True
    return False


def _cost(project: ProjectAnalysis, module: str) -> tuple[float, str]:
    measured = project.measured_costs.get(module)
    if measured is not None and measured.ok:
        return measured.cumulative_ms, "measured"
    estimate = estimate_import_cost(module)
    return estimate.ms, "default estimate" if estimate.estimated else "bundled estimate"


def _statement(bindings: tuple[ImportBinding, ...]) -> str:
    """The import as written (relative imports shown resolved)."""
    first = bindings[0]
    if first.is_from:
        parts = [b.imported + (f" as {b.alias}" if b.alias else "") for b in bindings]
        return f"from {first.module} import {', '.join(parts)}"
    return f"import {first.module}" + (f" as {first.alias}" if first.alias else "")


def _lazy_proposal(file: FileAnalysis, bindings: tuple[ImportBinding, ...], target: str) -> str:
    """The replacement, in ``codeopt_runtime.lazy`` terms (the runtime the transform emits)."""
    first = bindings[0]
    if not first.is_from:
        if not first.alias and "." in first.module:  # ``import a.b`` binds ``a``
            declaration = f'{first.name} = lazy_import("{first.module}", bind="top")'
        else:
            declaration = f'{first.name} = lazy_import("{first.module}")'
        lines = ["from codeopt_runtime.lazy import lazy_import", "", declaration]
        intro = f"Replace line {first.lineno} with a module-level proxy that imports on first use:"
        return f"{intro}\n{code(lines)}\nOn Python 3.15+: `lazy import {first.module}` (PEP 810)."
    if target == first.module and all(b.roles == {UseRole.CALL} for b in bindings):
        # names only ever called: a call-forwarding proxy per name, no other line changes
        lines = ["from codeopt_runtime.lazy import lazy_from", ""]
        lines += [f'{b.name} = lazy_from("{first.module}", "{b.imported}")' for b in bindings]
        intro = f"Replace line {first.lineno} with call-forwarding proxies (the names are only called):"
        return f"{intro}\n{code(lines)}"
    alias = target.rsplit(".", 1)[-1] if target != first.module else first.module.rsplit(".", 1)[-1]
    lines = ["from codeopt_runtime.lazy import lazy_import", "", f'{alias} = lazy_import("{target}")']
    renames = []
    for binding in bindings:
        qualified = f"{alias}.{binding.imported}" if target == first.module else alias
        lines_used = sorted({u.lineno for u in binding.uses})
        renames.append(f"`{binding.name}` -> `{qualified}` (lines {', '.join(map(str, lines_used[:6]))})")
    roles = {u.role for b in bindings for u in b.uses}
    note = ""
    if roles & {UseRole.ISINSTANCE, UseRole.EXCEPT, UseRole.SUBCLASS, UseRole.DECORATOR}:
        note = " Qualified names keep `isinstance`/`except`/subclassing working: a name proxy would not."
    intro = f"Replace line {first.lineno} with a proxy of the module and qualify the names it bound:"
    return f"{intro}\n{code(lines)}\nthen rename {'; '.join(renames)}.{note}"


def _optional_proposal(binding: ImportBinding, target: str, functions: list[str]) -> str:
    flag = "HAS_" + target.split(".")[0].upper().replace("-", "_")
    probe = [
        "import importlib.util",
        "",
        f'{flag} = importlib.util.find_spec("{target.split(".")[0]}") is not None  # probes, does not import',
    ]
    return (
        f"Not automatic: the `try` at line {binding.lineno} also decides a fallback. Probe for the "
        f"package without importing it:\n{code(probe)}\n"
        f"then `import {target}` inside {names(functions, limit=3)} when {flag} is true, and test "
        f"`{flag}` where the code tested the fallback value."
    )


class _ImportTimeClosure:
    """What importing a module loads at import time, through project modules (transitively).

    The closure of every project module is computed once and shared, so checking one import of one
    file is a union of memoised sets, not a walk of the whole project.
    """

    def __init__(self, project: ProjectAnalysis) -> None:
        self.by_module: Mapping[str, FileAnalysis] = project.by_module()
        self._memo: dict[tuple[str, str], frozenset[str]] = {}

    def closure(self, module: str, skip: str = "") -> frozenset[str]:
        """``module`` and everything importing it loads at import time, not walking through ``skip``."""
        key = (module, skip)
        known = self._memo.get(key)
        if known is not None:
            return known
        seen: set[str] = set()
        queue: deque[str] = deque([module])
        while queue:
            name = queue.popleft()
            if name in seen:
                continue
            seen.add(name)
            done = self._memo.get((name, "")) if name != module else None
            if done is not None and (not skip or skip not in done):
                seen |= done  # everything reachable from there is reachable from here
                continue
            other = self.by_module.get(name)
            if other is None or name == skip:
                continue
            for record in other.imports:
                if record.kind is EdgeKind.IMPORT_TIME:
                    queue.extend(_loaded_by(record.target, record.names))
        result = frozenset(seen)
        self._memo[key] = result
        return result

    def loads(self, file: FileAnalysis, lineno: int, target: str) -> bool:
        """Does importing ``file`` load ``target`` anyway, without the import at ``lineno``?"""
        parts = file.module.split(".") if file.module else []
        starts = [".".join(parts[:depth]) for depth in range(1, len(parts))]  # parent packages run first
        for record in file.imports:
            if record.kind is EdgeKind.IMPORT_TIME and record.lineno != lineno:
                starts.extend(_loaded_by(record.target, record.names))
        for start in starts:
            if start == target:
                return True
            if start == file.module or start not in self.by_module or target not in self.closure(start):
                continue
            # a cycle back into this file would count the very import we are judging: walk around it
            if file.module not in self.closure(start) or target in self.closure(start, skip=file.module):
                return True
        return False


def _loaded_by(target: str, imported: tuple[str, ...]) -> list[str]:
    parts = target.split(".")
    loaded = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    loaded.extend(f"{target}.{name}" for name in imported if name != "*")
    return loaded

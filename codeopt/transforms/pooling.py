"""``codeopt optimize --pool``: per-call connections checked out of a module-level pool instead.

The rewrite, for a function that creates, uses and closes an expensive object within one block::

    conn = sqlite3.connect(DB_PATH)              with _sqlite3_pools.acquire(sqlite3.connect, DB_PATH,
    try:                                    ->                               check_same_thread=False) as conn:
        ...                                          ...
    finally:
        conn.close()

(also ``with closing(sqlite3.connect(...)) as conn:`` and a ``conn.close()`` closing the block), with
``_sqlite3_pools = PoolMap(reset=reset_sqlite3, identity=sqlite3_identity)`` emitted once per module.

Why it is safe when applied: the pool is chosen at call time from the constructor and its arguments, which
must be literals or module constants (:mod:`.pooling_checks`); returning the connection rolls back what the
caller left uncommitted, as closing it would have; everything that could make a pooled object differ
from a fresh one (escapes, aliases, state-changing calls or SQL, use after close, ``with connect()``'s
commit-on-exit) turns the site into a reported skip with the code to aim for (:mod:`.pooling_suggest`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider

from codeopt.analysis.facts import ModuleFacts, ResourceCreation, facts_from_tree
from codeopt.transforms.base import (
    FileInput,
    FileResult,
    Transform,
    register,
)
from codeopt.transforms.pooling_checks import argument_blockers, fact_blockers, function_locals, use_blockers
from codeopt.transforms.pooling_kinds import NOT_AUTOMATIC, PoolKind, kind_for
from codeopt.transforms.pooling_scope import ModuleScope, module_scope
from codeopt.transforms.pooling_suggest import suggestion
from codeopt.transforms.site_codemod import Skip, run_site_codemod, site_result

_CACHED = re.compile(r"^(stored on (self|cls)\.|assigned to global )")
_NOT_IN_ONE_BLOCK = (
    "it is not created and closed in one block (`try`/`finally: close()`, `with closing(...)`, "
    "or a `close()` ending the block)"
)


# (statement replacing the site, statements consumed) or the reason the site stays as it is
Plan = tuple[cst.BaseStatement, int] | str


class PoolingCommand(VisitorBasedCodemodCommand):
    """Rewrites every poolable per-call creation in a module; ``applied`` and ``skips`` say what happened."""

    DESCRIPTION = "Acquire per-call connections from a module-level codeopt_runtime pool."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        context: CodemodContext,
        facts: ModuleFacts | None = None,
        extra_constructors: Sequence[str] = (),
        runtime_module: str = "codeopt_runtime.pooled",
        source: str | None = None,
    ) -> None:
        super().__init__(context)
        self.facts = facts
        self.source = source  # the module's text when the caller has it (regenerating it is slow)
        self.extra = tuple(extra_constructors)
        self.runtime = runtime_module
        self.applied: list[str] = []
        self.skips: list[Skip] = []  # (line, site name, reason)
        self._scope = ModuleScope()
        self._sites: dict[int, tuple[ResourceCreation, PoolKind]] = {}
        self._functions: list[cst.FunctionDef] = []
        self._existing: set[str] = set()  # module-level PoolMap variables already there
        self._emit: dict[str, PoolKind] = {}  # PoolMap variables to add
        self._first_line = 0

    # -- candidates -------------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> bool:
        facts = self.facts
        if facts is None:
            facts = facts_from_tree(ast.parse(node.code), node.code.splitlines())
        self._scope = module_scope(self.source if self.source is not None else node)
        self._existing = _poolmap_variables(node)
        self._sites, skips = candidates(facts, self.extra)
        self.skips.extend(skips)
        return True

    def _skip(self, r: ResourceCreation, kind: PoolKind, reason: str) -> None:
        self.skips.append(_site_skip(r, kind, reason))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._functions.append(node)
        return True

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._functions.pop()
        return updated_node

    # -- rewriting --------------------------------------------------------------------------------
    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self._functions or not self._sites:
            return updated_node
        before, after = original_node.body, list(updated_node.body)
        body: list[cst.BaseStatement] = []
        index = 0
        while index < len(before):
            site = self._site_at(before[index])
            plan: Plan = self._plan(before, after, index, *site) if site else ""
            if isinstance(plan, str):
                if site:
                    self._skip(site[0], site[1], plan)
                body.append(after[index])
                index += 1
                continue
            body.append(plan[0])
            index += plan[1]
            self._applied(*site)  # type: ignore[misc]
        return updated_node.with_changes(body=body)

    def _site_at(self, stmt: cst.BaseStatement) -> tuple[ResourceCreation, PoolKind] | None:
        spans: list[cst.CSTNode] = list(stmt.items) if isinstance(stmt, cst.With) else [stmt]
        for node in spans:
            position = self.get_metadata(PositionProvider, node)
            for line in range(position.start.line, position.end.line + 1):
                if line in self._sites:
                    return self._sites.pop(line)
        return None

    def _applied(self, r: ResourceCreation, kind: PoolKind) -> None:
        self.applied.append(f"pool {r.callee} in {r.function} (line {r.lineno})")
        self._first_line = min(self._first_line or r.lineno, r.lineno)

    def _plan(
        self,
        before: Sequence[cst.BaseStatement],
        after: Sequence[cst.BaseStatement],
        index: int,
        r: ResourceCreation,
        kind: PoolKind,
    ) -> Plan:
        stmt = before[index]
        if isinstance(stmt, cst.With):
            return self._plan_with(stmt, after[index], r, kind)
        call = _assigned_call(stmt, r.binding)
        if call is None:
            return "it is created inside a larger statement"
        following = before[index + 1] if index + 1 < len(before) else None
        if isinstance(following, cst.Try) and _finally_only_closes(following, r.binding):
            inside: list[cst.CSTNode] = [following.body, *following.handlers]
            inside += [following.orelse] if following.orelse else []
            reason = self._check(call, r, kind, inside, [stmt, following])
            if reason:
                return reason
            updated = after[index + 1]
            assert isinstance(updated, cst.Try)
            if updated.handlers:
                body: list[cst.BaseStatement] = [updated.with_changes(finalbody=None, leading_lines=())]
            else:
                body = _statements(updated.body)
            return self._with(call, r, kind, body, stmt), 2
        close = next((j for j in range(index + 1, len(before)) if _is_close(before[j], r.binding)), 0)
        if not close:
            return _NOT_IN_ONE_BLOCK
        reason = self._check(call, r, kind, list(before[index + 1 : close]), before[index : close + 1])
        if reason:
            return reason
        return self._with(call, r, kind, list(after[index + 1 : close]), stmt), close - index + 1

    def _plan_with(
        self, stmt: cst.With, updated: cst.BaseStatement, r: ResourceCreation, kind: PoolKind
    ) -> Plan:
        position = next((k for k, item in enumerate(stmt.items) if _closing_call(item, r.binding)), -1)
        if position < 0 or not isinstance(updated, cst.With):
            return _NOT_IN_ONE_BLOCK
        call = _closing_call(stmt.items[position], r.binding)
        assert call is not None
        others = [item for k, item in enumerate(stmt.items) if k != position]
        reason = self._check(call, r, kind, [stmt.body, *others], [stmt])
        if reason:
            return reason
        items = list(updated.items)
        items[position] = items[position].with_changes(item=self._acquire(call, kind))
        return updated.with_changes(items=items), 1

    def _check(
        self,
        call: cst.Call,
        r: ResourceCreation,
        kind: PoolKind,
        inside: list[cst.CSTNode],
        held: Sequence[cst.CSTNode],
    ) -> str:
        function = self._functions[-1]
        local_names = function_locals(function)
        if kind.pools_name in local_names:
            return f"the function has a local `{kind.pools_name}`, which would hide the module's pool"
        return argument_blockers(call, kind, self._scope, local_names) or use_blockers(
            inside, function, held, r.binding, kind, self._scope
        )

    def _with(
        self,
        call: cst.Call,
        r: ResourceCreation,
        kind: PoolKind,
        body: list[cst.BaseStatement],
        creation: cst.BaseStatement,
    ) -> cst.With:
        assert isinstance(creation, cst.SimpleStatementLine)
        item = cst.WithItem(item=self._acquire(call, kind), asname=cst.AsName(name=cst.Name(r.binding)))
        block = cst.IndentedBlock(body=body or [cst.SimpleStatementLine(body=[cst.Pass()])])
        return cst.With(items=[item], body=block, leading_lines=creation.leading_lines)

    def _acquire(self, call: cst.Call, kind: PoolKind) -> cst.Call:
        args = [cst.Arg(value=call.func)]
        args += [_arg(a.value, a.keyword) for a in call.args]
        keywords = {a.keyword.value for a in call.args if a.keyword is not None}
        if kind.thread_kwarg and kind.thread_kwarg not in keywords:
            args.append(_arg(cst.Name("False"), cst.Name(kind.thread_kwarg)))
        return cst.Call(
            func=cst.Attribute(value=cst.Name(self._pools_name(kind)), attr=cst.Name("acquire")), args=args
        )

    def _pools_name(self, kind: PoolKind) -> str:
        name = kind.pools_name
        if name in self._existing or name in self._emit:
            return name
        suffix = 0
        while name in self._scope.bound:
            suffix += 1
            name = f"{kind.pools_name}_{suffix}"
        self._emit[name] = kind
        return name

    # -- module-level pools -----------------------------------------------------------------------
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self._emit:
            return updated_node
        names: set[str] = set()
        statements = []
        for name, kind in self._emit.items():
            statements.append(cst.parse_statement(f"{name} = PoolMap({', '.join(kind.options())})\n"))
            names.update(kind.runtime_names())
        for helper in sorted(names):
            AddImportsVisitor.add_needed_import(self.context, self.runtime, helper)
        at = next(
            k
            for k, stmt in enumerate(original_node.body)
            if self.get_metadata(PositionProvider, stmt).end.line >= self._first_line
        )
        body = list(updated_node.body)
        lead = body[at].leading_lines
        statements[0] = statements[0].with_changes(leading_lines=lead)
        body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        return updated_node.with_changes(body=[*body[:at], *statements, *body[at:]])


def _statements(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    assert isinstance(block, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=block.body)]


def _arg(value: cst.BaseExpression, keyword: cst.Name | None) -> cst.Arg:
    if keyword is None:
        return cst.Arg(value=value)
    tight = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )
    return cst.Arg(value=value, keyword=keyword, equal=tight)


def candidates(
    facts: ModuleFacts, extra: Sequence[str]
) -> tuple[dict[int, tuple[ResourceCreation, PoolKind]], list[Skip]]:
    """Sites worth a look at the syntax level (by line), and those the facts alone rule out."""
    sites: dict[int, tuple[ResourceCreation, PoolKind]] = {}
    skips: list[Skip] = []
    for r in facts.resources:
        kind = kind_for(r.callee, tuple(extra))
        if kind is None or r.in_init or (r.escapes and all(_CACHED.match(e) for e in r.escapes)):
            continue  # not expensive, or created once per object / cached: not per call
        reason = fact_blockers(r, kind)
        if not reason and not kind.automatic:
            reason = NOT_AUTOMATIC.get(kind.label, "no reset is known for it: configure the pool by hand")
        if not reason and r.param_args:
            reason = (
                f"its arguments read `{r.param_args[0]}`, which can differ per call "
                "(a pool per value could grow without bound)"
            )
        if reason:
            skips.append(_site_skip(r, kind, reason))
        else:
            sites[r.lineno] = (r, kind)
    return sites, skips


def _site_skip(r: ResourceCreation, kind: PoolKind, reason: str) -> tuple[int, str, str]:
    hint = suggestion(r, kind)
    return (r.lineno, f"{r.function}: {r.callee}", f"{reason}; {hint}" if hint else reason)


def _poolmap_variables(module: cst.Module) -> set[str]:
    found = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Name)
                and small.value.func.value == "PoolMap"
            ):
                found.add(small.targets[0].target.value)
    return found


def _assigned_call(stmt: cst.BaseStatement, binding: str) -> cst.Call | None:
    """``binding = <call>`` as a whole statement line."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    assign = stmt.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return None
    target = assign.targets[0].target
    if isinstance(target, cst.Name) and target.value == binding and isinstance(assign.value, cst.Call):
        return assign.value
    return None


def _is_close(stmt: cst.BaseStatement, binding: str) -> bool:
    """The statement line ``binding.close()``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    expr = stmt.body[0]
    return (
        isinstance(expr, cst.Expr)
        and isinstance(expr.value, cst.Call)
        and not expr.value.args
        and isinstance(expr.value.func, cst.Attribute)
        and expr.value.func.attr.value == "close"
        and isinstance(expr.value.func.value, cst.Name)
        and expr.value.func.value.value == binding
    )


def _finally_only_closes(node: cst.Try, binding: str) -> bool:
    final = node.finalbody
    if final is None or not isinstance(final.body, cst.IndentedBlock):
        return False
    return len(final.body.body) == 1 and _is_close(final.body.body[0], binding)


def _closing_call(item: cst.WithItem, binding: str) -> cst.Call | None:
    """The constructor call in ``closing(<call>) as binding``."""
    outer = item.item
    if not (isinstance(item.asname, cst.AsName) and isinstance(item.asname.name, cst.Name)):
        return None
    if item.asname.name.value != binding or not isinstance(outer, cst.Call) or len(outer.args) != 1:
        return None
    func = outer.func
    name = (
        func.attr.value
        if isinstance(func, cst.Attribute)
        else func.value
        if isinstance(func, cst.Name)
        else ""
    )
    inner = outer.args[0].value
    return inner if name == "closing" and isinstance(inner, cst.Call) else None


def pool_file(file: FileInput) -> FileResult:
    """The ``pool`` transform over one file (see the module docstring)."""
    extra = file.options.value("pool.extra-constructors", ())
    extra_constructors = tuple(extra) if isinstance(extra, tuple) else ()
    sites, early = candidates(file.facts, extra_constructors)
    if not sites:  # nothing left for the syntax-level checks: no need to parse
        return site_result(file, [], early, None, _RUNTIME)
    return run_site_codemod(
        file,
        "pool",
        lambda context: PoolingCommand(
            context,
            facts=file.facts,
            extra_constructors=extra_constructors,
            runtime_module=file.options.runtime_import("pooled"),
            source=file.source,
        ),
        _RUNTIME,
    )


_RUNTIME = ("pooled", "pool")


POOLING = register(
    Transform(
        name="pool",
        flag="--pool",
        rules=("CO301",),
        run=pool_file,
        summary="Check per-call connections out of a module-level codeopt_runtime pool (rollback on return).",
    )
)

"""The conditions under which a per-call object may come from a pool instead: each returns a reason or "".

Why these conditions: a pooled object outlives the call, so the rewrite is invisible only when (1) the
function is the object's sole user while it holds it (never returned, stored, passed on, aliased, nor
used after the point where the original closed it), (2) nothing it does to the object survives the
pool's reset (a rollback undoes uncommitted rows, not ``row_factory``, ``PRAGMA``s, ``ATTACH`` or temp
tables), and (3) the pool is chosen by arguments that cannot silently multiply (literals and module
constants; a parameter could open one pool per value).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Sequence

import libcst as cst

from codeopt.analysis.facts import ResourceCreation
from codeopt.transforms.pooling_kinds import PoolKind
from codeopt.transforms.pooling_scope import ModuleScope, cst_literal

_SQL_METHODS = frozenset({"execute", "executemany", "executescript"})
_DERIVING = frozenset({"cursor", "execute", "executemany", "executescript"})
_MEMORY_DATABASES = ("", ":memory:")


def fact_blockers(r: ResourceCreation, kind: PoolKind) -> str:
    """What the facts walk already knows makes pooling unsafe ("" when nothing does)."""
    return _lifetime_blocker(r) or _escape_blocker(r) or _close_blocker(r, kind)


def _lifetime_blocker(r: ResourceCreation) -> str:
    if r.is_async:
        return "the function is async: it needs an AsyncObjectPool, which is not applied automatically"
    if r.in_generator:
        return "the function is a generator: the object would stay checked out across `yield`s"
    return ""


def _escape_blocker(r: ResourceCreation) -> str:
    if r.returned:
        return "it is returned to the caller, who owns it"
    if r.returned_derived:
        return f"its {r.returned_derived} is returned and needs the object alive"
    if r.escapes:
        return f"it is {r.escapes[0]}"
    if r.passed_to:
        return f"it is passed to `{r.passed_to[0]}`, which may keep it"
    return ""


def _close_blocker(r: ResourceCreation, kind: PoolKind) -> str:
    if r.via_with and not r.via_closing and kind.with_commits:
        return f"leaving `with` on a {kind.label} commits: the pooled code must call `commit()` itself"
    if r.closed or r.via_closing or (r.via_with and kind.with_closes):
        return ""
    if r.via_with:
        return f"`with` on a {kind.label} ends a transaction but does not close it"
    return "it is never closed in the function (it lives until garbage collection)"


def argument_blockers(call: cst.Call, kind: PoolKind, scope: ModuleScope, local_names: set[str]) -> str:
    """The pool key must be the same for every call: literals and module constants only."""
    for position, arg in enumerate(call.args):
        if arg.star:
            return "the constructor arguments are unpacked (`*`/`**`): the pool key is unknown"
        name = arg.keyword.value if arg.keyword is not None else ""
        if name and name == kind.thread_kwarg:
            literal, value = cst_literal(arg.value)
            if not (literal and value is False):
                return f"it passes `{name}=` other than False: the object is bound to one thread"
            continue
        reason = _key_blocker(arg.value, scope, local_names)
        if reason:
            return reason
        is_database = kind.identity == "sqlite3_identity" and (name == "database" or position == 0)
        if is_database and _static_value(arg.value, scope) in _MEMORY_DATABASES:
            return "it opens an in-memory database, which must start empty on every call"
    return ""


def _key_blocker(value: cst.BaseExpression, scope: ModuleScope, local_names: set[str]) -> str:
    """ "" when ``value`` is the same at every call: literals, module constants, attributes of imported
    modules (``sqlite3.PARSE_DECLTYPES``) and operators over those."""
    literal, _ = cst_literal(value)
    if literal:
        return ""
    if isinstance(value, cst.Name):
        if value.value in local_names:
            return (
                f"its arguments read `{value.value}`, which can differ per call "
                "(a pool per value could grow without bound)"
            )
        if scope.is_constant(value.value):
            return ""
        return f"its arguments read `{value.value}`, which is not a module constant"
    parts = _operands(value)
    if parts:
        return next((r for r in (_key_blocker(p, scope, local_names) for p in parts) if r), "")
    shown = cst.Module(body=[]).code_for_node(value)
    return f"its argument `{shown[:40]}` is neither a literal nor a module constant"


def _operands(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The parts a constant expression is made of (empty when it is not such an expression)."""
    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name | cst.Attribute):
        return [value.value]  # ``module.CONSTANT``: as stable as ``module``
    if isinstance(value, cst.BinaryOperation):
        return [value.left, value.right]
    if isinstance(value, cst.UnaryOperation):
        return [value.expression]
    if isinstance(value, cst.Tuple):
        return [element.value for element in value.elements]
    return []


def _static_value(value: cst.BaseExpression, scope: ModuleScope) -> object:
    literal, found = cst_literal(value)
    if literal:
        return found
    if isinstance(value, cst.Name) and value.value in scope.literal_constants:
        return scope.constants.get(value.value)
    return None


def function_locals(func: cst.FunctionDef) -> set[str]:
    """Parameters and every name the function (or a nested scope in it) binds."""
    code = textwrap.dedent(cst.Module(body=[]).code_for_node(func.with_changes(decorators=())))
    tree = ast.parse(code)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in _all_args(n)}
    return names


def _all_args(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found.extend(a for a in (args.vararg, args.kwarg) if a is not None)
    return found


class _UseScan(cst.CSTVisitor):
    """Every use of the tracked names in some nodes; the first unsafe one becomes ``reason``."""

    def __init__(
        self,
        names: set[str],
        kind: PoolKind,
        scope: ModuleScope,
        inside: bool,
        skip: frozenset[int] = frozenset(),
    ) -> None:
        self.names = names
        self.skip = skip
        self.kind = kind
        self.scope = scope
        self.inside = inside
        self.allowed: set[int] = set()  # ids of Name nodes already judged
        self.derived: set[str] = set()
        self.reason = ""

    def _fail(self, reason: str) -> bool:
        self.reason = self.reason or reason
        return False

    def _tracked(self, node: cst.BaseExpression) -> str:
        return node.value if isinstance(node, cst.Name) and node.value in self.names else ""

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.skip and super().on_visit(node)

    # nested scopes are the facts walk's business (a capture is an escape)
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        if node.value in self.names and id(node) not in self.allowed:
            if not self.inside:
                return self._fail(f"`{node.value}` is used outside the code that holds it")
            return self._fail(f"`{node.value}` is passed on or aliased, so it may be kept")
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _SQL_METHODS and node.args:
            reason = sql_blocker(node.args[0].value, self.kind, self.scope)
            if reason:
                self._fail(reason)
        if isinstance(func, cst.Attribute) and self._tracked(func.value) and self.inside:
            owner = self._tracked(func.value)
            if owner not in self.derived and func.attr.value not in self.kind.methods:
                self._fail(f"it calls `{owner}.{func.attr.value}()`, which may change it for later users")
            self.allowed.add(id(func.value))
        return True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        owner = self._tracked(node.value)
        if owner and self.inside:
            self.allowed.add(id(node.value))
            if owner not in self.derived and node.attr.value not in self.kind.reads | self.kind.methods:
                self._fail(f"it uses `{owner}.{node.attr.value}`, which is not known to be harmless")
        return True

    def _store(self, target: cst.BaseExpression) -> None:
        owner = self._tracked(target.value) if isinstance(target, cst.Attribute) else ""
        if owner and isinstance(target, cst.Attribute):
            self._fail(f"it sets `{owner}.{target.attr.value}`, which would stay set")

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        self._store(node.target)
        return True

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self._store(node.target)
        return True

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        self._store(node.target)
        return True

    def visit_Assign(self, node: cst.Assign) -> bool:
        """``cur = conn.cursor()``: ``cur`` is tied to the connection and tracked like it."""
        value = node.value
        if (
            self.inside
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and self._tracked(value.func.value)
            and value.func.attr.value in _DERIVING
        ):
            target = node.targets[0].target
            if target.value not in self.names:
                self.names.add(target.value)
                self.derived.add(target.value)
                self.allowed.add(id(target))
        return True

    def visit_For(self, node: cst.For) -> bool:
        """``for row in cursor:`` reads the cursor's rows."""
        if self.inside and self._tracked(node.iter) in self.derived:
            self.allowed.add(id(node.iter))
        return True

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        """``with conn:`` is a transaction block on DB connections: commit or rollback, no close."""
        if self.inside and node.asname is None and self._tracked(node.item) and not self.kind.with_closes:
            self.allowed.add(id(node.item))
        return True


def use_blockers(
    inside: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    held: Iterable[cst.CSTNode],
    binding: str,
    kind: PoolKind,
    scope: ModuleScope,
) -> str:
    """Uses of ``binding`` (and cursors made from it) inside the region that holds it (``inside``), then
    in the rest of ``function`` (everything but the ``held`` statements: creation, region, close)."""
    scan = _UseScan({binding}, kind, scope, inside=True)
    for node in inside:
        node.visit(scan)
    if scan.reason:
        return scan.reason
    rest = _UseScan(set(scan.names), kind, scope, inside=False, skip=frozenset(id(n) for n in held))
    function.body.visit(rest)
    return rest.reason


def sql_blocker(sql: cst.BaseExpression, kind: PoolKind, scope: ModuleScope) -> str:
    """SQL must be known statically and must not change the connection itself."""
    value = _static_value(sql, scope)
    if not isinstance(value, str):
        return "it runs SQL that is not a literal or module constant, which could change the connection"
    if kind.state_sql is not None:
        found = kind.state_sql.search(value)
        if found:
            word = next(group for group in found.groups() if group).upper()
            return f"its SQL uses `{word}`, which changes or reads per-connection state"
    return ""

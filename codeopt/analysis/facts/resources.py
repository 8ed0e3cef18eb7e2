"""Resource creations: calls in function bodies to imported callees, followed through the function.

A creation starts when a call whose callee resolves through the imports is kept (bound to a variable,
a ``with`` target, or stored); every later read of the variable says what happens to the object
(methods called, closed, returned, stored, passed on, yielded, captured). Which callees are
*expensive* is a rule option: facts record every such call, so the per-file cache never depends on it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from codeopt.analysis.facts.model import ResourceCreation
from codeopt.analysis.facts.state import Creation, Scope, WalkerBase
from codeopt.analysis.facts.syntax import call_arguments, loads

_CLOSERS = frozenset({"close", "aclose", "terminate", "shutdown", "disconnect", "quit"})
# Method results that keep the object that produced them in use (a cursor needs its connection).
_DERIVED = frozenset(
    {"cursor", "execute", "executemany", "executescript", "pipeline", "pubsub", "stream", "blobopen"}
)
_CLOSING = frozenset({"contextlib.closing", "contextlib.aclosing"})


class ResourceTracking(WalkerBase):
    """Starts following kept calls, and records what each read of a followed variable does."""

    # -- creations --------------------------------------------------------------------------------
    def maybe_creation(
        self, value: ast.expr, target: ast.expr | None, fn: Scope, *, via_with: bool
    ) -> Creation | None:
        """Start following ``value`` when it is a call to an imported callee whose result is kept."""
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return None  # most assignments: nothing to follow, decided without a further call
        created = self.created_call(value)
        kept = self.kept_as(target, fn) if created is not None else None
        if created is None or kept is None:
            return None
        call, closing, callee, root = created
        binding, escape = kept
        creation = Creation(
            lineno=call.lineno,
            end_lineno=call.end_lineno or call.lineno,
            callee=callee,
            root=root,
            call_text=self.segment(call),
            binding=binding,
            via_with=via_with,
            via_closing=closing,
            in_loop=self.loop_depth > 0,
            arg_names=tuple(sorted({n.id for a in call_arguments(call) for n in loads(a)})),
            closed=closing,
        )
        if escape:
            creation.escape(escape)
        fn.creations.append(creation)
        return creation

    def created_call(self, call: ast.Call) -> tuple[ast.Call, bool, str, str] | None:
        """(the creating call, wrapped in ``contextlib.closing``, resolved callee, local root name);
        None unless ``call`` calls an imported callee (builtins and locals cannot be named)."""
        closing = False
        callee, root = self.dotted(call.func)
        if callee in _CLOSING and call.args:
            inner = _awaited(call.args[0])
            if not isinstance(inner, ast.Call):
                return None
            call, closing = inner, True
            callee, root = self.dotted(call.func)
        if not callee or self.lookup_import(root) is None:
            return None
        return call, closing, callee, root

    def kept_as(self, target: ast.expr | None, fn: Scope) -> tuple[str, str] | None:
        """(the variable bound, how the object escapes) for an assignment target; None when the
        target unpacks (not one object we can follow)."""
        if isinstance(target, ast.Name):
            if target.id in fn.globals:
                return "", f"assigned to global {target.id}"
            return target.id, ""
        if isinstance(target, ast.Attribute | ast.Subscript):
            return "", f"stored on {self.segment(target, limit=40)}"
        return ("", "") if target is None else None

    def with_item_creation(self, expr: ast.expr, target: ast.expr | None, fn: Scope) -> Creation | None:
        """``with expr [as target]:``: a followed variable used as a context, or a new creation."""
        if isinstance(expr, ast.Name) and expr.id in fn.tracked:
            fn.tracked[expr.id].used_as_context = True
        return self.maybe_creation(expr, target, fn, via_with=True)

    def after_assign(
        self, targets: Sequence[ast.expr], value: ast.expr, fn: Scope, creation: Creation | None
    ) -> None:
        """Follow the new variable: a creation, an alias of a followed one, or a derived cursor."""
        if creation is not None:
            if creation.binding:
                fn.tracked[creation.binding] = creation
            return
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return
        name = targets[0].id
        if isinstance(value, ast.Name) and value.id in fn.tracked:
            fn.tracked[name] = fn.tracked[value.id]  # an alias of the same object
            return
        root, method = _method_call_root(value)
        if root is not None and root.id in fn.tracked and method in _DERIVED:
            fn.derived[name] = (fn.tracked[root.id], method)

    # -- where followed objects go ----------------------------------------------------------------
    def note_flows_into(self, targets: Sequence[ast.expr], value: ast.expr, fn: Scope) -> None:
        names = [n for n in _names_in_container(value) if n.id in fn.tracked]
        for target in targets if names else ():
            if isinstance(target, ast.Attribute | ast.Subscript):
                where = f"escape:stored on {self.segment(target, limit=40)}"
            elif isinstance(target, ast.Name) and target.id in fn.globals:
                where = f"escape:assigned to global {target.id}"
            else:
                continue
            for name in names:
                self.flows[id(name)] = where

    def note_return(self, value: ast.expr, fn: Scope) -> None:
        for name in _names_in_container(value):
            if name.id in fn.tracked:
                self.flows[id(name)] = "returned"
            elif name.id in fn.derived:
                creation, method = fn.derived[name.id]
                creation.returned_derived = creation.returned_derived or f"{method}() result"
        root, method = _method_call_root(value)
        if root is not None and root.id in fn.tracked and method in _DERIVED:
            creation = fn.tracked[root.id]
            creation.returned_derived = creation.returned_derived or f"{method}() result"

    def note_yielded(self, value: ast.expr, fn: Scope) -> None:
        for name in _names_in_container(value):
            if name.id in fn.tracked:
                self.flows[id(name)] = "escape:yielded"

    def note_passed(self, call: ast.Call, fn: Scope) -> None:
        """Followed variables passed as arguments of ``call``."""
        callee = self.segment(call.func, limit=60)
        for arg in call_arguments(call):
            inner = arg.value if isinstance(arg, ast.Starred) else arg
            if isinstance(inner, ast.Name) and inner.id in fn.tracked:
                self.flows[id(inner)] = f"passed:{callee}"

    def note_loop_call(self, func: ast.expr) -> None:
        """A call inside a loop: a function of this module called there creates per iteration."""
        if isinstance(func, ast.Name):
            self.loop_called.add(func.id)
        elif isinstance(func, ast.Attribute):
            self.loop_called.add(func.attr)

    def follow_resource(self, node: ast.Name, attribute: str) -> None:
        """Record what a read of a tracked variable does with the object it holds."""
        fn = self.function_scope()
        creation = fn.tracked.get(node.id) if fn is not None else None
        if fn is None or creation is None:
            return
        if self.scope is not fn:
            inner = self.scope
            if inner.kind != "comprehension" and node.id not in inner.stores | inner.params:
                creation.escape("captured by a nested function")
            return
        _note_flow(creation, self.flows.pop(id(node), ""))
        if attribute:
            self.note_method_call(creation, attribute)

    def note_method_call(self, creation: Creation, attribute: str) -> None:
        if attribute not in creation.methods:
            creation.methods.append(attribute)
        if attribute in _CLOSERS:
            creation.closed = True
            creation.closed_in_finally |= self.finally_depth > 0

    # -- results ----------------------------------------------------------------------------------
    def resource_facts(self) -> Iterator[ResourceCreation]:
        for creation, scope in self.pending_resources:
            local = scope.params | scope.stores
            yield ResourceCreation(
                function=scope.qualname,
                function_lineno=getattr(scope.node, "lineno", 0),
                lineno=creation.lineno,
                end_lineno=creation.end_lineno,
                callee=creation.callee,
                call_text=creation.call_text,
                binding=creation.binding,
                via_with=creation.via_with,
                via_closing=creation.via_closing,
                is_async=scope.is_async,
                in_loop=creation.in_loop,
                in_generator=scope.has_yield,
                is_method=scope.is_method,
                in_init=scope.is_init,
                methods=tuple(creation.methods),
                closed=creation.closed,
                closed_in_finally=creation.closed_in_finally,
                used_as_context=creation.used_as_context,
                returned=creation.returned,
                returned_derived=creation.returned_derived,
                escapes=tuple(creation.escapes),
                passed_to=tuple(creation.passed_to),
                arg_names=creation.arg_names,
                param_args=tuple(n for n in creation.arg_names if n in local),
                called_in_loop=scope.qualname.rsplit(".", 1)[-1] in self.loop_called,
            )


def _note_flow(creation: Creation, flow: str) -> None:
    """Apply what the read's position said about the object: returned, escaped or passed on."""
    if flow == "returned":
        creation.returned = True
    elif flow.startswith("escape:"):
        creation.escape(flow.removeprefix("escape:"))
    elif flow.startswith("passed:"):
        callee = flow.removeprefix("passed:")
        if callee not in creation.passed_to:
            creation.passed_to.append(callee)


def _awaited(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Await) else node


def _names_in_container(node: ast.expr) -> list[ast.Name]:
    if isinstance(node, ast.Name):
        return [node]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [n for elt in node.elts for n in _names_in_container(elt)]
    if isinstance(node, ast.Dict):
        return [n for v in node.values for n in _names_in_container(v)]
    if isinstance(node, ast.Starred):
        return _names_in_container(node.value)
    return []


def _method_call_root(node: ast.expr) -> tuple[ast.Name | None, str]:
    """``conn.execute(q)`` -> (conn, "execute"): a method called directly on a name."""
    if isinstance(node, ast.Await):
        node = node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value, node.func.attr
    return None, ""

"""Eager attributes: ``self.x = <call>`` in ``__init__``, with who else reads ``self.x``.

The walk notes what each class is made of (``__slots__``, dataclass, custom attribute access), which
of its methods take ``self``, every ``self.<attribute>`` each method touches (also through
``getattr``/``setattr``/``hasattr`` with a literal name), and every assignment of a value holding a
call to ``self.<attribute>`` in ``__init__``/``__post_init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from codeopt.analysis.facts.model import EagerAttribute
from codeopt.analysis.facts.state import ClassInfo, Scope, WalkerBase, qualname
from codeopt.analysis.facts.syntax import decorator_name, loads

INIT_NAMES = frozenset({"__init__", "__post_init__"})
_ATTRIBUTE_HOOKS = frozenset({"__getattr__", "__getattribute__", "__setattr__"})
_REFLECTION = frozenset({"getattr", "setattr", "hasattr"})


class AttributeTracking(WalkerBase):
    """Classes, their methods, and what each method does with ``self``'s attributes."""

    # -- classes and methods ----------------------------------------------------------------------
    def new_class(self, node: ast.ClassDef, outer: Scope) -> ClassInfo:
        cls = ClassInfo(qualname(outer, node.name), node.lineno, tuple(self.segment(b) for b in node.bases))
        for decorator in node.decorator_list:
            if decorator_name(decorator) == "dataclass":
                cls.is_dataclass = True
                for kw in decorator.keywords if isinstance(decorator, ast.Call) else ():
                    cls.has_slots |= kw.arg == "slots" and _is_true(kw.value)
                    cls.frozen_dataclass |= kw.arg == "frozen" and _is_true(kw.value)
        cls.has_slots |= any(_assigns_name(stmt, "__slots__") for stmt in node.body)
        return cls

    def note_method(self, cls: ClassInfo, scope: Scope, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A def in a class body: a method, with an instance first parameter unless static/class."""
        cls.methods.append(node.name)
        if node.name in _ATTRIBUTE_HOOKS:
            cls.custom_getattr = True
        positional = [*node.args.posonlyargs, *node.args.args]
        kinds = {decorator_name(d) for d in node.decorator_list}
        if positional and not kinds & {"staticmethod", "classmethod"}:
            scope.is_method = True
            scope.self_name = positional[0].arg
            scope.is_init = node.name in INIT_NAMES

    def method_scope(self) -> tuple[Scope, ClassInfo] | None:
        """The innermost enclosing method (closures inside a method count as that method)."""
        for index in range(len(self.scopes) - 1, 0, -1):
            scope = self.scopes[index]
            if scope.kind == "function" and scope.is_method:
                owner = self.scopes[index - 1].cls
                return (scope, owner) if owner is not None else None
            if scope.kind == "class":
                return None
        return None

    # -- self attributes --------------------------------------------------------------------------
    def note_self_attribute(self, owner: str, attribute: str, lineno: int, read: bool) -> None:
        found = self.method_scope()
        if found is None or found[0].self_name != owner:
            return
        method, cls = found
        if method.is_init:
            if read:
                cls.init_reads.setdefault(attribute, []).append(lineno)
            return
        cls.touched.setdefault(method.qualname.rsplit(".", 1)[-1], set()).add(attribute)

    def note_reflective_attribute(self, func: ast.Name, call: ast.Call) -> None:
        """``getattr(self, "x")``, ``setattr(self, "x", v)``, ``hasattr(self, "x")``."""
        if func.id not in _REFLECTION or len(call.args) < 2:
            return
        owner, key = call.args[0], call.args[1]
        if isinstance(owner, ast.Name) and isinstance(key, ast.Constant) and isinstance(key.value, str):
            self.note_self_attribute(owner.id, key.value, call.lineno, func.id != "setattr")

    def maybe_eager(self, target: ast.expr, value: ast.expr, stmt: ast.stmt, fn: Scope) -> None:
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
            return
        if target.value.id != fn.self_name or not any(isinstance(n, ast.Call) for n in ast.walk(value)):
            return
        found = self.method_scope()
        if found is not None:
            found[1].eager.append((target, value, stmt, fn, self.depth > 0))

    # -- results ----------------------------------------------------------------------------------
    def eager_attributes(self) -> Iterator[EagerAttribute]:
        for cls in self.classes:
            others = [m for m in cls.methods if m not in INIT_NAMES]
            for target, value, stmt, init, conditional in cls.eager:
                yield self.eager_attribute(cls, others, target, value, stmt, init, conditional)

    def eager_attribute(
        self,
        cls: ClassInfo,
        others: Sequence[str],
        target: ast.Attribute,
        value: ast.expr,
        stmt: ast.stmt,
        init: Scope,
        conditional: bool,
    ) -> EagerAttribute:
        calls = list(self.calls_in(value))
        outer = value.value if isinstance(value, ast.Await) else value
        callee = self.dotted(outer.func)[0] if isinstance(outer, ast.Call) else ""
        end = stmt.end_lineno or stmt.lineno
        init_locals = init.params | init.stores
        return EagerAttribute(
            class_name=cls.qualname,
            class_lineno=cls.lineno,
            init_lineno=getattr(init.node, "lineno", 0),
            attribute=target.attr,
            lineno=stmt.lineno,
            end_lineno=end,
            value_text=self.segment(value, one_line=False),
            callee=callee,
            calls=tuple(calls),
            reads_file=_reads_file(calls),
            init_names=tuple(sorted({n.id for n in loads(value) if n.id in init_locals})),
            conditional=conditional,
            used_in_init=any(line > end for line in cls.init_reads.get(target.attr, ())),
            used_by=tuple(m for m in others if target.attr in cls.touched.get(m, set())),
            methods=len(others),
            has_slots=cls.has_slots,
            is_dataclass=cls.is_dataclass,
            frozen_dataclass=cls.frozen_dataclass,
            custom_getattr=cls.custom_getattr,
            bases=cls.bases,
        )

    def calls_in(self, value: ast.expr) -> Iterator[str]:
        """Callees inside an expression, outermost first; method calls on results as ``().name``.

        Resolution here sees module-level imports only (the walk is over); ``__init__``-local
        imports of heavy constructors are rare enough not to matter.
        """
        for node in ast.walk(value):
            if isinstance(node, ast.Call):
                name, _ = self.dotted(node.func)
                if name:
                    yield name
                elif isinstance(node.func, ast.Attribute):
                    yield f"().{node.func.attr}"


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _assigns_name(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and stmt.target.id == name
    return False


def _reads_file(calls: Sequence[str]) -> bool:
    if any(c in ("open", "io.open", "codecs.open") for c in calls):
        return True
    return any(
        c in ("().read_text", "().read_bytes") or c.endswith((".read_text", ".read_bytes")) for c in calls
    )

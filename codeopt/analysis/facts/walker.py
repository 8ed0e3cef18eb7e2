"""The one walk over a module's ``ast`` that gathers every fact, and its entry points.

:class:`_Walker` combines the parts (imports, resources, eager attributes, function shapes) into one
visitor: each ``visit_*`` method below handles one kind of node once and tells every part what it
needs, so the tree is walked a single time whatever the number of facts.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from codeopt.analysis.facts.attributes import AttributeTracking
from codeopt.analysis.facts.imports import ImportTracking, catches_import_error
from codeopt.analysis.facts.model import ModuleFacts, UseContext, UseRole
from codeopt.analysis.facts.resources import ResourceTracking
from codeopt.analysis.facts.shapes import ShapeTracking, function_shape
from codeopt.analysis.facts.state import Scope, qualname
from codeopt.analysis.facts.syntax import all_args, has_future_annotations

if TYPE_CHECKING:
    from codeopt.source.parsing import SourceFile

_DYNAMIC = frozenset({"globals", "exec", "eval", "vars", "locals"})
_PROPAGATED_ROLES = frozenset({UseRole.ISINSTANCE, UseRole.EXCEPT, UseRole.SUBCLASS, UseRole.DECORATOR})
_SPECIAL_CALLS = frozenset({"isinstance", "issubclass", "getattr", "setattr", "hasattr"})
_Comprehension = ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp


def extract_facts(source: SourceFile, tree: ast.Module) -> ModuleFacts:
    """The facts of one module, from one walk over its (already parsed) ``ast`` tree."""
    return facts_from_tree(tree, source.lines, module=source.module, is_package=source.is_package)


def facts_from_tree(
    tree: ast.Module, lines: Sequence[str], *, module: str = "", is_package: bool = False
) -> ModuleFacts:
    """Like :func:`extract_facts` for callers holding only a tree and its lines."""
    walker = _Walker(lines, module, is_package)
    walker.run(tree)
    return walker.facts()


class _Walker(ImportTracking, ResourceTracking, AttributeTracking, ShapeTracking):
    """One pass over the module (see :class:`~codeopt.analysis.facts.state.WalkerBase`)."""

    _dispatch: ClassVar[dict[type[ast.AST], Callable[[Any, Any], None]]] = {}

    # -- module -----------------------------------------------------------------------------------
    def run(self, tree: ast.Module) -> None:
        self.future_annotations = has_future_annotations(tree)
        self.collect_module_imports(tree.body)
        for stmt in tree.body:
            self.visit(stmt)
        self.finish_scope(self.scopes[0])

    def facts(self) -> ModuleFacts:
        return ModuleFacts(
            future_annotations=self.future_annotations,
            imports=tuple(self.import_bindings()),
            exports=tuple(self.exports) if self.exports is not None else None,
            exports_dynamic=self.exports_dynamic,
            module_getattr=self.module_getattr,
            dynamic_lines=tuple(self.dynamic_lines),
            resources=tuple(sorted(self.resource_facts(), key=lambda r: (r.lineno, r.callee))),
            attributes=tuple(self.eager_attributes()),
            functions=tuple(sorted(self.shapes, key=lambda s: s.lineno)),
        )

    # -- definitions ------------------------------------------------------------------------------
    def visit_decorators(self, decorators: list[ast.expr]) -> None:
        for decorator in decorators:
            self.hint(decorator.func if isinstance(decorator, ast.Call) else decorator, UseRole.DECORATOR)
        self.with_position(UseContext.DECORATOR, decorators)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_function(node)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.scope
        self.visit_signature(node)
        self.store(node.name, node.lineno)
        if outer.kind == "module" and node.name == "__getattr__":
            self.module_getattr = True
        scope = Scope("function", qualname(outer, node.name), node)
        scope.is_async = isinstance(node, ast.AsyncFunctionDef)
        scope.params = {a.arg for a in all_args(node.args)}
        if outer.cls is not None:
            self.note_method(outer.cls, scope, node)
        self.visit_function_body(scope, node.body)
        self.finish_scope(scope)
        self.shapes.append(function_shape(scope, node))

    def visit_signature(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """What runs (or is read) when the ``def`` statement runs: decorators, defaults, annotations."""
        self.visit_decorators(node.decorator_list)
        self.with_position(UseContext.DEFAULT_VALUE, [*node.args.defaults, *node.args.kw_defaults])
        annotation_context = self.signature_annotation_context()
        for arg in all_args(node.args):
            self.visit_annotation(arg.annotation, annotation_context)
        self.visit_annotation(node.returns, annotation_context)

    def visit_function_body(self, scope: Scope, body: list[ast.stmt]) -> None:
        """The body in a fresh statement state (frames, depths, position), restored afterwards."""
        saved = (self.frames, self.depth, self.loop_depth, self.finally_depth, self.position)
        self.frames, self.depth, self.loop_depth, self.finally_depth, self.position = [], 0, 0, 0, None
        self.push(scope)
        try:
            for stmt in body:
                self.visit(stmt)
        finally:
            self.pop()
            self.frames, self.depth, self.loop_depth, self.finally_depth, self.position = saved

    def visit_Lambda(self, node: ast.Lambda) -> None:
        defaults = [*node.args.defaults, *node.args.kw_defaults]
        if self.in_function():
            for default in defaults:
                if default is not None:
                    self.visit(default)
        else:
            self.with_position(UseContext.DEFAULT_VALUE, defaults)
        scope = Scope("lambda", qualname(self.scope, "<lambda>"), node)
        scope.params = {a.arg for a in all_args(node.args)}
        self.push(scope)
        try:
            self.visit(node.body)
        finally:
            self.pop()
        self.finish_scope(scope)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        outer = self.scope
        self.visit_decorators(node.decorator_list)
        self.hint(ast.Tuple(elts=list(node.bases)), UseRole.SUBCLASS)
        self.with_position(UseContext.BASE_CLASS, [*node.bases, *(k.value for k in node.keywords)])
        self.store(node.name, node.lineno)
        cls = self.new_class(node, outer)
        scope = Scope("class", cls.qualname, node, cls=cls)
        saved, self.position = self.position, None
        self.push(scope)
        try:
            for stmt in node.body:
                self.visit(stmt)
        finally:
            self.pop()
            self.position = saved
        self.finish_scope(scope)
        self.classes.append(cls)

    def visit_comprehension_scope(self, node: _Comprehension, elements: list[ast.expr]) -> None:
        self.visit(node.generators[0].iter)  # evaluated in the enclosing scope
        scope = Scope("comprehension", self.scope.qualname, node)
        self.push(scope)
        self.loop_depth += 1
        try:
            for index, generator in enumerate(node.generators):
                self.decision()  # each ``for`` of a comprehension is a loop (radon counts it too)
                if index:
                    self.visit(generator.iter)
                self.visit(generator.target)
                for condition in generator.ifs:
                    self.decision()
                    self.visit(condition)
            for element in elements:
                self.visit(element)
        finally:
            self.loop_depth -= 1
            self.pop()
        self.finish_scope(scope)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self.visit_comprehension_scope(node, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self.visit_comprehension_scope(node, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self.visit_comprehension_scope(node, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self.visit_comprehension_scope(node, [node.key, node.value])

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    # -- names and calls --------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.store(node.id, node.lineno)
            return
        role, attribute = self.hints.pop(id(node), (UseRole.REFERENCE, ""))
        self.read(node.id, node.lineno, role, attribute, self.context())
        self.follow_resource(node, attribute)
        if node.id in _DYNAMIC and role is UseRole.CALL and not self.in_function():
            self.dynamic_lines.append(node.lineno)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        role, _ = self.hints.pop(id(node), (UseRole.ATTRIBUTE, ""))
        passed = role if role in _PROPAGATED_ROLES else UseRole.ATTRIBUTE
        self.hints[id(node.value)] = (passed, node.attr if isinstance(node.value, ast.Name) else "")
        if isinstance(node.value, ast.Name):
            self.note_self_attribute(node.value.id, node.attr, node.lineno, isinstance(node.ctx, ast.Load))
        self.visit(node.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        return

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        self.hints.setdefault(id(func), (UseRole.CALL, ""))
        if isinstance(func, ast.Name) and func.id in _SPECIAL_CALLS:
            self.note_special_call(func, node)
        if self.loop_depth:
            self.note_loop_call(func)
        fn = self.own_function()
        if fn is not None and fn.tracked:
            self.note_passed(node, fn)
        self.generic_visit(node)

    def note_special_call(self, func: ast.Name, call: ast.Call) -> None:
        """``isinstance``/``issubclass`` (their second argument is used as a class), and
        ``getattr``/``setattr``/``hasattr`` (on ``self``: an attribute access by name)."""
        if func.id not in ("isinstance", "issubclass"):
            self.note_reflective_attribute(func, call)
        elif len(call.args) == 2:
            self.hint(call.args[1], UseRole.ISINSTANCE)

    # -- assignments ------------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        if self.scope.kind == "module":
            self.note_exports(node.targets, node.value)
        fn = self.own_function()
        creation = None
        if fn is not None:
            self.note_flows_into(node.targets, node.value, fn)
            if len(node.targets) == 1:
                creation = self.maybe_creation(node.value, node.targets[0], fn, via_with=False)
            if fn.is_init:
                for target in node.targets:
                    self.maybe_eager(target, node.value, node, fn)
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
        if fn is not None:
            self.after_assign(node.targets, node.value, fn, creation)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        fn = self.own_function()
        creation = None
        if fn is not None and node.value is not None:
            self.note_flows_into([node.target], node.value, fn)
            creation = self.maybe_creation(node.value, node.target, fn, via_with=False)
            if fn.is_init:
                self.maybe_eager(node.target, node.value, node, fn)
        if self.in_function() or self.future_annotations:
            self.visit_annotation(node.annotation, UseContext.DEFERRED_ANNOTATION)  # never evaluated
        else:
            self.visit_annotation(node.annotation, UseContext.ANNOTATION)
        if node.value is not None:
            self.visit(node.value)
            if self.scope.kind == "module":
                self.note_exports([node.target], node.value)
        self.visit(node.target)
        if fn is not None and node.value is not None:
            self.after_assign([node.target], node.value, fn, creation)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if self.scope.kind == "module" and isinstance(target, ast.Name) and target.id == "__all__":
            self.extend_exports(node.value)
        self.visit(node.value)
        if isinstance(target, ast.Name):
            self.read(target.id, node.lineno, UseRole.REFERENCE, "", self.context())
            self.store(target.id, node.lineno)
        else:
            self.visit(target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = next(s for s in reversed(self.scopes) if s.kind != "comprehension")
        scope.stores.add(node.target.id)
        if scope.kind == "module":
            self.module_stores.setdefault(node.target.id, []).append((node.lineno, self.store_tag(), False))

    # -- control flow -----------------------------------------------------------------------------
    def visit_Break(self, node: ast.Break) -> None:
        self.note_exit("break")

    def visit_Continue(self, node: ast.Continue) -> None:
        self.note_exit("continue")

    def visit_Return(self, node: ast.Return) -> None:
        self.note_exit("return")
        fn = self.own_function()
        if node.value is not None:
            if fn is not None:
                self.note_return(node.value, fn)
            self.visit(node.value)

    def visit_Yield(self, node: ast.Yield) -> None:
        self.note_yield(node.value)

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self.note_yield(node.value)

    def note_yield(self, value: ast.expr | None) -> None:
        self.note_exit("yield")
        fn = self.function_scope()
        if fn is not None:
            fn.has_yield = True
            if value is not None and self.scope is fn:
                self.note_yielded(value, fn)
        if value is not None:
            self.visit(value)

    def visit_Expr(self, node: ast.Expr) -> None:
        if self.scope.kind == "module":
            self.note_exports_call(node.value)
        self.visit(node.value)

    def visit_If(self, node: ast.If) -> None:
        if not self.function_depth and self.visit_guard(node):  # guards only count outside functions
            return
        self.visit(node.test)
        module_level = not self.in_function()
        self.if_depth += module_level
        self.open_block(node)
        try:
            self.decision()
            self.visit_body(node.body)
            if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                self.depth -= 1  # ``elif`` continues the chain at the same depth
                try:
                    self.visit(node.orelse[0])
                finally:
                    self.depth += 1
            else:
                self.visit_body(node.orelse)
        finally:
            self.close_block()
            self.if_depth -= module_level

    def visit_For(self, node: ast.For) -> None:
        self.visit_loop(node, [node.iter, node.target])

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.visit_loop(node, [node.iter, node.target])

    def visit_While(self, node: ast.While) -> None:
        self.visit_loop(node, [node.test])

    def visit_loop(self, node: ast.For | ast.AsyncFor | ast.While, heads: list[ast.expr]) -> None:
        for head in heads:
            self.visit(head)
        self.open_block(node)
        self.loop_depth += 1
        try:
            self.decision()
            self.visit_body(node.body)
        finally:
            self.loop_depth -= 1
            self.close_block()
        self.visit_body(node.orelse)

    def visit_With(self, node: ast.With) -> None:
        self.visit_with(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self.visit_with(node)

    def visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        fn = self.own_function()
        for item in node.items:
            expr, target = item.context_expr, item.optional_vars
            creation = self.with_item_creation(expr, target, fn) if fn is not None else None
            self.visit(expr)
            if target is not None:
                self.visit(target)
            if fn is not None and creation is not None and creation.binding:
                fn.tracked[creation.binding] = creation
        self.open_block(node)
        try:
            self.visit_body(node.body)
        finally:
            self.close_block()

    def visit_Try(self, node: ast.Try) -> None:
        self.visit_try(node)

    def visit_TryStar(self, node: ast.TryStar) -> None:
        self.visit_try(node)

    def visit_try(self, node: ast.Try | ast.TryStar) -> None:
        module_level = not self.in_function()
        optional = module_level and any(catches_import_error(h) for h in node.handlers)
        self.open_block(node)
        if module_level:
            self.tries.append((node.lineno, False))
        try:
            self.try_depth += module_level
            self.optional_depth += optional
            try:
                self.visit_body(node.body)
                if module_level:
                    self.tries[-1] = (node.lineno, True)
                self.visit_handlers(node.handlers, module_level)
            finally:
                self.try_depth -= module_level
                self.optional_depth -= optional
                if module_level:
                    self.tries.pop()
            self.visit_body(node.orelse)
            self.finally_depth += 1
            try:
                self.visit_body(node.finalbody)
            finally:
                self.finally_depth -= 1
        finally:
            self.close_block()

    def visit_handlers(self, handlers: list[ast.ExceptHandler], module_level: bool) -> None:
        for handler in handlers:
            self.decision()
            self.hint(handler.type, UseRole.EXCEPT)
            if handler.type is not None:
                self.visit(handler.type)
            if handler.name:
                self.store(handler.name, handler.lineno)
            self.handler_depth += module_level
            try:
                self.visit_body(handler.body)
            finally:
                self.handler_depth -= module_level

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        self.open_block(node)
        try:
            for case in node.cases:
                self.decision()
                self.visit(case.pattern)
                if case.guard is not None:
                    self.visit(case.guard)
                self.visit_body(case.body)
        finally:
            self.close_block()

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self.store(node.name, node.lineno)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.store(node.name, node.lineno)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self.store(node.rest, node.lineno)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.decision(len(node.values) - 1)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.decision()
        self.generic_visit(node)

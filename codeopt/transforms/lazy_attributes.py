"""``codeopt optimize --lazy-attributes``: ``self.x = Heavy(...)`` in ``__init__`` built on first use instead.

The rewrite, for an attribute only some methods read and whose value calls constructors known (or
configured) to be free of side effects::

    class CodeReviewer:                                   class CodeReviewer:
        def __init__(self):                                   def __init__(self):
            self.rules = load()                    ->             self.rules = load()
            self._matcher = SequenceMatcher(autojunk=False)
                                                              @lazy_attribute
                                                              def _matcher(self):
                                                                  return SequenceMatcher(autojunk=False)

``lazy_attribute`` (codeopt_runtime.lazy) computes once per instance even when threads race for the
first read, stores the value in the instance ``__dict__`` (later reads are plain attribute reads) and,
like ``cached_property``, lets assignment and ``del`` work. Every candidate the conditions reject
(:mod:`.lazy_attributes_checks`) is reported with its reason.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor

from codeopt.analysis.facts import EagerAttribute, ModuleFacts, facts_from_tree
from codeopt.analysis.side_effects import SIDE_EFFECT_FREE
from codeopt.transforms.base import (
    FileInput,
    FileResult,
    Transform,
    Unchanged,
    register,
)
from codeopt.transforms.lazy_attributes_checks import (
    ClassShape,
    callee_blocker,
    class_blockers,
    class_shape,
    fact_blockers,
    returns_before,
    value_blocker,
)
from codeopt.transforms.pooling_scope import ModuleScope, module_scope
from codeopt.transforms.site_codemod import Skip, run_site_codemod, site_result


def candidates(
    facts: ModuleFacts, allowed: frozenset[str], scope: ModuleScope
) -> tuple[dict[str, list[EagerAttribute]], list[Skip]]:
    """Attributes worth a syntax-level look, by class qualname, and those the facts alone rule out."""
    found: dict[str, list[EagerAttribute]] = {}
    skips: list[Skip] = []
    for attr in facts.attributes:
        reason = fact_blockers(attr) or callee_blocker(attr, allowed, scope.bound)
        if reason:
            skips.append((attr.lineno, _site(attr), reason))
        else:
            found.setdefault(attr.class_name, []).append(attr)
    return found, skips


def _site(attr: EagerAttribute) -> str:
    return f"{attr.class_name}.{attr.attribute}"


class LazyAttributesCommand(VisitorBasedCodemodCommand):
    """Turns every safe eager attribute of a module into a ``lazy_attribute``."""

    DESCRIPTION = "Build attributes set in __init__ on first use (codeopt_runtime.lazy.lazy_attribute)."

    def __init__(
        self,
        context: CodemodContext,
        facts: ModuleFacts | None = None,
        side_effect_free: Sequence[str] = (),
        runtime_module: str = "codeopt_runtime.lazy",
        source: str | None = None,
    ) -> None:
        super().__init__(context)
        self.facts = facts
        self.source = source  # the module's text when the caller has it (regenerating it is slow)
        self.allowed = frozenset((*SIDE_EFFECT_FREE, *side_effect_free))
        self.runtime = runtime_module
        self.applied: list[str] = []
        self.skips: list[Skip] = []
        self._scope = ModuleScope()
        self._imports: frozenset[str] = frozenset()
        self._candidates: dict[str, list[EagerAttribute]] = {}
        self._classes: dict[str, cst.ClassDef] = {}  # every class of the module by name
        self._bases: dict[str, set[str]] = {}  # class name -> names of its bases
        self._stack: list[str] = []

    def visit_Module(self, node: cst.Module) -> bool:
        facts = self.facts
        if facts is None:
            facts = facts_from_tree(ast.parse(node.code), node.code.splitlines())
        self._scope = module_scope(self.source if self.source is not None else node)
        self._imports = frozenset(b.name for b in facts.imports)
        self._candidates, skips = candidates(facts, self.allowed, self._scope)
        self.skips.extend(skips)
        if self._candidates:
            node.visit(_ClassIndex(self._classes, self._bases))  # subclasses may come after their base
        return True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._stack.extend((node.name.value, "<locals>"))
        return False  # classes defined inside functions are reported in leave_Module

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        for attrs in self._candidates.values():
            reason = "the class is defined inside a function (a new class per call)"
            self.skips.extend((attr.lineno, _site(attr), reason) for attr in attrs)
        return updated_node

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        del self._stack[-2:]
        return updated_node

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._stack.append(node.name.value)
        prefix = ".".join(self._stack)
        return any(name == prefix or name.startswith(prefix + ".") for name in self._candidates)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        qualname = ".".join(self._stack)
        self._stack.pop()
        wanted = self._candidates.pop(qualname, [])
        if not wanted:
            return updated_node
        shape = class_shape(original_node)
        plans = [p for p in (self._plan(shape, attr) for attr in wanted) if p is not None]
        if not plans:
            return updated_node
        AddImportsVisitor.add_needed_import(self.context, self.runtime, "lazy_attribute")
        return _rewrite(updated_node, shape, plans)

    def _plan(
        self, shape: ClassShape, attr: EagerAttribute
    ) -> tuple[cst.SimpleStatementLine, cst.FunctionDef] | None:
        found = self._statement(shape, attr)
        reason = "it is not a plain `self.x = ...` statement of `__init__`" if found is None else ""
        if found is not None:
            statement, value, annotation = found
            assert shape.init is not None
            reason = (
                class_blockers(shape, attr.attribute, attr.used_by, self._subclasses(shape.node.name.value))
                or value_blocker(value, self._scope, self._imports, shape.self_name)
                or (
                    "`__init__` may return before setting it" if returns_before(shape.init, statement) else ""
                )
            )
        if reason or found is None:
            self.skips.append((attr.lineno, _site(attr), reason))
            return None
        self.applied.append(f"lazy attribute {attr.class_name}.{attr.attribute} (line {attr.lineno})")
        return statement, _lazy_method(attr.attribute, shape.self_name, value, annotation, statement)

    def _statement(
        self, shape: ClassShape, attr: EagerAttribute
    ) -> tuple[cst.SimpleStatementLine, cst.BaseExpression, cst.Annotation | None] | None:
        """The top-level ``__init__`` statement assigning the attribute (the only one: see class_blockers)."""
        if shape.init is None or not isinstance(shape.init.body, cst.IndentedBlock):
            return None
        for stmt in shape.init.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
                continue
            small = stmt.body[0]
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value, annotation = small.targets[0].target, small.value, None
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value, annotation = small.target, small.value, small.annotation
            else:
                continue
            if _is_self_attribute(target, shape.self_name, attr.attribute):
                return stmt, value, annotation
        return None

    def _subclasses(self, name: str) -> list[ClassShape]:
        """Classes of this module deriving from ``name``, directly or not."""
        found: dict[str, ClassShape] = {}
        pending = [name]
        while pending:
            base = pending.pop()
            for cls, bases in self._bases.items():
                if base in bases and cls not in found:
                    found[cls] = class_shape(self._classes[cls])
                    pending.append(cls)
        return list(found.values())


class _ClassIndex(cst.CSTVisitor):
    """Every class of the module by name, and the names of its bases."""

    def __init__(self, classes: dict[str, cst.ClassDef], bases: dict[str, set[str]]) -> None:
        self.classes = classes
        self.bases = bases

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.setdefault(node.name.value, node)
        names = self.bases.setdefault(node.name.value, set())
        for base in node.bases:
            value = base.value
            names.add(value.attr.value if isinstance(value, cst.Attribute) else getattr(value, "value", ""))


def _is_self_attribute(target: cst.BaseExpression, self_name: str, attribute: str) -> bool:
    return (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == self_name
        and target.attr.value == attribute
    )


def _lazy_method(
    attribute: str,
    self_name: str,
    value: cst.BaseExpression,
    annotation: cst.Annotation | None,
    statement: cst.SimpleStatementLine,
) -> cst.FunctionDef:
    comments = [line for line in statement.leading_lines if line.comment is not None]
    return cst.FunctionDef(
        name=cst.Name(attribute),
        params=cst.Parameters(params=[cst.Param(name=cst.Name(self_name))]),
        body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Return(value=value)])]),
        decorators=[cst.Decorator(decorator=cst.Name("lazy_attribute"))],
        returns=cst.Annotation(annotation=annotation.annotation) if annotation is not None else None,
        leading_lines=[cst.EmptyLine(indent=False), *comments],
    )


def _rewrite(
    node: cst.ClassDef, shape: ClassShape, plans: list[tuple[cst.SimpleStatementLine, cst.FunctionDef]]
) -> cst.ClassDef:
    """Drop the planned statements from ``__init__`` and add the lazy methods right after it."""
    assert isinstance(node.body, cst.IndentedBlock) and isinstance(shape.node.body, cst.IndentedBlock)
    at = next(k for k, stmt in enumerate(shape.node.body.body) if stmt is shape.init)
    init = node.body.body[at]
    assert isinstance(init, cst.FunctionDef) and isinstance(init.body, cst.IndentedBlock)
    assert shape.init is not None and isinstance(shape.init.body, cst.IndentedBlock)
    dropped = {id(statement) for statement, _ in plans}
    kept = [
        updated
        for original, updated in zip(shape.init.body.body, init.body.body, strict=True)
        if id(original) not in dropped
    ]
    if not any(not _is_docstring(stmt) for stmt in kept):
        kept.append(cst.SimpleStatementLine(body=[cst.Pass()]))
    new_init = init.with_changes(body=init.body.with_changes(body=kept))
    body = list(node.body.body)
    body[at : at + 1] = [new_init, *(method for _, method in plans)]
    return node.with_changes(body=node.body.with_changes(body=body))


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def lazy_attributes_file(file: FileInput) -> FileResult:
    """The ``lazy-attributes`` transform over one file (see the module docstring)."""
    extra = file.options.value("lazy-attributes.side-effect-free", ())
    side_effect_free = tuple(extra) if isinstance(extra, tuple) else ()
    if not file.facts.attributes:
        return Unchanged(file.path)
    allowed = frozenset((*SIDE_EFFECT_FREE, *side_effect_free))
    found, early = candidates(file.facts, allowed, module_scope(file.source))
    if not found:  # nothing left for the syntax-level checks: no need to parse
        return site_result(file, [], early, None, ("lazy",))
    return run_site_codemod(
        file,
        "lazy-attributes",
        lambda context: LazyAttributesCommand(
            context,
            facts=file.facts,
            side_effect_free=side_effect_free,
            runtime_module=file.options.runtime_import("lazy"),
            source=file.source,
        ),
        ("lazy",),
    )


LAZY_ATTRIBUTES = register(
    Transform(
        name="lazy-attributes",
        flag="--lazy-attributes",
        rules=("CO302",),
        run=lazy_attributes_file,
        summary="Build side-effect-free attributes set in __init__ on first use (thread-safe, once).",
    )
)

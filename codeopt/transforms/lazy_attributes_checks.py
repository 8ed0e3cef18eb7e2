"""The conditions under which ``self.x = <value>`` in ``__init__`` may become a lazy attribute.

Why these conditions: the rewrite moves the evaluation of ``<value>`` from ``__init__`` to the first
read of ``self.x``, and moves the attribute from the instance to a descriptor on the class. That is
invisible only when (1) evaluating later gives the same object: the value calls only constructors known
(or configured) to be free of side effects, on literals and module constants, never on ``self`` or
``__init__``'s parameters, which may change in between; (2) nothing else sets, deletes or pre-empts the
attribute (other methods, the class body, a base class, a subclass, ``__slots__``, ``__setattr__``,
a class decorator or a dataclass); (3) nothing observes the instance ``__dict__`` before first use.
Each check returns the reason a candidate stays eager, or "".
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from codeopt.analysis.facts import EagerAttribute
from codeopt.transforms.pooling_scope import ModuleScope

# Builtins that build values from their arguments and nothing else.
PURE_BUILTINS = frozenset(
    {
        "tuple", "list", "dict", "set", "frozenset", "str", "int", "float", "bytes", "bool", "len",
        "range", "sorted", "reversed", "enumerate", "zip", "min", "max", "abs", "object",
    }
)  # fmt: skip
_SAFE_NAMES = frozenset({"True", "False", "None"})
_INIT = frozenset({"__init__", "__post_init__"})
_REFLECTION_SETTERS = frozenset({"setattr", "delattr"})


def fact_blockers(attr: EagerAttribute) -> str:
    """What the facts walk already knows makes the attribute unsafe to defer ("" when nothing)."""
    if attr.has_slots:
        return "the class has `__slots__`: no instance `__dict__` to cache the value in"
    if attr.is_dataclass:
        return "the class is a dataclass: its generated methods read every field"
    if attr.custom_getattr:
        return "the class customises attribute access (`__getattr__`/`__getattribute__`/`__setattr__`)"
    if attr.conditional:
        return "it is assigned conditionally in `__init__` (the attribute might not exist)"
    if attr.used_in_init:
        return "`__init__` reads it after setting it"
    if attr.init_names:
        names = ", ".join(f"`{n}`" for n in attr.init_names)
        return f"the value reads {names} from `__init__`, which may change before first use"
    return ""


_CONTAINERS = frozenset(
    {"collections.OrderedDict", "collections.defaultdict", "collections.deque", "collections.Counter"}
)


def callee_blocker(attr: EagerAttribute, allowed: frozenset[str], bound: frozenset[str]) -> str:
    """Every call in the value must be a known side-effect-free constructor or pure builtin, and one
    worth deferring: an empty container costs less to build than a lazy attribute's first read."""
    if not attr.calls:
        return "its constructor could not be resolved to a known side-effect-free one"
    if all(call in _CONTAINERS or (call in PURE_BUILTINS and call not in bound) for call in attr.calls):
        return "it only builds containers: cheaper to build in `__init__` than to defer"
    for call in attr.calls:
        if call in allowed or (call in PURE_BUILTINS and call not in bound):
            continue
        shown = call.removeprefix("()")
        return (
            f"`{shown}()` is not known to be free of side effects "
            "(list it in the lazy-attributes `side-effect-free` option if it is)"
        )
    return ""


@dataclass
class ClassShape:
    """What a class body and its methods do that matters for a lazy attribute."""

    node: cst.ClassDef
    init: cst.FunctionDef | None = None
    self_name: str = "self"
    body_names: set[str] = field(default_factory=set)  # names the class body binds
    instance_methods: list[str] = field(default_factory=list)  # besides __init__/__post_init__
    stores: dict[str, list[str]] = field(default_factory=dict)  # attribute -> methods setting/deleting it
    init_stores: dict[str, int] = field(default_factory=dict)  # attribute -> assignments in __init__
    reads_dict: bool = False  # ``__dict__`` or ``vars(...)`` anywhere in the class


class _SelfStores(cst.CSTVisitor):
    """``self.x = ...``, ``self.x += ...``, ``del self.x``, ``setattr(self, "x", ...)`` in one method."""

    def __init__(self, self_name: str) -> None:
        self.self_name = self_name
        self.found: list[str] = []
        self.reads_dict = False

    def _target(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            if node.value.value == self.self_name:
                self.found.append(node.attr.value)
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._target(element.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._target(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value == "vars":
            self.reads_dict = True
        if not (isinstance(func, cst.Name) and func.value in _REFLECTION_SETTERS and len(node.args) >= 2):
            return
        owner, key = node.args[0].value, node.args[1].value
        if (
            isinstance(owner, cst.Name)
            and owner.value == self.self_name
            and isinstance(key, cst.SimpleString)
        ):
            self.found.append(str(key.evaluated_value))

    def visit_Name(self, node: cst.Name) -> None:
        self.reads_dict |= node.value == "__dict__"


def class_shape(node: cst.ClassDef) -> ClassShape:
    shape = ClassShape(node)
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef):
            shape.body_names.add(stmt.name.value)
            _note_method(shape, stmt)
        elif isinstance(stmt, cst.ClassDef):
            shape.body_names.add(stmt.name.value)
        else:
            scan = _BodyNames()
            stmt.visit(scan)
            shape.body_names |= scan.names
            shape.reads_dict |= scan.reads_dict
    return shape


def _note_method(shape: ClassShape, method: cst.FunctionDef) -> None:
    kinds = {_decorator_name(d.decorator) for d in method.decorators}
    params = [*method.params.posonly_params, *method.params.params]
    if kinds & {"staticmethod", "classmethod"} or not params:
        return
    self_name = params[0].name.value
    scan = _SelfStores(self_name)
    method.body.visit(scan)
    shape.reads_dict |= scan.reads_dict
    name = method.name.value
    if name in _INIT:
        if name == "__init__":
            shape.init = method
            shape.self_name = self_name
        for attribute in scan.found:
            shape.init_stores[attribute] = shape.init_stores.get(attribute, 0) + 1
        return
    shape.instance_methods.append(name)
    for attribute in scan.found:
        shape.stores.setdefault(attribute, []).append(name)


class _BodyNames(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.reads_dict = False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.names |= _names(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.names |= _names(node.target)

    def visit_Name(self, node: cst.Name) -> None:
        self.reads_dict |= node.value in ("__dict__", "vars")


def _names(node: cst.BaseExpression) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, cst.Tuple | cst.List):
        return {n for e in node.elements for n in _names(e.value)}
    return set()


def _decorator_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else ""


def class_blockers(
    shape: ClassShape, attribute: str, used_by: Sequence[str], subclasses: Sequence[ClassShape]
) -> str:
    """What the class (and its subclasses in the module) do that a lazy attribute would change."""
    return (
        _header_blocker(shape.node, attribute)
        or _attribute_blocker(shape, attribute)
        or _usage_blocker(shape, used_by)
        or _subclass_blocker(attribute, subclasses)
    )


def _header_blocker(node: cst.ClassDef, attribute: str) -> str:
    if node.decorators:
        return "the class is decorated: the decorator may rely on the attribute being set"
    bases = [a.value for a in node.bases if not (isinstance(a.value, cst.Name) and a.value.value == "object")]
    bases += [k.value for k in node.keywords]
    if bases:
        shown = cst.Module(body=[]).code_for_node(bases[0])
        return f"base class or keyword `{shown}` may define `{attribute}` (a property, `__slots__`)"
    return ""


def _attribute_blocker(shape: ClassShape, attribute: str) -> str:
    if attribute in shape.body_names:
        return f"the class body already defines `{attribute}`"
    if shape.init_stores.get(attribute, 0) > 1:
        return "`__init__` assigns it more than once"
    if attribute in shape.stores:
        return f"it is also set or deleted in `{shape.stores[attribute][0]}`"
    if shape.reads_dict:
        return "the class reads its instances' `__dict__` (or `vars()`), which would miss the attribute"
    return ""


def _usage_blocker(shape: ClassShape, used_by: Sequence[str]) -> str:
    if not shape.instance_methods:
        return "the class has no instance method besides `__init__`: nothing to defer it to"
    if set(shape.instance_methods) <= set(used_by):
        return "every method uses it: building it lazily saves nothing"
    return ""


def _subclass_blocker(attribute: str, subclasses: Sequence[ClassShape]) -> str:
    for sub in subclasses:
        if attribute in sub.body_names or attribute in sub.stores or sub.init_stores.get(attribute):
            return f"subclass `{sub.node.name.value}` sets or defines `{attribute}`"
    return ""


class _CompTargets(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: frozenset[str] = frozenset()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.names |= _names(node.target)


class _ValueScan(cst.CSTVisitor):
    """Names the value reads must be constants, imports, comprehension variables or pure builtins."""

    def __init__(self, allowed_names: frozenset[str], self_name: str) -> None:
        self.allowed = set(allowed_names)
        self.self_name = self_name
        self.reason = ""

    def _fail(self, reason: str) -> None:
        self.reason = self.reason or reason

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        """Only the root of ``a.b.c`` is a name read; ``attr`` names are not."""
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # keyword names are not reads
        return False

    def visit_Name(self, node: cst.Name) -> None:
        name = node.value
        if name == self.self_name:
            self._fail("the value reads `self`, whose state may change before first use")
        elif name not in self.allowed and name not in _SAFE_NAMES:
            self._fail(f"the value reads `{name}`, which is not a module constant or import")

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._fail("the value contains a lambda")
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        self._fail("the value binds a name (`:=`)")
        return False

    def visit_Await(self, node: cst.Await) -> bool:
        self._fail("the value awaits")
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self._fail("the value yields")
        return False


def value_blocker(
    value: cst.BaseExpression, scope: ModuleScope, imports: frozenset[str], self_name: str
) -> str:
    """The value may read only literals, module constants, imported names and pure builtins."""
    builtin_names = frozenset(n for n in PURE_BUILTINS if hasattr(builtins, n) and n not in scope.bound)
    targets = _CompTargets()
    value.visit(targets)  # comprehension variables, bound after the element that reads them is visited
    scan = _ValueScan(frozenset(scope.constants) | imports | builtin_names | targets.names, self_name)
    value.visit(scan)
    return scan.reason


def returns_before(init: cst.FunctionDef, statement: cst.CSTNode) -> bool:
    """``__init__`` has a ``return`` before ``statement`` (the attribute might never be set)."""
    finder = _ReturnFinder(statement)
    init.body.visit(finder)
    return finder.found


class _ReturnFinder(cst.CSTVisitor):
    def __init__(self, stop: cst.CSTNode) -> None:
        self.stop = stop
        self.done = False
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is self.stop:
            self.done = True
        if self.done or isinstance(node, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return False
        if isinstance(node, cst.Return):
            self.found = True
        return True

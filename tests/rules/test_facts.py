"""The facts walk: what later transforms rely on must be exactly right."""

from __future__ import annotations

import ast
import pickle
import textwrap

import pytest

from codeopt.analysis.facts import (
    ImportBinding,
    ModuleFacts,
    ResourceCreation,
    UseContext,
    UseRole,
    extract_facts,
    facts_from_tree,
)
from codeopt.source.parsing import SourceFile

C = UseContext


def facts(code: str, module: str = "pkg.mod", is_package: bool = False) -> ModuleFacts:
    text = textwrap.dedent(code)
    return facts_from_tree(ast.parse(text), text.splitlines(), module=module, is_package=is_package)


def binding(found: ModuleFacts, name: str) -> ImportBinding:
    (match,) = found.bindings(name)
    return match


def resource(found: ModuleFacts, function: str) -> ResourceCreation:
    (match,) = [r for r in found.resources if r.function == function]
    return match


# -- import bindings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "context"),
    [
        ("import m\ndef f():\n    return m.x\n", C.FUNCTION_BODY),
        ("import m\nX = m.x\n", C.MODULE_LEVEL),
        ("import m\nclass A:\n    x = m.x\n", C.CLASS_BODY),
        ("import m\n@m.deco\ndef f(): pass\n", C.DECORATOR),
        ("import m\nclass A:\n    @m.deco\n    def f(self): pass\n", C.DECORATOR),
        ("import m\ndef f(x=m.DEFAULT): pass\n", C.DEFAULT_VALUE),
        ("import m\nclass A(m.Base): pass\n", C.BASE_CLASS),
        ("import m\nclass A(metaclass=m.Meta): pass\n", C.BASE_CLASS),
        ("import m\ndef f(x: m.T) -> None: pass\n", C.ANNOTATION),
        ("import m\nX: m.T = 1\n", C.ANNOTATION),
        ("from __future__ import annotations\nimport m\ndef f(x: m.T): pass\n", C.DEFERRED_ANNOTATION),
        ("import m\ndef f(x: 'm.T'): pass\n", C.ANNOTATION),
        ("import m\ndef f():\n    x: m.T = 1\n", C.DEFERRED_ANNOTATION),
        ("from typing import TYPE_CHECKING\nimport m\nif TYPE_CHECKING:\n    X = m.T\n", C.TYPE_CHECKING),
        ("import m\n__all__ = ['m']\n", C.EXPORT),
        ("import m\nF = lambda: m.x\n", C.FUNCTION_BODY),
        ("import m\nif __name__ == '__main__':\n    m.main()\n", C.MAIN_BLOCK),
        ("import m\nX = [m.f(i) for i in range(3)]\n", C.MODULE_LEVEL),
        ("import m\ndef outer():\n    @m.deco\n    def inner(y=m.D): pass\n", C.FUNCTION_BODY),
    ],
)
def test_use_contexts(code: str, context: UseContext) -> None:
    assert binding(facts(code), "m").contexts == {context}


def test_string_annotations_are_uses_but_literal_strings_are_not() -> None:
    found = facts(
        """
        from typing import Literal
        import m
        import n
        def f(x: "m.T", y: Literal["n"]) -> None: ...
        """
    )
    assert binding(found, "m").uses and binding(found, "n").unused


def test_roles_for_from_imports_decide_the_proxy_form() -> None:
    found = facts(
        """
        from m import A, B, C, D, E
        def f(x):
            A()
            isinstance(x, B)
            try:
                pass
            except (C, ValueError):
                pass
            class Sub(D):
                pass
            return E.attr
        """
    )
    assert binding(found, "A").roles == {UseRole.CALL}
    assert binding(found, "B").roles == {UseRole.ISINSTANCE}
    assert binding(found, "C").roles == {UseRole.EXCEPT}
    assert binding(found, "D").roles == {UseRole.SUBCLASS}
    assert [(u.role, u.attribute) for u in binding(found, "E").uses] == [(UseRole.ATTRIBUTE, "attr")]
    assert all(b.used_only_in_functions for b in found.imports)


def test_module_attribute_calls_record_the_attribute_and_the_function() -> None:
    found = facts("import requests\nclass Api:\n    def get(self, url):\n        return requests.get(url)\n")
    (use,) = binding(found, "requests").uses
    assert (use.role, use.attribute, use.scope, use.lineno) == (UseRole.ATTRIBUTE, "get", "Api.get", 4)
    assert binding(found, "requests").functions == ("Api.get",)


def test_local_names_shadowing_an_import_are_not_uses() -> None:
    found = facts(
        """
        import json
        def a(json):
            return json.x
        def b():
            json = {}
            return json
        def c():
            return [json for json in range(3)]
        class K:
            json = 1
            y = json
        """
    )
    assert binding(found, "json").unused


def test_global_and_closure_reads_resolve_to_the_module() -> None:
    found = facts(
        """
        import m
        def outer():
            def inner():
                return m.x
            return inner
        def g():
            global m
            return m
        """
    )
    assert binding(found, "m").functions == ("outer.<locals>.inner", "g")
    assert binding(found, "m").rebound_lines == ()


def test_guards_try_optional_fallback_type_checking_conditional() -> None:
    found = facts(
        """
        import sys
        from typing import TYPE_CHECKING
        try:
            import simplejson as json
        except ImportError:
            import json
        try:
            import tomllib
        except AttributeError:
            tomllib = None
        if TYPE_CHECKING:
            import numpy
        if sys.version_info >= (3, 11):
            import zoneinfo
        """
    )
    simplejson, std = found.bindings("json")
    assert (simplejson.in_try, simplejson.optional, simplejson.fallback) == (True, True, False)
    assert simplejson.fallback_lines == (7,) and simplejson.rebound_lines == ()
    assert (std.in_try, std.optional, std.fallback) == (True, True, True)
    tomllib = binding(found, "tomllib")
    assert (tomllib.in_try, tomllib.optional, tomllib.rebound_lines) == (True, False, (11,))
    assert binding(found, "numpy").type_checking and not binding(found, "numpy").conditional
    assert binding(found, "zoneinfo").conditional
    assert facts("if __name__ == '__main__':\n    import m\n").imports[0].main_block


def test_package_imports_bind_one_name_without_rebinding_it() -> None:
    found = facts("import urllib.error\nimport urllib.request\nurl = 1\n")
    error, request = found.bindings("urllib")
    assert (error.module, error.target, error.rebound_lines) == ("urllib.error", "urllib", ())
    assert (request.module, request.rebound_lines) == ("urllib.request", ())
    aliased = facts("import xml.etree.ElementTree as ET\n").imports[0]
    assert (aliased.name, aliased.module, aliased.target) == (
        "ET",
        "xml.etree.ElementTree",
        "xml.etree.ElementTree",
    )


def test_relative_imports_resolve_against_the_module() -> None:
    found = facts("from . import a\nfrom ..b import c\nfrom .d import *\n", module="pkg.sub.mod")
    assert [(b.name, b.module, b.imported, b.level) for b in found.imports] == [
        ("a", "pkg.sub", "a", 1),
        ("c", "pkg.b", "c", 2),
        ("*", "pkg.sub.d", "*", 1),
    ]
    assert found.imports[2].star and found.imports[2].uses == ()
    in_package = facts("from .x import y\n", module="pkg", is_package=True)
    assert in_package.imports[0].module == "pkg.x"
    unknown = facts("from .x import y\n", module="")
    assert unknown.imports[0].module == ".x"


def test_future_exports_dynamic_and_getattr() -> None:
    found = facts(
        """
        '''Doc.'''
        from __future__ import annotations
        import a, b
        __all__ = ["a"]
        __all__ += ["x"]
        __all__.append("b")
        def __getattr__(name):
            return globals()[name]
        exec("pass")
        """
    )
    assert found.future_annotations and found.module_getattr
    assert found.exports == ("a", "x", "b") and not found.exports_dynamic
    assert found.dynamic_lines == (10,)
    assert [b.name for b in found.imports] == ["a", "b"]  # __future__ binds nothing
    assert binding(found, "a").contexts == {C.EXPORT}
    assert facts("__all__ = make()\n").exports_dynamic


# -- resources --------------------------------------------------------------------------------------


def test_resource_resolved_through_aliases_and_followed_to_close() -> None:
    found = facts(
        """
        import sqlite3 as s
        from psycopg import connect
        def query(path):
            conn = s.connect(path)
            try:
                rows = conn.execute("select 1").fetchall()
                conn.commit()
            finally:
                conn.close()
            return rows
        def pg():
            with connect("dbname=x") as conn:
                conn.execute("select 1")
        """
    )
    q = resource(found, "query")
    assert (q.callee, q.binding, q.call_text) == ("sqlite3.connect", "conn", "s.connect(path)")
    assert q.closed and q.closed_in_finally and q.commits and not q.escaped
    assert q.methods == ("execute", "commit", "close") and q.param_args == ("path",)
    p = resource(found, "pg")
    assert (p.callee, p.via_with, p.closed, p.binding) == ("psycopg.connect", True, False, "conn")


def test_resource_escapes() -> None:
    found = facts(
        """
        import sqlite3
        CACHE = []
        def returned():
            conn = sqlite3.connect("a")
            return conn
        def cursor():
            conn = sqlite3.connect("a")
            cur = conn.cursor()
            return cur
        def stored(self):
            conn = sqlite3.connect("a")
            self.conn = conn
        def in_container():
            conn = sqlite3.connect("a")
            CACHE.append(conn)
        def captured():
            conn = sqlite3.connect("a")
            return lambda: conn.execute("x")
        def generator():
            conn = sqlite3.connect("a")
            yield conn
        def global_():
            global CONN
            CONN = sqlite3.connect("a")
        def direct_attr(obj):
            obj.db = sqlite3.connect("a")
        def derived_call():
            conn = sqlite3.connect("a")
            return conn.execute("select 1")
        def fine():
            conn = sqlite3.connect("a")
            value = conn.execute("select 1").fetchone()
            conn.close()
            return value
        """
    )
    assert resource(found, "returned").returned
    assert resource(found, "cursor").returned_derived == "cursor() result"
    assert resource(found, "stored").escapes == ("stored on self.conn",)
    assert resource(found, "in_container").passed_to == ("CACHE.append",)
    assert resource(found, "captured").escapes == ("captured by a nested function",)
    assert resource(found, "generator").escapes == ("yielded",) and resource(found, "generator").in_generator
    assert resource(found, "global_").escapes == ("assigned to global CONN",)
    assert resource(found, "direct_attr").escapes == ("stored on obj.db",)
    assert resource(found, "derived_call").returned_derived == "execute() result"
    fine = resource(found, "fine")
    assert fine.closed and not fine.escaped and not fine.returned


def test_resource_closing_loops_and_shadowing() -> None:
    found = facts(
        """
        import contextlib
        import requests
        def closing():
            with contextlib.closing(requests.Session()) as s:
                s.get("u")
        def per_item(urls):
            for url in urls:
                session = requests.Session()
                session.get(url)
                session.close()
        def caller(items):
            for item in items:
                closing()
        def shadowed(requests):
            session = requests.Session()
        def local_import():
            import sqlite3
            conn = sqlite3.connect("x")
            conn.close()
        """
    )
    assert resource(found, "closing").via_closing and resource(found, "closing").closed
    assert resource(found, "closing").called_in_loop
    assert resource(found, "per_item").in_loop and not resource(found, "per_item").called_in_loop
    assert not [r for r in found.resources if r.function == "shadowed"]
    assert resource(found, "local_import").callee == "sqlite3.connect"


def test_resources_in_init_are_marked() -> None:
    found = facts(
        "import sqlite3\nclass A:\n    def __init__(self, p):\n        self.db = sqlite3.connect(p)\n"
    )
    created = resource(found, "A.__init__")
    assert created.in_init and created.is_method and created.escapes == ("stored on self.db",)


# -- eager attributes --------------------------------------------------------------------------------


def test_eager_attribute_usage_by_methods() -> None:
    found = facts(
        """
        import json
        import sqlite3
        from dataclasses import dataclass

        class Store:
            def __init__(self, path, config):
                self.path = path
                self.db = sqlite3.connect(path)
                self.config = json.load(open(config))
                self.name = self.config["name"]
                if path:
                    self.extra = sqlite3.connect(":memory:")

            def get(self, key):
                return self.db.execute("select", (key,))

            def closer(self):
                return lambda: self.db.close()

            def info(self):
                return getattr(self, "name")

        class Slotted:
            __slots__ = ("x",)
            def __init__(self):
                self.x = sqlite3.connect("x")
            def m(self):
                return 1

        @dataclass(frozen=True)
        class Data:
            path: str
            def __post_init__(self):
                object.__setattr__(self, "db", sqlite3.connect(self.path))
        """
    )
    by_name = {a.attribute: a for a in found.attributes}
    db = by_name["db"]
    assert (db.class_name, db.callee, db.init_names, db.methods) == ("Store", "sqlite3.connect", ("path",), 3)
    assert db.used_by == ("get", "closer") and not db.used_in_init and not db.conditional
    assert db.value_text == "sqlite3.connect(path)" and not db.reads_file
    config = by_name["config"]
    assert config.used_in_init and config.reads_file and config.calls == ("json.load", "open")
    assert by_name["extra"].conditional
    assert by_name["x"].has_slots and by_name["x"].methods == 1
    assert "name" not in by_name  # no call in the value


def test_dataclass_and_custom_getattr_flags() -> None:
    found = facts(
        """
        import requests
        from dataclasses import dataclass
        @dataclass(slots=True)
        class A:
            def __post_init__(self):
                self.s = requests.Session()
            def __getattr__(self, name):
                return 1
        """
    )
    (attr,) = found.attributes
    assert attr.is_dataclass and attr.has_slots and attr.custom_getattr and attr.methods == 1


# -- function shapes --------------------------------------------------------------------------------


def test_function_shape_points_at_the_heaviest_block_with_its_interface() -> None:
    found = facts(
        """
        def sync(repos, force):
            done = []
            total = 0
            for repo in repos:
                if repo.skip:
                    continue
                for branch in repo.branches:
                    if branch.behind and (force or branch.clean):
                        if branch.diverged:
                            total += 1
                        else:
                            done.append(branch)
                    elif branch.ahead:
                        total -= 1
            if total > 3 or not done:
                return None
            return done, total
        """
    )
    shape = found.function("sync")
    assert shape is not None and shape.block is not None
    assert (shape.max_depth, shape.deepest_line) == (4, 10)
    block = shape.block
    assert (block.kind, block.head, block.lineno, block.end_lineno) == ("for", "for repo in repos", 5, 15)
    assert block.inputs == ("repos", "force", "total", "done") and block.outputs == ("total",)
    assert block.exits == ()  # the `continue` belongs to a loop inside the block
    assert shape.decisions >= 9 and shape.weight > shape.decisions


def test_shape_block_exits_and_elif_depth() -> None:
    found = facts(
        """
        def f(x, items):
            for item in items:
                if item == 1:
                    return 1
                elif item == 2:
                    return 2
                elif item == 3:
                    return 3
                elif item == 4:
                    break
            if x:
                pass
            return 0
        """
    )
    shape = found.function("f")
    assert shape is not None and shape.max_depth == 2  # elif does not nest deeper
    assert shape.block is not None and shape.block.head == "for item in items"
    assert shape.block.exits == ("return",)  # the break ends the loop the block is


def test_nested_function_qualnames() -> None:
    found = facts("class A:\n    def m(self):\n        def inner():\n            pass\n")
    assert [s.qualname for s in found.functions] == ["A.m", "A.m.<locals>.inner"]


# -- contract --------------------------------------------------------------------------------------


def test_facts_are_frozen_and_picklable_and_come_from_the_source_file(tmp_path: object) -> None:
    text = "import sqlite3\ndef f():\n    c = sqlite3.connect('x')\n    c.close()\n"
    source = SourceFile(
        path=__import__("pathlib").Path("m.py"), display="m.py", module="m", is_package=False, text=text
    )
    found = extract_facts(source, source.ast_tree)
    assert pickle.loads(pickle.dumps(found)) == found
    with pytest.raises(AttributeError):
        found.imports[0].name = "x"  # type: ignore[misc]


def test_tolerates_every_syntax_form() -> None:
    """A file using many statement kinds goes through without errors and keeps names straight."""
    found = facts(
        """
        import m
        async def a(x):
            async with m.ctx() as c:
                async for i in c:
                    await m.sleep(i)
            match x:
                case {"k": v, **rest}:
                    return v, rest
                case [first, *others] if first:
                    return others
                case m.Point(x=px) as point:
                    return px, point
            try:
                pass
            except* ValueError as group:
                return group
            while (n := m.next()) is not None:
                del n
            return [y async for y in m.agen()], {k: v for k, v in m.items()}
        """
    )
    assert binding(found, "m").used_only_in_functions
    assert found.function("a") is not None

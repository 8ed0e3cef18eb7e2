"""Behaviour of codeopt_runtime.lazy: deferral, forwarding, mock.patch, errors, eager mode, threads."""

from __future__ import annotations

import importlib
import pickle
import sys
import textwrap
import threading
import time
import types
import uuid
from pathlib import Path
from unittest import mock

import pytest

from codeopt_runtime import lazy
from codeopt_runtime.errors import LazyImportError, RuntimeLibError
from codeopt_runtime.lazy import (
    LazyModule,
    LazyObject,
    eager_enabled,
    is_loaded,
    lazy_attribute,
    lazy_from,
    lazy_import,
    resolve,
)

THREADS = 32


class Modules:
    """Writes throw-away modules under a unique prefix into a directory on sys.path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = f"lz{uuid.uuid4().hex[:10]}"
        self.counter = root / "executions.log"

    def name(self, short: str) -> str:
        return f"{self.prefix}_{short}"

    def write(self, short: str, source: str, *, package: bool = False) -> str:
        """Write module ``prefix_short`` (``short`` may be dotted: ``pkg.sub``); return its name."""
        first, _, rest = short.partition(".")
        parts = [self.name(first), *rest.split(".")] if rest else [self.name(first)]
        path = self.root.joinpath(*parts)
        if package:
            path.mkdir(parents=True, exist_ok=True)
            path = path / "__init__.py"
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path = path.with_suffix(".py")
        source = textwrap.dedent(source).replace("COUNTER", repr(str(self.counter)))
        path.write_text(source.replace("PREFIX", self.prefix))
        importlib.invalidate_caches()
        return ".".join(parts)

    def executions(self, tag: str) -> int:
        if not self.counter.exists():
            return 0
        return self.counter.read_text().split().count(tag)


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Modules:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CODEOPT_EAGER", raising=False)
    monkeypatch.delenv("EAGER_IMPORT", raising=False)
    factory = Modules(tmp_path)
    yield factory  # type: ignore[misc]
    for name in [n for n in sys.modules if n.startswith(factory.prefix)]:
        del sys.modules[name]


COUNTING = """
with open(COUNTER, "a") as log:
    log.write("{tag} ")
VALUE = 42
def value():
    return "real"
"""


def counting(tag: str) -> str:
    return COUNTING.replace("{tag}", tag)


# ---------------------------------------------------------------------------------------------
# lazy_import: deferral and forwarding


def test_import_is_deferred_until_first_attribute_access(modules: Modules) -> None:
    name = modules.write("dep", counting("dep"))
    proxy = lazy_import(name)
    assert name not in sys.modules
    assert modules.executions("dep") == 0
    assert not is_loaded(proxy)
    assert proxy.VALUE == 42
    assert proxy.value() == "real"
    assert modules.executions("dep") == 1
    assert is_loaded(proxy)
    assert resolve(proxy) is sys.modules[name]


def test_proxy_shares_the_module_namespace_so_later_rebinding_is_seen(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\ndef bump():\n    global X\n    X += 1\n")
    proxy = lazy_import(name)
    proxy.bump()
    proxy.bump()
    assert proxy.X == 3
    assert vars(proxy) is vars(sys.modules[name])
    assert proxy.__name__ == name
    assert proxy.__file__ == sys.modules[name].__file__


def test_setattr_and_delattr_reach_the_real_module_before_and_after_loading(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\n")
    proxy = lazy_import(name)
    proxy.Y = "set before load"  # triggers the import, then writes to the module
    real = sys.modules[name]
    assert real.Y == "set before load"
    proxy.Z = "after"
    assert real.Z == "after"
    del proxy.Z
    assert not hasattr(real, "Z")
    real.W = "written on the module"
    assert proxy.W == "written on the module"


def test_already_imported_module_is_bound_at_declaration(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\n")
    importlib.import_module(name)
    proxy = lazy_import(name)
    assert is_loaded(proxy)
    assert type(proxy).__name__ == "_LoadedModule"


def test_vars_on_an_unloaded_proxy_returns_the_real_namespace(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\n")
    proxy = lazy_import(name)
    assert vars(proxy)["X"] == 1


def test_proxy_is_not_a_module_type_but_resolve_gives_the_module(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\n")
    proxy = lazy_import(name)
    assert isinstance(proxy, LazyModule)
    assert not isinstance(proxy, types.ModuleType)  # documented: the price of native-speed reads
    assert isinstance(resolve(proxy), types.ModuleType)
    assert resolve(42) == 42


def test_repr_does_not_import_and_names_the_declaration(modules: Modules) -> None:
    name = modules.write("dep", counting("dep"))
    proxy = lazy_import(name)
    line = sys._getframe().f_lineno - 1
    text = repr(proxy)
    assert "not loaded" in text and f"{__file__}:{line}" in text
    assert modules.executions("dep") == 0
    proxy.VALUE  # noqa: B018
    assert "not loaded" not in repr(proxy) and name in repr(proxy)


def test_dir_lists_the_module_names(modules: Modules) -> None:
    name = modules.write("dep", "ALPHA = 1\ndef beta():\n    pass\n")
    proxy = lazy_import(name)
    assert {"ALPHA", "beta"} <= set(dir(proxy))


def test_pickling_a_module_proxy_is_refused_like_a_module(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\n")
    proxy = lazy_import(name)
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(proxy)


def test_submodule_proxy_stands_for_the_submodule(modules: Modules) -> None:
    modules.write("pkg", "", package=True)
    name = modules.write("pkg.sub", "X = 'sub'\n")
    proxy = lazy_import(name)
    assert proxy.X == "sub"
    assert resolve(proxy) is sys.modules[name]


def test_bind_top_stands_for_the_top_package_like_import_a_b_c(modules: Modules) -> None:
    top = modules.write("pkg", "TOP = True\n", package=True)
    name = modules.write("pkg.sub", "X = 'sub'\n")
    proxy = lazy_import(name, bind="top")
    assert repr(proxy).startswith(f"<lazy module {top!r} (import {name}")
    assert proxy.TOP is True
    assert proxy.sub.X == "sub"  # the submodule was imported by the first access
    assert resolve(proxy) is sys.modules[top]


def test_bind_must_be_module_or_top() -> None:
    with pytest.raises(ValueError, match="bind"):
        lazy_import("json", bind="all")


def test_relative_names_resolve_against_the_declaring_package(modules: Modules) -> None:
    modules.write("pkg", "", package=True)
    modules.write("pkg.sibling", "X = 'sibling'\n")
    user = modules.write(
        "pkg.user",
        """
        from codeopt_runtime.lazy import lazy_import
        sibling = lazy_import(".sibling")
        """,
    )
    mod = importlib.import_module(user)
    assert mod.sibling.X == "sibling"


def test_relative_name_without_package_is_rejected() -> None:
    with pytest.raises(ValueError, match="relative"):
        lazy_import(".x", package="")
    with pytest.raises(ValueError, match="beyond top-level"):
        lazy_import("...x", package="a")


# ---------------------------------------------------------------------------------------------
# mock.patch through the module-level binding


CONSUMER = """
from codeopt_runtime.lazy import lazy_import
dep = lazy_import("PREFIX_dep")

def call():
    return dep.value()
"""


@pytest.mark.parametrize("load_first", [False, True], ids=["before-load", "after-load"])
def test_mock_patch_through_the_proxy_binding(modules: Modules, load_first: bool) -> None:
    modules.write("dep", counting("dep"))
    consumer = importlib.import_module(modules.write("consumer", CONSUMER))
    if load_first:
        assert consumer.call() == "real"
    with mock.patch(f"{consumer.__name__}.dep.value", return_value="patched"):
        assert consumer.call() == "patched"
        assert sys.modules[modules.name("dep")].value() == "patched"  # same object as `import dep`
    assert consumer.call() == "real"
    assert sys.modules[modules.name("dep")].value() == "real"


def test_mock_patch_of_the_source_module_is_seen_through_the_proxy(modules: Modules) -> None:
    dep = modules.write("dep", counting("dep"))
    consumer = importlib.import_module(modules.write("consumer", CONSUMER))
    importlib.import_module(dep)
    with mock.patch(f"{dep}.value", return_value="patched"):
        assert consumer.call() == "patched"
    assert consumer.call() == "real"


def test_mock_patch_of_the_whole_binding(modules: Modules) -> None:
    modules.write("dep", counting("dep"))
    consumer = importlib.import_module(modules.write("consumer", CONSUMER))
    with mock.patch(f"{consumer.__name__}.dep") as fake:
        fake.value.return_value = "mocked module"
        assert consumer.call() == "mocked module"
    assert modules.executions("dep") == 0  # the real module was never needed
    assert consumer.call() == "real"


def test_patch_object_on_the_proxy(modules: Modules) -> None:
    modules.write("dep", counting("dep"))
    consumer = importlib.import_module(modules.write("consumer", CONSUMER))
    with mock.patch.object(consumer.dep, "value", return_value="patched"):
        assert consumer.call() == "patched"
    assert consumer.call() == "real"


# ---------------------------------------------------------------------------------------------
# Unusual targets


def test_module_level_getattr_pep562_is_honoured(modules: Modules) -> None:
    name = modules.write(
        "dep",
        """
        X = 1
        def __getattr__(name):
            if name == "dynamic":
                return "from __getattr__"
            raise AttributeError(name)
        """,
    )
    proxy = lazy_import(name)
    assert proxy.X == 1
    assert proxy.dynamic == "from __getattr__"
    with pytest.raises(AttributeError):
        proxy.missing  # noqa: B018


def test_missing_attribute_raises_attribute_error(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\n")
    proxy = lazy_import(name)
    with pytest.raises(AttributeError):
        proxy.missing  # noqa: B018
    assert not hasattr(proxy, "missing")


def test_module_subclass_hooks_are_not_bypassed(modules: Modules) -> None:
    name = modules.write(
        "dep",
        """
        import sys, types
        SEEN = []
        class Guarded(types.ModuleType):
            def __setattr__(self, key, value):
                SEEN.append(key)
                super().__setattr__(key, value)
        sys.modules[__name__].__class__ = Guarded
        """,
    )
    proxy = lazy_import(name)
    proxy.flag = True
    assert sys.modules[name].SEEN == ["flag"]
    assert proxy.flag is True


def test_object_replacing_itself_in_sys_modules_is_forwarded(modules: Modules) -> None:
    name = modules.write(
        "dep",
        """
        import sys
        class Config:
            def __init__(self):
                self.debug = False
        sys.modules[__name__] = Config()
        """,
    )
    proxy = lazy_import(name)
    assert proxy.debug is False
    proxy.debug = True
    assert sys.modules[name].debug is True
    assert resolve(proxy) is sys.modules[name]


# ---------------------------------------------------------------------------------------------
# Errors


def test_missing_module_raises_lazy_import_error_naming_the_declaration(modules: Modules) -> None:
    name = modules.name("absent")
    proxy = lazy_import(name)
    line = sys._getframe().f_lineno - 1
    with pytest.raises(LazyImportError) as info:
        proxy.anything  # noqa: B018
    err = info.value
    assert isinstance(err, ImportError) and isinstance(err, RuntimeLibError)
    assert f"{__file__}:{line}" in str(err) and repr(name) in str(err)
    assert err.declared_at == f"{__file__}:{line}"
    assert err.name == name
    assert isinstance(err.__cause__, ModuleNotFoundError)


def test_failed_import_is_retried_at_next_access(modules: Modules) -> None:
    name = modules.name("later")
    proxy = lazy_import(name)
    with pytest.raises(LazyImportError):
        proxy.VALUE  # noqa: B018
    assert not is_loaded(proxy)
    modules.write("later", "VALUE = 'installed'\n")
    assert proxy.VALUE == "installed"


def test_exception_in_module_body_is_wrapped_and_chained(modules: Modules) -> None:
    name = modules.write("broken", "raise ValueError('bad config')\n")
    proxy = lazy_import(name)
    with pytest.raises(LazyImportError, match="ValueError: bad config") as info:
        proxy.x  # noqa: B018
    assert isinstance(info.value.__cause__, ValueError)
    assert name not in sys.modules


# ---------------------------------------------------------------------------------------------
# Eager mode


@pytest.mark.parametrize("variable", ["CODEOPT_EAGER", "EAGER_IMPORT"])
def test_eager_mode_imports_at_declaration(
    modules: Modules, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "1")
    assert eager_enabled()
    name = modules.write("dep", counting("dep"))
    module = lazy_import(name)
    assert modules.executions("dep") == 1
    assert module is sys.modules[name]  # the real module: zero overhead in eager runs


def test_eager_mode_raises_at_the_declaration(modules: Modules, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEOPT_EAGER", "true")
    with pytest.raises(LazyImportError, match=f"{modules.name('absent')!r}"):
        lazy_import(modules.name("absent"))
    with pytest.raises(LazyImportError, match="cannot import name 'nope'"):
        lazy_from("json", "nope")


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_eager_switch_off_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CODEOPT_EAGER", value)
    monkeypatch.setenv("EAGER_IMPORT", value)
    assert not eager_enabled()


# ---------------------------------------------------------------------------------------------
# Threads


SLOW = """
import time
with open(COUNTER, "a") as log:
    log.write("{tag} ")
time.sleep(0.05)  # widen the window in which other threads race for the first access
FIRST = "first"
time.sleep(0.05)
LAST = "last"  # a thread seeing a half-executed module would miss this
"""


def race(proxy: object, attribute: str, threads: int = THREADS) -> tuple[list[object], list[BaseException]]:
    barrier = threading.Barrier(threads)
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            value = getattr(proxy, attribute)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(value)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(30)
    assert not any(thread.is_alive() for thread in pool)
    return results, errors


class CountingImport:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, name: str) -> types.ModuleType:
        with self.lock:
            self.calls += 1
        return importlib.import_module(name)


def test_threads_racing_the_first_access_import_once_and_see_a_complete_module(
    modules: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CountingImport()
    monkeypatch.setattr(lazy, "import_module", counter)
    name = modules.write("slow", SLOW.replace("{tag}", "slow"))
    proxy = lazy_import(name)
    results, errors = race(proxy, "LAST")
    assert errors == []
    assert results == ["last"] * THREADS
    assert modules.executions("slow") == 1
    assert counter.calls == 1  # one thread imported, the others waited on the proxy lock


class NoLock:
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        pass


def test_without_the_proxy_lock_the_race_test_would_fail(
    modules: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the test above: with the lock removed, many threads attempt the import."""
    counter = CountingImport()
    monkeypatch.setattr(lazy, "import_module", counter)
    name = modules.write("slow", SLOW.replace("{tag}", "slow"))
    proxy = lazy_import(name)
    lazy._STATE_SLOT.__get__(proxy).lock = NoLock()
    results, errors = race(proxy, "LAST")
    assert errors == [] and results == ["last"] * THREADS
    assert counter.calls > 1


def test_thread_inside_an_import_does_not_deadlock_on_a_proxy_lock(modules: Modules) -> None:
    """T1 holds the proxy lock while importing A, and A imports B, which T2 is importing. If B's
    body then touches the proxy, T2 waiting on the proxy lock would deadlock (importlib cannot see
    our lock). T2 must defer to importlib, which detects the cycle: both threads must finish."""
    registry = modules.name("registry")
    reg = types.ModuleType(registry)
    reg.a_started = threading.Event()  # type: ignore[attr-defined]
    reg.b_started = threading.Event()  # type: ignore[attr-defined]
    sys.modules[registry] = reg
    modules.write(
        "decl",
        """
        from codeopt_runtime.lazy import lazy_import
        A = lazy_import("PREFIX_cyca")
        def use():
            return A.VALUE
        """,
    )
    modules.write(
        "cyca", "import PREFIX_registry as reg\nreg.a_started.set()\nimport PREFIX_cycb\nVALUE = 'a'\n"
    )
    modules.write(
        "cycb",
        """
        import PREFIX_registry as reg
        reg.b_started.set()
        reg.a_started.wait(10)
        import PREFIX_decl
        try:
            OUTCOME = PREFIX_decl.use()
        except ImportError as exc:
            OUTCOME = exc
        """,
    )
    decl = importlib.import_module(modules.name("decl"))
    outcomes: dict[str, object] = {}

    def import_b() -> None:
        try:
            outcomes["t2"] = importlib.import_module(modules.name("cycb")).OUTCOME
        except BaseException as exc:
            outcomes["t2"] = exc

    def use_a() -> None:
        try:
            outcomes["t1"] = decl.use()
        except BaseException as exc:
            outcomes["t1"] = exc

    t2 = threading.Thread(target=import_b, daemon=True)
    t2.start()
    assert reg.b_started.wait(10)  # type: ignore[attr-defined]
    t1 = threading.Thread(target=use_a, daemon=True)
    t1.start()
    t1.join(20)
    t2.join(20)
    assert not t1.is_alive() and not t2.is_alive(), "deadlock"
    # One side may lose to importlib's deadlock detection, as with plain imports; none hangs.
    assert set(outcomes) == {"t1", "t2"}


# ---------------------------------------------------------------------------------------------
# lazy_from


def test_lazy_from_calls_through_and_imports_on_first_call(modules: Modules) -> None:
    name = modules.write("dep", counting("dep") + "def add(a, b=1):\n    return a + b\n")
    add = lazy_from(name, "add")
    assert isinstance(add, LazyObject)
    assert modules.executions("dep") == 0
    assert not is_loaded(add)
    assert add(2, b=3) == 5
    assert modules.executions("dep") == 1
    assert is_loaded(add)
    assert resolve(add) is sys.modules[name].add


def test_lazy_from_forwards_attribute_access(modules: Modules) -> None:
    name = modules.write(
        "dep", "class Thing:\n    KIND = 'k'\n    @classmethod\n    def make(cls):\n        return cls()\n"
    )
    thing = lazy_from(name, "Thing")
    assert thing.KIND == "k"
    assert type(thing.make()).__name__ == "Thing"
    assert thing.__name__ == "Thing"
    assert "make" in dir(thing)


def test_lazy_from_looks_the_name_up_at_every_call_so_patches_apply_and_expire(modules: Modules) -> None:
    name = modules.write("dep", counting("dep"))
    value = lazy_from(name, "value")
    assert value() == "real"
    with mock.patch(f"{name}.value", return_value="patched"):
        assert value() == "patched"
    assert value() == "real"  # the mock was not captured


def test_lazy_from_refuses_isinstance_issubclass_and_subclassing(modules: Modules) -> None:
    name = modules.write("dep", "class Base:\n    pass\n")
    base = lazy_from(name, "Base")
    with pytest.raises(TypeError, match=r"isinstance\(\) is not supported .*declared at"):
        isinstance(object(), base)
    with pytest.raises(TypeError, match=r"issubclass\(\) is not supported"):
        issubclass(int, base)
    with pytest.raises(TypeError, match="subclassing is not supported"):

        class Child(base):  # type: ignore[misc,valid-type]
            pass


def test_lazy_from_missing_name_names_the_declaration(modules: Modules) -> None:
    name = modules.write("dep", "X = 1\n")
    missing = lazy_from(name, "nope")
    line = sys._getframe().f_lineno - 1
    with pytest.raises(LazyImportError, match=f"cannot import name 'nope' from {name!r}") as info:
        missing()
    assert info.value.declared_at == f"{__file__}:{line}"
    assert isinstance(info.value.__cause__, AttributeError)


def test_lazy_from_falls_back_to_a_submodule_like_from_import(modules: Modules) -> None:
    pkg = modules.write("pkg", "", package=True)
    modules.write("pkg.tool", "def run():\n    return 'ran'\n")
    tool = lazy_from(pkg, "tool")
    assert tool.run() == "ran"


def test_lazy_from_pickles_by_reference_to_the_real_object() -> None:
    dumps = lazy_from("json", "dumps")
    restored = pickle.loads(pickle.dumps(dumps))
    import json

    assert restored is json.dumps


def test_lazy_from_repr_does_not_import(modules: Modules) -> None:
    name = modules.write("dep", counting("dep"))
    value = lazy_from(name, "value")
    assert f"{name}.value (not loaded" in repr(value)
    assert modules.executions("dep") == 0


def test_lazy_from_racing_threads_import_once(modules: Modules, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = CountingImport()
    monkeypatch.setattr(lazy, "import_module", counter)
    name = modules.write("slow", SLOW.replace("{tag}", "slow"))
    last = lazy_from(name, "LAST")
    results, errors = race(last, "upper")
    assert errors == [] and len(results) == THREADS
    assert counter.calls == 1 and modules.executions("slow") == 1


# ---------------------------------------------------------------------------------------------
# attach


PACKAGE_INIT = """
from codeopt_runtime.lazy import attach
__getattr__, __dir__, __all__ = attach(
    __name__, submodules=["io"], submod_attrs={"core": ["Engine", "run"], "broken": ["Fails"]}
)
EAGER = True
"""


def test_attach_imports_submodules_and_attributes_on_first_access(modules: Modules) -> None:
    pkg_name = modules.write("pkg", PACKAGE_INIT, package=True)
    modules.write("pkg.io", counting("io") + "def read():\n    return 'read'\n")
    modules.write("pkg.core", counting("core") + "class Engine:\n    pass\ndef run():\n    return 'run'\n")
    pkg = importlib.import_module(pkg_name)
    assert modules.executions("io") == 0 and modules.executions("core") == 0
    assert pkg.__all__ == ["Engine", "Fails", "io", "run"]
    assert pkg.io.read() == "read"
    assert pkg.run() == "run"
    assert pkg.Engine.__name__ == "Engine"
    assert modules.executions("io") == 1 and modules.executions("core") == 1
    assert "run" in vars(pkg)  # cached: later reads do not go through __getattr__
    assert {"Engine", "io", "run", "EAGER"} <= set(dir(pkg))


def test_attach_takes_the_table_name_first(modules: Modules) -> None:
    init = (
        "from codeopt_runtime.lazy import attach\n"
        "__getattr__, __dir__, _ = attach(__name__, attr_modules={'Engine': 'core', 'run': 'core'})\n"
    )
    pkg = importlib.import_module(modules.write("pkg", init, package=True))
    modules.write("pkg.core", counting("core") + "class Engine:\n    pass\ndef run():\n    return 'run'\n")
    assert modules.executions("core") == 0
    assert pkg.run() == "run" and pkg.Engine.__name__ == "Engine"
    assert modules.executions("core") == 1


def test_attach_unknown_name_is_an_attribute_error(modules: Modules) -> None:
    pkg = importlib.import_module(modules.write("pkg", PACKAGE_INIT, package=True))
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        pkg.nothing  # noqa: B018
    assert not hasattr(pkg, "nothing")


def test_attach_failure_names_the_attach_call(modules: Modules) -> None:
    pkg_name = modules.write("pkg", PACKAGE_INIT, package=True)
    pkg = importlib.import_module(pkg_name)
    init = str(modules.root / pkg_name / "__init__.py")
    with pytest.raises(LazyImportError, match=f"declared by attach\\(\\) at {init}:3"):
        pkg.Fails  # noqa: B018
    modules.write("pkg.core", "X = 1\n")
    with pytest.raises(LazyImportError, match="cannot import name 'run'"):
        pkg.run  # noqa: B018


def test_attach_star_import(modules: Modules) -> None:
    pkg_name = modules.write(
        "pkg",
        "from codeopt_runtime.lazy import attach\n__getattr__, __dir__, __all__ = attach(__name__, ['io'])\n",
        package=True,
    )
    modules.write("pkg.io", "X = 1\n")
    namespace: dict[str, object] = {}
    exec(f"from {pkg_name} import *", namespace)
    assert isinstance(namespace["io"], types.ModuleType)


def test_attach_eager_mode_imports_everything_at_package_import(
    modules: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EAGER_IMPORT", "1")
    pkg_name = modules.write(
        "pkg",
        "from codeopt_runtime.lazy import attach\n"
        "__getattr__, __dir__, __all__ = attach(__name__, ['io'], {'core': ['run']})\n",
        package=True,
    )
    modules.write("pkg.io", counting("io"))
    modules.write("pkg.core", counting("core") + "def run():\n    return 1\n")
    importlib.import_module(pkg_name)
    assert modules.executions("io") == 1 and modules.executions("core") == 1


def test_attach_threads_racing_execute_the_submodule_once(modules: Modules) -> None:
    pkg = importlib.import_module(modules.write("pkg", PACKAGE_INIT, package=True))
    modules.write("pkg.io", SLOW.replace("{tag}", "io"))
    results, errors = race(pkg, "io")
    assert errors == []
    assert len({id(module) for module in results}) == 1
    assert modules.executions("io") == 1


# ---------------------------------------------------------------------------------------------
# lazy_attribute


class Counted:
    def __init__(self) -> None:
        self.calls = 0

    @lazy_attribute
    def heavy(self) -> list[int]:
        """A docstring."""
        self.calls += 1
        return [self.calls]


def test_lazy_attribute_computes_once_and_stores_in_the_instance_dict() -> None:
    obj = Counted()
    assert obj.heavy == [1]
    assert obj.heavy is obj.heavy
    assert obj.calls == 1
    assert vars(obj)["heavy"] == [1]
    assert Counted.heavy.__doc__ == "A docstring."
    assert isinstance(Counted.__dict__["heavy"], lazy_attribute)


def test_lazy_attribute_can_be_set_and_deleted_to_recompute() -> None:
    obj = Counted()
    obj.heavy = [99]
    assert obj.heavy == [99] and obj.calls == 0
    del obj.heavy
    assert obj.heavy == [1]


def test_lazy_attribute_exception_leaves_nothing_cached() -> None:
    class Flaky:
        attempts = 0

        @lazy_attribute
        def value(self) -> str:
            Flaky.attempts += 1
            if Flaky.attempts == 1:
                raise OSError("first try fails")
            return "ok"

    obj = Flaky()
    with pytest.raises(OSError):
        obj.value  # noqa: B018
    assert obj.value == "ok"
    assert Flaky.__dict__["value"]._entries == {}


def test_lazy_attribute_on_slots_without_dict_is_a_clear_type_error_at_first_use() -> None:
    class Slotted:
        __slots__ = ("x",)

        @lazy_attribute
        def value(self) -> int:
            return 1

    with pytest.raises(TypeError, match=r"needs a __dict__ on 'test_lazy_attribute_on_slots.*__slots__"):
        Slotted().value  # noqa: B018


def test_lazy_attribute_works_with_slots_that_include_dict_and_on_dict_subclasses() -> None:
    class WithDict:
        __slots__ = ("__dict__",)

        @lazy_attribute
        def value(self) -> int:
            return 1

    class AbstractBase:
        __slots__ = ()

        @lazy_attribute
        def value(self) -> int:
            return 2

    class Concrete(AbstractBase):
        pass

    assert WithDict().value == 1
    assert Concrete().value == 2


def test_lazy_attribute_recursion_is_an_error_not_a_deadlock() -> None:
    class Loop:
        @lazy_attribute
        def value(self) -> int:
            return self.value  # type: ignore[no-any-return]

    with pytest.raises(RuntimeError, match="recursion"):
        Loop().value  # noqa: B018


def test_lazy_attribute_same_descriptor_under_two_names_is_refused() -> None:
    shared = lazy_attribute(lambda self: 1)
    with pytest.raises((TypeError, RuntimeError)) as info:

        class Twice:
            a = shared
            b = shared

    error = info.value if isinstance(info.value, TypeError) else info.value.__cause__
    assert isinstance(error, TypeError) and "two different names" in str(error)


def test_lazy_attribute_threads_racing_compute_once() -> None:
    calls: list[int] = []
    calls_lock = threading.Lock()

    class Slow:
        @lazy_attribute
        def value(self) -> object:
            with calls_lock:
                calls.append(1)
            time.sleep(0.05)  # widen the race window; the assertion does not depend on timing
            return object()

    obj = Slow()
    results, errors = race(obj, "value")
    assert errors == []
    assert len(calls) == 1
    assert len({id(value) for value in results}) == 1
    assert Slow.__dict__["value"]._entries == {}  # per-instance locks are not kept


def test_lazy_attribute_locks_per_instance_not_per_class() -> None:
    """Instance A's computation waits until B's has run: a per-class lock would deadlock."""
    b_done = threading.Event()

    class Item:
        def __init__(self, name: str) -> None:
            self.name = name

        @lazy_attribute
        def value(self) -> str:
            if self.name == "a":
                assert b_done.wait(10), "b's computation was blocked by a's"
            else:
                b_done.set()
            return self.name

    a, b = Item("a"), Item("b")
    results: dict[str, str] = {}
    thread_a = threading.Thread(target=lambda: results.__setitem__("a", a.value))
    thread_a.start()
    time.sleep(0.01)  # let a start first; correctness does not depend on it
    results["b"] = b.value
    thread_a.join(20)
    assert results == {"a": "a", "b": "b"}


def test_lazy_import_error_survives_pickling_with_its_details() -> None:
    """Errors cross process boundaries (multiprocessing, pytest-xdist) with their context."""
    error = LazyImportError("lazy import of 'x' failed", name="x", declared_at="app.py:3")
    restored = pickle.loads(pickle.dumps(error))
    assert (str(restored), restored.name, restored.declared_at) == (str(error), "x", "app.py:3")

"""Lazy imports and lazy attributes that are safe under threads and keep ``mock.patch`` working.

Why this exists: code rewritten by codeopt replaces ``import requests`` (used only inside function
bodies) by ``requests = lazy_import("requests")`` so that start-up does not pay for modules a run may
never use. The module-level binding is kept on purpose: ``mock.patch("pkg.mod.requests.get")`` and
``mock.patch("pkg.mod.requests")`` keep working, which moving the import into the function would break.

Components
    ``lazy_import(name)``      module proxy; the import runs on first attribute access.
    ``lazy_from(mod, name)``   call-forwarding proxy for ``from mod import name`` used only as a call.
    ``lazy_attribute``         thread-safe, compute-once replacement for ``functools.cached_property``.
    ``attach(__name__, ...)``  PEP 562 ``__getattr__``/``__dir__``/``__all__`` for package ``__init__``.
    ``resolve(obj)``           the real module/object behind a proxy (forces the import).

Design decisions (see docs/runtime/lazy.md for the user-facing version):

* Not built on ``importlib.util.LazyLoader``: it executes the module outside the import lock and
  races on 3.11 < 3.11.9 (cpython#114763). We call ``importlib.import_module`` instead, whose
  per-module locks guarantee one execution, and keep our own per-proxy lock so the import is
  attempted by one thread while the others wait for it.
* A thread that is itself inside an import never waits on a proxy lock: if the import of the lazy
  target needs a module that thread is importing, waiting would deadlock without importlib's deadlock
  detector seeing it. Such a thread calls ``import_module`` directly and lets importlib arbitrate.
* After the import, the proxy's ``__dict__`` *is* the real module's ``__dict__`` and its class is
  swapped for one without ``__getattr__``: attribute reads are plain instance-dict hits (as fast as
  a module attribute), ``setattr``/``delattr`` (``mock.patch``) write to the real module, and values
  the module rebinds later are seen live. A ``types.ModuleType`` subclass cannot do this (its
  ``__dict__`` is read-only and misses cost an AttributeError each time on 3.11), so the proxy is not
  a ModuleType: ``isinstance(proxy, types.ModuleType)`` is False; use ``resolve()`` when you need it.
* Typing/threading are not imported at run time: this module is imported at start-up by every
  rewritten module, and ``typing`` alone costs ~4 ms.
* ``CODEOPT_EAGER=1`` (or ``EAGER_IMPORT=1``, the scientific-python switch) makes every declaration
  import immediately, so a test run surfaces broken imports at the line that declares them.
"""

from __future__ import annotations

import _thread
import os
import sys
from types import GenericAlias, ModuleType

from .errors import LazyImportError


def import_module(name: str, package: str | None = None) -> ModuleType:
    """importlib.import_module, imported on first use: importing ``importlib`` itself loads three
    more modules, which ``import codeopt_runtime`` should not pay for."""
    from importlib import import_module as _import_module

    return _import_module(name, package)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any, Generic, Self, TypeVar, overload
else:  # pragma: no cover - trivial stand-ins so that typing is not imported at run time

    class Generic:
        """Run-time stand-in for ``typing.Generic``: ``Cls[T]`` works, nothing else is needed."""

        __slots__ = ()

        def __class_getitem__(cls, params):
            return cls if cls is Generic else GenericAlias(cls, params)

    def TypeVar(name, *constraints, **kwargs):
        return name


_T = TypeVar("_T")

__all__ = [
    "LazyModule",
    "LazyObject",
    "attach",
    "eager_enabled",
    "is_loaded",
    "lazy_attribute",
    "lazy_from",
    "lazy_import",
    "resolve",
]

_TRUTHY = frozenset({"1", "true", "yes", "on"})
_EAGER_VARIABLES = ("CODEOPT_EAGER", "EAGER_IMPORT")
_BOOTSTRAP_FILENAME = "<frozen importlib._bootstrap"
_UNSET: Any = object()
# Attributes that introspection (mock.patch, inspect.unwrap, pytest collection, ABCMeta) probes on
# any object and that modules never define: an unloaded proxy answers "absent" without importing,
# so that e.g. mock.patch("pkg.mod.requests") works without importing (or having) requests.
_PROBES = frozenset(
    {
        "__code__",
        "__func__",
        "__isabstractmethod__",
        "__self__",
        "__signature__",
        "__test__",
        "__wrapped__",
        "_is_coroutine",  # asyncio.iscoroutinefunction, called by mock.patch
    }
)


def eager_enabled() -> bool:
    """True when ``CODEOPT_EAGER`` or ``EAGER_IMPORT`` is set to 1/true/yes/on.

    Read at every declaration (not cached) so tests can flip it with ``monkeypatch.setenv``.
    """
    environ = os.environ
    return any(environ.get(var, "").strip().lower() in _TRUTHY for var in _EAGER_VARIABLES)


def _declaration_site(depth: int) -> tuple[str, dict[str, Any]]:
    """``file:line`` and globals of the frame ``depth`` levels above our caller."""
    frame = sys._getframe(depth + 1)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}", frame.f_globals


def _absolute_name(name: str, package: str | None) -> str:
    """Resolve ``.sub``/``..sib`` the way ``import_module(name, package)`` does, without importing."""
    if not name.startswith("."):
        return name
    if not package:
        raise ValueError(f"relative lazy import {name!r} needs a package (none known at the call site)")
    stripped = name.lstrip(".")
    level = len(name) - len(stripped)
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        raise ValueError(f"relative lazy import {name!r} goes beyond top-level package {package!r}")
    base = bits[0]
    return f"{base}.{stripped}" if stripped else base


def _inside_import() -> bool:
    """True when the calling thread is executing inside importlib (a module body is running)."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(_BOOTSTRAP_FILENAME):
            return True
        frame = frame.f_back
    return False


def _initializing(module: object) -> bool:
    """True for a module whose body is still executing (seen through a circular import)."""
    try:
        return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))
    except Exception:  # an object posing as a module may raise anything from __getattr__
        return False


class _State:
    """What a proxy knows before the import: what to import, and where that was declared."""

    __slots__ = ("declared_at", "lock", "name", "target", "top")

    def __init__(self, name: str, top: str | None, declared_at: str) -> None:
        self.name = name
        self.top = top  # set for bind="top": the proxy stands for the top-level package
        self.declared_at = declared_at
        self.lock = _thread.allocate_lock()
        self.target: Any = _UNSET

    def do_import(self) -> Any:
        try:
            module = import_module(self.name)
        except Exception as exc:
            raise LazyImportError(
                f"lazy import of {self.name!r} (declared at {self.declared_at}) failed: "
                f"{type(exc).__name__}: {exc}",
                name=self.name,
                declared_at=self.declared_at,
            ) from exc
        return sys.modules[self.top] if self.top is not None else module


def _resolve_state(state: _State, finish: Callable[[Any], None] | None) -> Any:
    """Import ``state``'s module once, under ``state.lock``; return the module.

    ``finish`` publishes the result (it must set ``state.target`` last-but-visible); a partially
    initialised module (circular import) is returned but not published, so a later access
    re-checks once the import has completed.
    """
    target = state.target
    if target is not _UNSET:
        return target
    lock = state.lock
    if not lock.acquire(False):
        if _inside_import():
            # Waiting here could deadlock with the thread holding the lock (it may be waiting
            # for a module lock this thread owns); importlib detects that cycle, we cannot.
            return state.do_import()
        lock.acquire()
    try:
        target = state.target
        if target is _UNSET:
            target = state.do_import()
            if not _initializing(target):
                if finish is None:
                    state.target = target
                else:
                    finish(target)
        return target
    finally:
        lock.release()


# --------------------------------------------------------------------------------------------
# Module proxies


class LazyModule:
    """A module that has not been imported yet (or a thin view of one that has).

    Do not instantiate directly: use ``lazy_import``. ``isinstance(x, LazyModule)`` tells proxies
    apart; ``resolve(x)`` returns the real module.
    """

    # One slot for our state so nothing of ours lives in the (shared) instance __dict__.
    __slots__ = ("__dict__", "__weakref__", "_codeopt_lazy")

    def __repr__(self) -> str:
        state: _State = _STATE_SLOT.__get__(self)
        if state.target is _UNSET:
            what = repr(state.name) if state.top is None else f"{state.top!r} (import {state.name})"
            return f"<lazy module {what} (not loaded; declared at {state.declared_at})>"
        return f"<lazy {state.target!r}>"

    def __dir__(self) -> list[str]:
        return dir(_load(self))

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(f"cannot pickle {self!r}: modules are not picklable")


_STATE_SLOT: Any = LazyModule.__dict__["_codeopt_lazy"]
_DICT_SLOT: Any = LazyModule.__dict__["__dict__"]
_CLASS_SLOT: Any = object.__dict__["__class__"]


class _UnloadedModule(LazyModule):
    """Every access that is not answered by the class triggers the import."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name in _PROBES:
            raise AttributeError(f"{self!r} has no attribute {name!r} (not imported for a probe)")
        return getattr(_load(self), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_load(self), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_load(self), name)

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]  # vars(proxy): the real dict
        return _load(self).__dict__  # type: ignore[no-any-return]


class _LoadedModule(LazyModule):
    """Shares the real module's ``__dict__``; no hooks, so reads take the fast generic path."""

    __slots__ = ()


class _LoadedModuleWithGetattr(_LoadedModule):
    """For modules with a PEP 562 ``__getattr__``: misses must reach it (slower, still correct)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(_STATE_SLOT.__get__(self).target, name)


class _ForwardingModule(LazyModule):
    """For targets that are not plain modules (a ModuleType subclass with hooks, or an object a
    module put into ``sys.modules``): sharing the dict would bypass their hooks, so forward all."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        return getattr(_STATE_SLOT.__get__(self).target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_STATE_SLOT.__get__(self).target, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_STATE_SLOT.__get__(self).target, name)


def _publish_module(proxy: LazyModule, state: _State, module: Any) -> None:
    """Turn ``proxy`` into a view of ``module``; order matters for lock-free readers."""
    if type(module) is ModuleType:
        namespace = module.__dict__
        _DICT_SLOT.__set__(proxy, namespace)  # 1. reads that hit the dict are now correct
        cls: type = _LoadedModuleWithGetattr if "__getattr__" in namespace else _LoadedModule
    else:
        cls = _ForwardingModule
    state.target = module  # 2. misses seen by the old class find the target without the lock
    _CLASS_SLOT.__set__(proxy, cls)  # 3. drop the hooks


def _load(proxy: LazyModule) -> Any:
    state: _State = _STATE_SLOT.__get__(proxy)
    if state.target is not _UNSET:
        return state.target
    return _resolve_state(state, lambda module: _publish_module(proxy, state, module))


def _as_module(obj: object) -> ModuleType:
    """The proxy is typed as a module so that rewritten code type-checks as before."""
    return obj  # type: ignore[return-value]


def lazy_import(name: str, *, bind: str = "module", package: str | None = None) -> ModuleType:
    """Declare ``import name``; the import runs on first attribute access, once, thread-safely.

    ``lazy_import("xml.etree.ElementTree")`` stands for the submodule itself (like
    ``importlib.import_module``). ``bind="top"`` mirrors the statement ``import a.b.c``: the proxy
    stands for ``a`` and the first access imports ``a.b.c``. Relative names (``".sub"``) resolve
    against ``package`` or, by default, the calling module's ``__package__``.

    Errors surface at first use as ``LazyImportError`` (an ``ImportError``) naming this call's
    ``file:line``. With ``CODEOPT_EAGER=1`` the import happens here and the real module is returned.
    A module that is already fully imported is bound immediately, so there is no first-use cost.
    """
    if bind not in ("module", "top"):
        raise ValueError(f"bind must be 'module' or 'top', not {bind!r}")
    declared_at, caller_globals = _declaration_site(1)
    absolute = _absolute_name(name, package if package is not None else caller_globals.get("__package__"))
    top = absolute.partition(".")[0] if bind == "top" else None
    state = _State(absolute, top, declared_at)
    if eager_enabled():
        return state.do_import()  # type: ignore[no-any-return]
    proxy = object.__new__(_UnloadedModule)
    _STATE_SLOT.__set__(proxy, state)
    existing = sys.modules.get(absolute)
    if existing is not None and not _initializing(existing):
        bound = existing if top is None else sys.modules.get(top)
        if bound is not None:
            _publish_module(proxy, state, bound)
    return _as_module(proxy)


# --------------------------------------------------------------------------------------------
# Call-forwarding proxies


class _AttrState(_State):
    __slots__ = ("attr",)

    def __init__(self, name: str, attr: str, declared_at: str) -> None:
        super().__init__(name, None, declared_at)
        self.attr = attr


def _lookup(state: _AttrState) -> Any:
    """``getattr(module, attr)`` with ``from module import attr``'s submodule fallback."""
    module = state.target
    if module is _UNSET:
        module = _resolve_state(state, None)
    try:
        return getattr(module, state.attr)
    except AttributeError as exc:
        try:
            return import_module(f"{state.name}.{state.attr}")
        except ImportError:
            pass
        raise LazyImportError(
            f"cannot import name {state.attr!r} from {state.name!r} "
            f"(lazy_from declared at {state.declared_at})",
            name=state.name,
            declared_at=state.declared_at,
        ) from exc


def _unpickle_lazy_from(module: str, attr: str) -> Any:
    return getattr(import_module(module), attr)


class LazyObject:
    """Stands for ``module.attr`` in call position: ``proxy(*args)`` imports and calls it.

    The attribute is looked up on the module at every call (the module is imported once), so
    ``mock.patch("module.attr")`` is honoured and a patched object is never captured for good.
    It is not a class: ``isinstance``, ``issubclass``, subclassing, ``except`` and ``match`` on it
    do not work; ``isinstance``/``issubclass``/subclassing raise a TypeError saying so.
    """

    __slots__ = ("__weakref__", "_codeopt_lazy")
    _codeopt_lazy: _AttrState

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        state = self._codeopt_lazy  # the slot, read directly: this is the hot path
        module = state.target
        if module is _UNSET:
            return _lookup(state)(*args, **kwargs)
        try:
            target = getattr(module, state.attr)
        except AttributeError:
            target = _lookup(state)  # submodule fallback, or the LazyImportError
        return target(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(_lookup(_ATTR_SLOT.__get__(self)), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_lookup(_ATTR_SLOT.__get__(self)), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_lookup(_ATTR_SLOT.__get__(self)), name)

    def __dir__(self) -> list[str]:
        return dir(_lookup(_ATTR_SLOT.__get__(self)))

    def __repr__(self) -> str:
        state: _AttrState = _ATTR_SLOT.__get__(self)
        loaded = "loaded" if state.target is not _UNSET else "not loaded"
        return f"<lazy {state.name}.{state.attr} ({loaded}; declared at {state.declared_at})>"

    def __reduce__(self) -> tuple[Any, ...]:
        state: _AttrState = _ATTR_SLOT.__get__(self)
        return (_unpickle_lazy_from, (state.name, state.attr))

    def _not_a_class(self, what: str) -> TypeError:
        state: _AttrState = _ATTR_SLOT.__get__(self)
        return TypeError(
            f"{what} is not supported on lazy_from proxy {state.name}.{state.attr} "
            f"(declared at {state.declared_at}): import it eagerly, or use resolve(proxy)"
        )

    def __instancecheck__(self, instance: Any) -> bool:
        raise self._not_a_class("isinstance()")

    def __subclasscheck__(self, subclass: Any) -> bool:
        raise self._not_a_class("issubclass()")

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        raise self._not_a_class("subclassing")


_ATTR_SLOT: Any = LazyObject.__dict__["_codeopt_lazy"]


def lazy_from(module: str, name: str, *, package: str | None = None) -> Any:
    """Declare ``from module import name`` for a name that is only called.

    The module is imported on the first call or attribute access; the name is looked up on it at
    every call. Missing names raise ``LazyImportError`` naming this call's ``file:line``. With
    ``CODEOPT_EAGER=1`` the module is imported and the name checked here, but the proxy is still
    returned so that behaviour (e.g. isinstance being refused) is the same in both modes.
    """
    declared_at, caller_globals = _declaration_site(1)
    absolute = _absolute_name(module, package if package is not None else caller_globals.get("__package__"))
    state = _AttrState(absolute, name, declared_at)
    proxy = object.__new__(LazyObject)
    _ATTR_SLOT.__set__(proxy, state)
    if eager_enabled():
        _lookup(state)
    return proxy


def resolve(obj: Any) -> Any:
    """The real module or object behind a lazy proxy (importing it now); other objects unchanged."""
    if isinstance(obj, LazyModule):
        return _load(obj)
    if isinstance(obj, LazyObject):
        return _lookup(_ATTR_SLOT.__get__(obj))
    return obj


def is_loaded(obj: Any) -> bool:
    """False for a proxy whose import has not happened yet; True for anything else."""
    if isinstance(obj, LazyModule):
        return _STATE_SLOT.__get__(obj).target is not _UNSET
    if isinstance(obj, LazyObject):
        return _ATTR_SLOT.__get__(obj).target is not _UNSET
    return True


# --------------------------------------------------------------------------------------------
# PEP 562 helper for packages


def attach(
    package_name: str,
    submodules: Iterable[str] = (),
    submod_attrs: Mapping[str, Iterable[str]] | None = None,
    *,
    attr_modules: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Lazy submodules and re-exports for a package ``__init__`` (scientific-python SPEC 1)::

        __getattr__, __dir__, __all__ = attach(__name__, submodules=["io"],
                                               submod_attrs={"core": ["Engine", "run"]})

    ``pkg.io`` imports ``pkg.io``; ``pkg.Engine`` imports ``pkg.core`` and returns its ``Engine``.
    ``attr_modules`` is the same table the other way round (``{"Engine": "core"}``), for packages that
    list one exported name per line.
    The value is stored in the package namespace, so later accesses never reach ``__getattr__``.
    Thread-safe without a lock of ours: importlib runs each submodule once and the store is
    idempotent. Failures raise ``LazyImportError`` naming the ``attach`` call. In eager mode every
    name is imported here.
    """
    declared_at, _ = _declaration_site(1)
    submodule_names = frozenset(submodules)
    attr_to_module = {attr: mod for mod, attrs in (submod_attrs or {}).items() for attr in attrs}
    attr_to_module.update(attr_modules or {})
    names = sorted(submodule_names | attr_to_module.keys())

    def _import(qualified: str) -> Any:
        try:
            return import_module(qualified)
        except Exception as exc:
            raise LazyImportError(
                f"lazy import of {qualified!r} (declared by attach() at {declared_at}) failed: "
                f"{type(exc).__name__}: {exc}",
                name=qualified,
                declared_at=declared_at,
            ) from exc

    def __getattr__(name: str) -> Any:
        if name in submodule_names:
            value = _import(f"{package_name}.{name}")
        elif name in attr_to_module:
            source = f"{package_name}.{attr_to_module[name]}"
            try:
                value = getattr(_import(source), name)
            except AttributeError as exc:
                raise LazyImportError(
                    f"cannot import name {name!r} from {source!r} (declared by attach() at {declared_at})",
                    name=source,
                    declared_at=declared_at,
                ) from exc
        else:
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}")
        package = sys.modules.get(package_name)
        if package is not None:
            package.__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        package = sys.modules.get(package_name)
        present = package.__dict__.keys() if package is not None else ()
        return sorted(set(names).union(present))

    if eager_enabled():
        for name in names:
            __getattr__(name)
    return __getattr__, __dir__, list(names)


# --------------------------------------------------------------------------------------------
# Lazy attributes


class _Entry:
    __slots__ = ("lock", "owner", "users")

    def __init__(self) -> None:
        self.lock = _thread.allocate_lock()
        self.owner = 0
        self.users = 0


class lazy_attribute(Generic[_T]):
    """``functools.cached_property`` that computes once even when threads race for it.

    Why not cached_property: 3.12 removed its lock (concurrent first access computes twice) and
    3.8-3.11 used one lock per *class*, serialising every instance. This uses one lock per instance,
    held only during the first computation and kept outside the instance (``vars(obj)``/pickling
    are unaffected). After the first computation the value sits in the instance ``__dict__`` and
    is read at plain-attribute speed (the descriptor is not even called).

    Like cached_property: assigning sets the value, ``del obj.attr`` forgets it, an exception leaves
    nothing cached. Classes whose instances have no ``__dict__`` (``__slots__`` without it) get a
    TypeError at first use; it cannot be raised at class creation because a subclass may add one.
    Recursion (the function reading its own attribute) raises RuntimeError instead of deadlocking.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.attrname: str | None = None
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__
        self._guard = _thread.allocate_lock()
        self._entries: dict[int, _Entry] = {}

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if self.attrname is None:
            self.attrname = name
        elif name != self.attrname:
            raise TypeError(
                f"cannot assign the same lazy_attribute to two different names "
                f"({self.attrname!r} and {name!r})"
            )

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: type[Any] | None = None) -> Self: ...

        @overload
        def __get__(self, instance: object, owner: type[Any] | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> _T | Self:
        if instance is None:
            return self
        name = self.attrname
        if name is None:
            raise TypeError("lazy_attribute used without __set_name__ (assign it in a class body)")
        try:
            namespace: dict[str, Any] = instance.__dict__
        except AttributeError:
            raise TypeError(
                f"lazy_attribute {name!r} needs a __dict__ on {type(instance).__qualname__!r} instances "
                f"to store its value; the class defines __slots__ without '__dict__'"
            ) from None
        value = namespace.get(name, _UNSET)
        if value is not _UNSET:  # stored by another thread since the attribute lookup
            return value  # type: ignore[no-any-return]
        key = id(instance)  # stable: we hold a reference to instance until we are done
        me = _thread.get_ident()
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
            elif entry.owner == me:
                raise RuntimeError(
                    f"lazy_attribute {name!r} of {type(instance).__qualname__!r} "
                    "was read while it was being computed (recursion)"
                )
            entry.users += 1
        try:
            with entry.lock:
                value = namespace.get(name, _UNSET)
                if value is _UNSET:
                    entry.owner = me
                    try:
                        value = self.func(instance)
                    finally:
                        entry.owner = 0
                    namespace[name] = value
                return value  # type: ignore[no-any-return]
        finally:
            with self._guard:
                entry.users -= 1
                if not entry.users:
                    del self._entries[key]

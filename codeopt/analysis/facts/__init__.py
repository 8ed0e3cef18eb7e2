"""Facts about one module that rules and transforms need beyond metrics, from one walk of the ``ast``.

Metrics say *how big*; facts say *what the code does with its names*, which is what decides whether a
rewrite is safe:

* **import bindings** (:class:`ImportBinding`): every name bound by a module-level import, how the
  import is guarded (``try``/``except ImportError``, ``TYPE_CHECKING``, ``if``), and every place the
  name is used, classified by *when* that place runs (:class:`UseContext`) and *how* the name is used
  (:class:`UseRole`). An import may become lazy only when every use runs after import time, which is
  exactly what :attr:`ImportBinding.runtime_contexts` answers.
* **resource creations** (:class:`ResourceCreation`): calls in function bodies whose callee resolves
  through the module's imports to a dotted name (``import sqlite3 as s; s.connect()`` is
  ``sqlite3.connect``), bound to a variable or a ``with`` target, and what happens to that object in the
  function: closed, committed, returned, stored, passed on. Facts record every such call; *which*
  callees are expensive is a rule option, so changing it never invalidates the per-file cache.
* **eager attributes** (:class:`EagerAttribute`): ``self.x = <call>`` in ``__init__``, with the
  methods that read ``self.x`` and what the class is made of (``__slots__``, dataclass).
* **function shapes** (:class:`FunctionShape`): where each function nests deepest and which block
  carries most of its complexity, with the block's inputs and outputs, so a complexity finding can
  propose a concrete extract-function.

Everything here is frozen plain data (enums, strings, ints, tuples): it crosses process boundaries and
lives in the on-disk cache. No AST node survives the walk.

The package is one walk (:mod:`.walker`) over parts that each gather one kind of fact:
:mod:`.imports`, :mod:`.resources`, :mod:`.attributes` and :mod:`.shapes`, on the shared walk state
of :mod:`.state`; :mod:`.model` holds the frozen results. Import the public names from here.
"""

from __future__ import annotations

from codeopt.analysis.facts.model import (
    LAZY_SAFE_CONTEXTS,
    Block,
    EagerAttribute,
    FunctionShape,
    ImportBinding,
    ModuleFacts,
    NameUse,
    ResourceCreation,
    UseContext,
    UseRole,
)
from codeopt.analysis.facts.walker import extract_facts, facts_from_tree

__all__ = [
    "LAZY_SAFE_CONTEXTS",
    "Block",
    "EagerAttribute",
    "FunctionShape",
    "ImportBinding",
    "ModuleFacts",
    "NameUse",
    "ResourceCreation",
    "UseContext",
    "UseRole",
    "extract_facts",
    "facts_from_tree",
]

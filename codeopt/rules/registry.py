"""Rule discovery: every module of the built-in rule package defines one rule; no hand-kept list."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from codeopt.errors import RuleError
from codeopt.rules.base import Rule

BUILTIN_PACKAGE = "codeopt_rules"


def rules_in_module(module: ModuleType) -> list[type[Rule]]:
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Rule)
        and obj.__module__ == module.__name__
        and not obj.__dict__.get("abstract", False)
    ]


@cache
def discover_rules(package: str = BUILTIN_PACKAGE) -> dict[str, type[Rule]]:
    """Rule classes by id, from every non-private module of ``package``, sorted by id."""
    root = importlib.import_module(package)
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(root.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        classes = rules_in_module(module)
        if len(classes) != 1:
            raise RuleError(
                f"{module.__name__}: a rule module defines exactly one rule, found {len(classes)}"
            )
        rule = classes[0]
        if rule.id in found:
            raise RuleError(
                f"{module.__name__}: rule id {rule.id} is also used by {found[rule.id].__module__}"
            )
        found[rule.id] = rule
    return dict(sorted(found.items()))


@cache
def rules_fingerprint(package: str = BUILTIN_PACKAGE) -> str:
    """A digest of the rule code (built-in rules and the engine), for caching whole runs."""
    import hashlib
    from pathlib import Path

    import codeopt.rules

    digest = hashlib.blake2b(digest_size=16)
    for folder in (Path(importlib.import_module(package).__path__[0]), Path(codeopt.rules.__path__[0])):
        for path in sorted(folder.glob("*.py")):
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(path.name.encode())
    return digest.hexdigest()

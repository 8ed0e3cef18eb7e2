"""Names for new submodules: what the module is about, and never a name that already means something.

A module's words are the tokens of its units' identifiers (snake and CamelCase split), weighted by
the unit's size (square root, so one long function does not drown the rest) and made distinctive
against the other new modules TF-IDF style: ``create_branch``, ``delete_branch`` and
``BranchNamingPolicy`` in one module and nowhere else give ``branch``. A class holding a large part
of a module names it outright (``class BranchManager`` -> ``branch_manager``).

A name must be a legal identifier and must not collide with a module-level name of the split module
(the package attribute would shadow it), a builtin (importing ``pkg/map.py`` binds ``map`` in the
facade's namespace), a sibling file or package, a stdlib module, a keyword, or another new module.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import math
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from codeopt.split.cluster import STOP_TOKENS, tokens
from codeopt.split.unit_model import Inventory

RESERVED = frozenset({"_common", "_state", "__init__", "__main__"})
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_CLASS_SHARE = 0.35
_FAMILIES = frozenset({"error", "exception", "warning"})
_WEAK = frozenset(
    {"helper", "helpers", "impl", "internal", "inner", "wrapper", "util", "utils", "misc", "private"}
)
_NOUNS = {  # a module is named for what it is about: validate_* functions make `validation`
    "validate": "validation", "resolve": "resolution", "parse": "parsing", "format": "formatting",
    "serialize": "serialization", "convert": "conversion", "render": "rendering", "load": "loading",
    "schedule": "scheduling", "dispatch": "dispatching", "compile": "compilation", "encode": "encoding",
    "decode": "decoding", "normalize": "normalization", "normalise": "normalisation",
}  # fmt: skip


def taken_names(inv: Inventory) -> set[str]:
    """Names a new submodule of ``inv``'s module may not take."""
    taken = {name for unit in inv.units for name in unit.names}
    taken.update(sys.stdlib_module_names)
    taken.update(name for name in dir(builtins) if not name.startswith("_"))
    taken.update(keyword.kwlist)
    taken.update(keyword.softkwlist)
    taken.update(RESERVED)
    taken.update(sibling_names(inv.path))
    return taken


def sibling_names(path: Path) -> set[str]:
    """Module and package names next to ``path`` (including the module itself)."""
    folder = path.parent
    if not folder.is_dir():
        return {path.stem}
    found = {path.stem}
    for entry in folder.iterdir():
        if entry.suffix in (".py", ".pyi") or (entry.is_dir() and not entry.name.startswith(".")):
            found.add(entry.stem if entry.is_file() else entry.name)
    return found


def is_legal(name: str, taken: Iterable[str] = ()) -> bool:
    """A lower-case identifier, not a keyword, not in ``taken``."""
    return bool(_IDENTIFIER.match(name)) and not keyword.iskeyword(name) and name not in set(taken)


def name_modules(inv: Inventory, clusters: Sequence[Sequence[str]], taken: set[str]) -> list[str]:
    """One distinct, legal name per cluster (in order); ``taken`` grows with the names chosen."""
    weights = [_token_weights(inv, cluster) for cluster in clusters]
    spread: dict[str, int] = {}
    for found in weights:
        for token in found:
            spread[token] = spread.get(token, 0) + 1
    names = []
    for cluster, found in zip(clusters, weights, strict=True):
        scored = {
            token: weight * math.log(1 + len(clusters) / spread[token]) for token, weight in found.items()
        }
        ranked = sorted(scored, key=lambda token: (-scored[token], token))
        name = _pick(_candidates(inv, cluster, ranked, scored), taken)
        taken.add(name)
        names.append(name)
    return names


def _token_weights(inv: Inventory, cluster: Sequence[str]) -> dict[str, float]:
    found: dict[str, float] = {}
    for unit_id in cluster:
        unit = inv.unit(unit_id)
        weight = math.sqrt(unit.lines) * (1.5 if unit.kind == "class" else 1.0)
        weight *= 0.5 if unit_id.startswith("_") else 1.0  # the public names say what a module offers
        words = [token for name in unit.names[:3] for token in tokens(name)]
        for token in dict.fromkeys(words):
            if token not in STOP_TOKENS and token not in _WEAK and not token.isdigit() and len(token) > 1:
                found[token] = found.get(token, 0.0) + weight
    return found


def _candidates(
    inv: Inventory, cluster: Sequence[str], ranked: list[str], scored: dict[str, float]
) -> list[str]:
    """Names to try, best first."""
    candidates: list[str] = []
    if any(inv.unit(unit).names[:1] == ("main",) for unit in cluster):
        candidates.extend(("cli", "command_line"))  # the module holding `main` is the command line
    ranked = [_NOUNS.get(token, token) for token in ranked]
    scored = {_NOUNS.get(token, token): score for token, score in scored.items()}
    dominant = _dominant_class(inv, cluster)
    families = _families(inv, cluster)
    if dominant and _class_leads(inv, cluster, dominant, ranked, families):
        candidates.append(snake_case(dominant))
    candidates.extend(_token_names(ranked, scored, families))
    if dominant:
        candidates.append(snake_case(dominant))
    candidates.extend(_plural(token) for token in ranked[:2])  # `split` is taken: `splits`
    candidates.extend(f"{token}_tools" for token in ranked[:1])
    candidates.append(snake_case(cluster[0]).strip("_") or "part")
    return [name for name in dict.fromkeys(candidates) if name]


def _token_names(ranked: list[str], scored: dict[str, float], families: set[str]) -> list[str]:
    """Two close leading words together, then single words, then neighbouring pairs."""
    names = []
    if len(ranked) >= 2 and scored[ranked[1]] >= 0.6 * scored[ranked[0]] and _distinct(ranked[0], ranked[1]):
        names.append(f"{ranked[0]}_{ranked[1]}")
    names.extend(_plural(token) if token in families else token for token in ranked[:3])
    names.extend(f"{a}_{b}" for a, b in itertools.pairwise(ranked[:4]) if _distinct(a, b))
    return names


def _distinct(first: str, second: str) -> bool:
    """``branch``/``branches`` or ``resolve``/``resolution`` say one thing twice."""
    return first[:5] != second[:5]


def _families(inv: Inventory, cluster: Sequence[str]) -> set[str]:
    """Words ending three or more class names (``LongLineRule``, ``TodoRule``...), and error types:
    a module of a family of classes is named in the plural (``rules``, ``errors``)."""
    last: dict[str, int] = {}
    for unit_id in cluster:
        words = tokens(unit_id)
        if inv.unit(unit_id).kind == "class" and words:
            last[words[-1]] = last.get(words[-1], 0) + 1
    return {word for word, count in last.items() if count >= 3 or word in _FAMILIES}


def _plural(token: str) -> str:
    return token if token.endswith("s") else token + "s"


def _class_leads(
    inv: Inventory, cluster: Sequence[str], dominant: str, ranked: list[str], families: set[str]
) -> bool:
    """A big class names its module when its words lead or it is half the module -- unless it is
    one of a family (then the family's plural does)."""
    words = tokens(dominant)
    if words and words[-1] in families:
        return False
    return not ranked or ranked[0] in words or _share(inv, cluster, dominant) >= 0.5


def _share(inv: Inventory, cluster: Sequence[str], unit_id: str) -> float:
    return inv.unit(unit_id).lines / (sum(inv.unit(unit).lines for unit in cluster) or 1)


def _dominant_class(inv: Inventory, cluster: Sequence[str]) -> str | None:
    total = sum(inv.unit(unit_id).lines for unit_id in cluster) or 1
    classes = [inv.unit(unit_id) for unit_id in cluster if inv.unit(unit_id).kind == "class"]
    if not classes:
        return None
    biggest = max(classes, key=lambda unit: (unit.lines, -unit.first_line))
    return biggest.id if biggest.lines / total >= _CLASS_SHARE else None


def _pick(candidates: list[str], taken: set[str]) -> str:
    for name in candidates:
        if is_legal(name, taken):
            return name
    base = candidates[0] if candidates and _IDENTIFIER.match(candidates[0]) else "part"
    number = 2
    while not is_legal(f"{base}_{number}", taken):
        number += 1
    return f"{base}_{number}"


def snake_case(name: str) -> str:
    """``BranchManager`` -> ``branch_manager``; ``HTTPServer2`` -> ``http_server_2``."""
    words = tokens(name)
    return "_".join(words) if words else name.lower()


def pick_name(preferred: Sequence[str], taken: set[str]) -> str:
    """The first legal free name of ``preferred`` (then numbered), added to ``taken``."""
    name = _pick(list(preferred), taken)
    taken.add(name)
    return name

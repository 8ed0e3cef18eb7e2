"""Cumulative import cost per project module: what ``import module`` loads of the externals.

Each external module gets a bit; a component's closure is the OR of its members' bits and its
successors' closures (reverse topological order over the component DAG, so linear in the graph). A
module's total adds its ancestors' closures (``import a.b`` runs ``a``). Within one top-level name the
dearest module counts (``numpy.linalg`` includes ``numpy``); across names figures add up, which
over-counts shared dependencies a little: an estimate, labelled so in the docs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from codeopt.analysis.import_cost import estimate_import_cost, load_estimates
from codeopt.analysis.imports import ancestors

COST_TOP = 3  # heaviest externals listed per module

_Cost = tuple[float, tuple[tuple[str, float], ...]]  # total ms, the heaviest (module, ms)


class ImportCosts:
    """Cumulative external cost per module over the import-time closure, on the component DAG."""

    def __init__(
        self,
        names: Sequence[str],
        adj: Mapping[str, Sequence[str]],
        sccs: Sequence[tuple[str, ...]],
        imports: Iterable[tuple[str, str]],
        overrides: Mapping[str, float],
    ) -> None:
        """``adj``: import-time edges; ``imports``: (project module, external module) of its
        import-time imports; ``overrides``: module -> measured ms, beating the estimates."""
        bit_of, own = _external_bits(imports)
        self.externals = list(bit_of)
        self.ms = _prices(self.externals, overrides)
        component, members = _components(names, sccs)
        closure: dict[str, int] = {}
        for comp in _reverse_topological(members, adj, component):
            closure[comp] = _closure(members[comp], own, adj, component, closure)
        self.closure = {name: closure[component[name]] for name in names}
        self.memo: dict[int, _Cost] = {}

    def total(self, name: str) -> _Cost:
        bits = self.closure[name]
        for parent in ancestors(name):
            bits |= self.closure.get(parent, 0)
        if bits not in self.memo:
            self.memo[bits] = self._price(bits)
        return self.memo[bits]

    def _price(self, bits: int) -> _Cost:
        dearest: dict[str, tuple[float, str]] = {}
        index = 0
        while bits:
            if bits & 1:
                module = self.externals[index]
                top = module.partition(".")[0]
                candidate = (self.ms[index], module)
                if top not in dearest or candidate[0] > dearest[top][0]:
                    dearest[top] = candidate
            bits >>= 1
            index += 1
        ranked = sorted(dearest.values(), key=lambda c: (-c[0], c[1]))
        total = round(float(sum(ms for ms, _ in ranked)), 3)
        return total, tuple((module, ms) for ms, module in ranked[:COST_TOP])


def _external_bits(imports: Iterable[tuple[str, str]]) -> tuple[dict[str, int], dict[str, int]]:
    """(external module -> its bit, in order of first import; project module -> its own bits)."""
    bit_of: dict[str, int] = {}
    own: dict[str, int] = defaultdict(int)
    for source, module in imports:
        bit = bit_of.setdefault(module, len(bit_of))
        own[source] |= 1 << bit
    return bit_of, own


def _prices(externals: Sequence[str], overrides: Mapping[str, float]) -> list[float]:
    table = None
    if overrides:  # measured figures stand in for their submodules too, like table entries
        table = {**load_estimates(), **{m: (ms, "given") for m, ms in overrides.items()}}
    return [estimate_import_cost(m, table).ms for m in externals]


def _components(
    names: Sequence[str], sccs: Sequence[tuple[str, ...]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(module -> its component's first member, component -> its members in ``names`` order)."""
    component = {name: name for name in names}
    for scc in sccs:
        for name in scc:
            component[name] = scc[0]
    members: dict[str, list[str]] = defaultdict(list)
    for name in names:
        members[component[name]].append(name)
    return component, members


def _closure(
    members: Sequence[str],
    own: Mapping[str, int],
    adj: Mapping[str, Sequence[str]],
    component: Mapping[str, str],
    done: Mapping[str, int],
) -> int:
    """The bits of a component: its members' own, and the closures of the components they import."""
    comp = component[members[0]]
    bits = 0
    for name in members:
        bits |= own.get(name, 0)
        for target in adj[name]:
            other = component[target]
            if other != comp:
                bits |= done[other]
    return bits


def _reverse_topological(
    members: Mapping[str, Sequence[str]], adj: Mapping[str, Sequence[str]], component: Mapping[str, str]
) -> list[str]:
    """Components, every one after all the components it reaches (iterative DFS post-order)."""
    succ = _successors(members, adj, component)
    order: list[str] = []
    done: set[str] = set()
    for root in sorted(members):
        if root not in done:
            _post_order(root, succ, done, order)
    return order


def _successors(
    members: Mapping[str, Sequence[str]], adj: Mapping[str, Sequence[str]], component: Mapping[str, str]
) -> dict[str, set[str]]:
    """The component DAG: component -> the other components its members import."""
    succ: dict[str, set[str]] = {comp: set() for comp in members}
    for comp, names in members.items():
        for name in names:
            for target in adj[name]:
                if component[target] != comp:
                    succ[comp].add(component[target])
    return succ


def _post_order(root: str, succ: Mapping[str, set[str]], done: set[str], order: list[str]) -> None:
    """Append the components reachable from ``root`` (not ``done`` yet) to ``order``, in post-order."""
    done.add(root)
    stack = [(root, iter(sorted(succ[root])))]
    while stack:
        comp, children = stack[-1]
        for child in children:
            if child not in done:
                done.add(child)
                stack.append((child, iter(sorted(succ[child]))))
                break
        else:
            stack.pop()
            order.append(comp)

"""CO101 monolithic-module: big, complex and made of parts that barely touch each other."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

from codeopt.analysis.model import Cohesion, FileAnalysis
from codeopt.rules.base import Finding, Invalid, Option, Rule, Severity, Valid
from codeopt_rules._text import basename, num

SEED = 0  # Louvain is randomised: a fixed seed gives the same groups on every run
# words that name no responsibility: never a group's label
_STOP = frozenset(
    {"get", "set", "has", "the", "and", "for", "from", "with", "make", "run", "new", "init", "main"}
    | {
        "helper",
        "helpers",
        "util",
        "utils",
        "default",
        "value",
        "data",
        "item",
        "items",
        "obj",
        "self",
        "cls",
    }
)


def _generated_monolith(groups: Sequence[str] = ("branch", "commit", "remote"), per_group: int = 45) -> str:
    """A module of ``len(groups)`` independent families of functions (~300 SLOC each)."""
    out = ['"""A generated monolith: three families of functions that never call each other."""', ""]
    for group in groups:
        out += [f"def {group}_base(value):", f"    return str(value).strip() or '{group}'", ""]
        for i in range(per_group):
            previous = f"{group}_step_{i - 1}" if i else f"{group}_base"
            out += [
                f"def {group}_step_{i}(value, limit={i}):",
                f"    result = {previous}(value)",
                "    if len(result) > limit:",
                "        result = result[:limit]",
                "    elif not result:",
                f"        result = {group}_base(limit)",
                "    return result",
                "",
            ]
    return "\n".join(out)


_TWO_PARTS = """\
def parse_header(text):
    name, _, value = text.partition(":")
    return normalize_name(name), value.strip()

def normalize_name(name):
    return name.strip().lower()

def parse_headers(lines):
    return dict(parse_header(line) for line in lines)

def render_row(cells):
    return " | ".join(pad_cell(cell) for cell in cells)

def pad_cell(cell):
    return str(cell).ljust(10)

def render_table(rows):
    return "\\n".join(render_row(row) for row in rows)
"""

_SMALL = {"min-sloc": 10, "min-cc-total": 1, "min-definitions": 1}


class MonolithicModule(Rule):
    id = "CO101"
    name = "monolithic-module"
    severity = Severity.WARNING
    summary = (
        "Finds modules that are large, complex and low in cohesion at once, and proposes the "
        "submodules to split them into."
    )
    why = (
        "A module that is long *and* complex *and* made of parts that do not use each other is "
        "several modules in one file: every change to one part reloads, re-reviews and re-tests "
        "the others, merge conflicts concentrate there, and importing any name imports all of it.\n\n"
        "Size alone is not the problem (a long table of constants is fine), nor is complexity "
        "alone; the signal is the three together. Cohesion is read from the graph of the module's "
        "top-level definitions (an edge when one uses the other or both use the same module "
        "variable): LCOM4, the number of its connected components, and Louvain communities "
        "(fixed seed, so the same groups come back on every run) with their modularity. A module "
        "is low in cohesion when at least two components, or at least two communities with a "
        "modularity of `min-modularity` or more, hold `min-group-size` definitions each. Those "
        "groups are the proposed submodules, named after their most distinctive identifiers."
    )
    use_instead = (
        "A package whose submodules follow the groups, with the old module kept as a facade that "
        "re-exports every public name, so existing imports keep working. `codeopt split PATH` "
        "plans it (an editable layout), applies it and verifies it: each submodule imports on its "
        "own, no import-time cycle appears, and the project's tests still pass."
    )
    fix_safety = (
        "`codeopt split` moves definitions verbatim and keeps the old import path working through "
        "a facade; it refuses modules that inspect themselves (`globals()`, `sys.modules[__name__]`, "
        "module `__getattr__`) and reports `mock.patch` targets and pickled class paths that change."
    )
    fix = "codeopt split PATH"
    options = (
        Option("min-sloc", 800, "Report modules with more source lines of code than this."),
        Option(
            "min-cc-total",
            100,
            "Complex enough: a cyclomatic complexity summed over the module of at least this...",
        ),
        Option("min-definitions", 40, "...or at least this many top-level definitions."),
        Option("min-group-size", 3, "Definitions a component or community needs to count as a group."),
        Option(
            "min-modularity",
            0.3,
            "Louvain modularity from which communities count as a split (0.3 is the usual mark of "
            "real community structure).",
        ),
    )
    VALID = (
        Valid(_TWO_PARTS),  # small: under every default threshold
        Valid(
            """
            def _clean(text):
                return text.strip().lower()

            def title(text):
                return _clean(text).title()

            def slug(text):
                return _clean(text).replace(" ", "-")

            def initials(text):
                return "".join(word[0] for word in _clean(text).split())

            def words(text):
                return _clean(text).split()
            """,
            options=_SMALL,
        ),  # cohesive: everything uses the same helper
    )
    INVALID = (
        Invalid(_TWO_PARTS, line=1, message="LCOM4 2", options=_SMALL),
        Invalid(_generated_monolith(), line=1, message="(SLOC 951 > 800)"),
    )

    def check_file(self, file: FileAnalysis) -> Iterator[Finding]:
        metrics = file.metrics
        sloc = metrics.raw.sloc
        if sloc <= self.option("min-sloc"):
            return
        if metrics.cc_total < self.option("min-cc-total") and metrics.definitions < self.option(
            "min-definitions"
        ):
            return
        cohesion = metrics.cohesion
        size: int = self.option("min-group-size")
        components = [c for c in cohesion.components if len(c) >= size]
        communities, modularity = louvain_groups(cohesion)
        groups = [g for g in communities if len(g) >= size]
        if len(components) < 2 and not (len(groups) >= 2 and modularity >= self.option("min-modularity")):
            return
        if len(groups) < 2:
            groups = components
        message = (
            f"{basename(file.path)}: {num(metrics.raw.loc)} lines (SLOC {num(sloc)} > "
            f"{num(self.option('min-sloc'))}), CC total {num(metrics.cc_total)}, "
            f"{metrics.definitions} definitions, LCOM4 {cohesion.lcom4}, "
            f"{len(groups)} groups (modularity {modularity:.2f})"
        )
        yield self.finding(
            file,
            1,
            message,
            _proposal(file, groups, cohesion),
            symbol=file.module or file.path,
            data={
                "sloc": sloc,
                "cc_total": metrics.cc_total,
                "lcom4": cohesion.lcom4,
                "modularity": round(modularity, 3),
                "groups": len(groups),
            },
        )


def louvain_groups(cohesion: Cohesion) -> tuple[list[tuple[str, ...]], float]:
    """Communities of the unit graph, largest first (names sorted inside), and their modularity."""
    import networkx as nx  # heavy: only modules that reach this point pay for it

    graph = nx.Graph()
    units = sorted({name for component in cohesion.components for name in component})
    graph.add_nodes_from(units)
    graph.add_edges_from(sorted(cohesion.edges))
    if graph.number_of_edges() == 0:
        return [tuple(sorted(c, key=_natural)) for c in cohesion.components], 0.0
    communities = nx.community.louvain_communities(graph, seed=SEED)
    modularity = float(nx.community.modularity(graph, communities))
    known = set(units)
    degree = dict(graph.degree())
    groups = [
        tuple(sorted((n for n in c if n in known), key=lambda n: (-degree[n], _natural(n))))
        for c in communities
    ]
    groups = [g for g in groups if g]
    groups.sort(key=lambda g: (-len(g), _natural(g[0])))
    return groups, modularity


def _natural(name: str) -> tuple[object, ...]:
    """``step_2`` before ``step_10``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def group_label(group: Sequence[str], others: Sequence[Sequence[str]]) -> str:
    """The group's most distinctive identifier word (frequent in it, rare elsewhere)."""
    mine = Counter(t for name in group for t in set(_tokens(name)))
    rest = Counter(t for other in others for name in other for t in set(_tokens(name)))
    scored = [(count / (1 + rest[token]), count, token) for token, count in mine.items() if count >= 2]
    if not scored:
        return group[0].strip("_")
    return max(scored, key=lambda s: (s[0], s[1], [-ord(c) for c in s[2]]))[2]


def _tokens(name: str) -> list[str]:
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    return [w.lower() for w in words if len(w) > 2 and w.lower() not in _STOP]


def _proposal(file: FileAnalysis, groups: Sequence[tuple[str, ...]], cohesion: Cohesion) -> str:
    shown = groups[:8]
    labels: list[str] = []
    parts = []
    for group in shown:
        label = group_label(group, [g for g in groups if g is not group])
        if label in labels:
            label = f"{label}_{len(labels) + 1}"
        labels.append(label)
        members = ", ".join(group[:5]) + (f", ... (+{len(group) - 5})" if len(group) > 5 else "")
        parts.append(f"{{{label}: {members}}}")
    grouped = sum(len(g) for g in groups)
    rest = cohesion.units - grouped
    more = f", and {len(groups) - len(shown)} smaller groups" if len(groups) > len(shown) else ""
    leftover = (
        f" The other {rest} definitions (small helpers, constants) go with their users"
        " or to a shared `_common` module."
        if rest > 0
        else ""
    )
    return (
        f"Split into {len(groups)} submodules: {', '.join(parts)}{more}.{leftover} "
        f"`codeopt split {file.path}` plans this split, keeps `{file.module or basename(file.path)}` "
        "importable as a facade, and verifies the result."
    )

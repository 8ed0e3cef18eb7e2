"""Text for people: the proposed layout as a tree, the metrics before/after, and the apply summary.

Sizes are the line counts of the files that would be written (what a reviewer will open), not of the
units alone, so the facade and the imports each submodule needs are counted too.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from codeopt.commands.split import Outcome, Phase, Proposal
from codeopt.split.metrics import SplitMetrics
from codeopt.split.plan import Plan, Submodule
from codeopt.split.units import Inventory

_WIDTH = 100
_LISTED = 12  # kept definitions named in the facade's line


def render_proposal(proposal: Proposal) -> str:
    """Tree, metrics and notes; the diff is printed apart (the CLI adds it unless told not to)."""
    location = proposal.location
    root = location.cwd
    lines = [
        f"{_rel(location.path, root)}: {_count(proposal.inventory.source)} lines, "
        f"{len(proposal.inventory.units)} units -> package {location.package_name} "
        f"({len(proposal.plan.submodules)} submodules)",
        "",
        *render_tree(proposal),
        "",
        *render_metrics(proposal.plan.before, proposal.plan.after),
    ]
    notes = (*proposal.notes, *_refusal_notes(proposal))
    if notes:
        lines += ["", "notes:", *(f"  - {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def _refusal_notes(proposal: Proposal) -> list[str]:
    return [f"--force overrides: line {r.line}: {r.reason}" for r in proposal.refusals]


def render_tree(proposal: Proposal) -> list[str]:
    """One line per file to be written, with its size and its definitions, folders indented like ``tree``;
    files outside the package (the old module forwarding to it after --to, importers rewritten with
    --rewrite-imports) are listed after it."""
    location = proposal.location
    package = location.package_dir
    homes = {
        package.joinpath(*sub.name.split(".")).with_suffix(".py"): sub for sub in proposal.plan.submodules
    }
    lines = [f"{_rel(package, location.cwd)}/"]
    outside = []
    seen_dirs: set[tuple[str, ...]] = set()
    for path in _written(proposal):
        if not path.is_relative_to(package):
            outside.append(path)
            continue
        parts = path.relative_to(package).parts
        for depth in range(1, len(parts)):
            if parts[:depth] not in seen_dirs:
                seen_dirs.add(parts[:depth])
                lines.append(f"{'  ' * depth}{parts[depth - 1]}/")
        lines += _entry(len(parts), parts[-1], _file_lines(proposal, path), _contents(proposal, path, homes))
    if outside:
        lines += ["", "outside the package:"]
        lines += [f"  {_rel(path, location.cwd)}{_outside_role(proposal, path)}" for path in outside]
    return lines


def _outside_role(proposal: Proposal, path: Path) -> str:
    if path == proposal.location.path:
        return f"  (the old module: importing it gives the package {proposal.location.package_name})"
    return "  (importer rewritten)"


def _written(proposal: Proposal) -> list[Path]:
    return [path for path in proposal.changes.paths() if proposal.changes.text(path) is not None]


def _contents(proposal: Proposal, path: Path, homes: dict[Path, Submodule]) -> str:
    package = proposal.location.package_dir
    if path in homes:
        return ", ".join(homes[path].units)
    if path == package / "__init__.py":
        return "facade: " + _facade_summary(proposal)
    if path == package / "__main__.py":
        return "the `if __name__ == '__main__':` block (python -m keeps working)"
    return "package" if path.name == "__init__.py" else ""


def _entry(depth: int, name: str, size: int, contents: str) -> list[str]:
    indent = "  " * depth
    head = f"{indent}{name:<{max(32 - len(indent), 1)}} {size:>6} lines"
    body = textwrap.wrap(
        contents, width=_WIDTH, initial_indent=indent + "    ", subsequent_indent=indent + "    "
    )
    return [head, *body] if contents else [head]


def _facade_summary(proposal: Proposal) -> str:
    """What stays: pinned statements by their reason, other kept definitions by name."""
    kept = set(proposal.plan.facade)
    units = [u for u in proposal.inventory.units if u.id in kept]
    pinned = sorted({u.pinned for u in units if u.pinned})
    stays = [u.id for u in units if not u.pinned and u.kind != "import"]
    parts = ["re-exports every name"]
    if pinned:
        parts.append("keeps the " + ", ".join(pinned))
    if stays:
        shown = ", ".join(stays[:_LISTED]) + (
            f" and {len(stays) - _LISTED} more" if len(stays) > _LISTED else ""
        )
        parts.append(f"and {len(stays)} definitions: {shown}")
    return "; ".join(parts)


def _file_lines(proposal: Proposal, path: Path) -> int:
    text = proposal.changes.text(path)
    return _count(text) if text is not None else 0


def _unit_lines(inventory: Inventory, unit_ids: tuple[str, ...]) -> int:
    return sum(inventory.unit(unit_id).lines for unit_id in unit_ids)


def render_metrics(before: SplitMetrics, after: SplitMetrics) -> list[str]:
    rows = [
        ("modules", str(before.modules), str(after.modules)),
        ("largest file (lines)", str(before.largest_lines), str(after.largest_lines)),
        ("LCOM4 (components)", str(before.lcom4), str(after.lcom4)),
        ("TurboMQ", _fixed(before.turbo_mq), _fixed(after.turbo_mq)),
        ("modularity Q", _fixed(before.modularity), _fixed(after.modularity)),
    ]
    for kind in sorted(set(before.cross_edges) | set(after.cross_edges)):
        rows.append(
            (
                f"cross-module edges: {kind}",
                str(before.cross_edges.get(kind, 0)),
                str(after.cross_edges.get(kind, 0)),
            )
        )
    out = [f"{'metric':<34} {'before':>8} {'after':>8}"]
    out += [f"{name:<34} {old:>8} {new:>8}" for name, old, new in rows]
    return out


def render_outcome(outcome: Outcome) -> str:
    """What was written, what the suite said before and after, the metrics and each phase's time."""
    proposal = outcome.proposal
    root = proposal.location.cwd
    lines = [
        f"split {proposal.location.module_name} into {proposal.location.package_name} "
        f"({len(proposal.plan.submodules)} submodules): "
        f"{len(outcome.written)} files written, {len(outcome.deleted)} removed"
    ]
    lines += [f"  wrote   {_rel(path, root)}" for path in outcome.written]
    lines += [f"  removed {_rel(path, root)}" for path in outcome.deleted]
    if outcome.before is not None and outcome.after is not None:
        counted = outcome.after.collected >= 0
        lines.append(
            f"verify: `{outcome.after.command}` green before and after"
            + (f", {outcome.after.collected} tests collected both times" if counted else " (no test summary)")
        )
    lines += ["", *render_metrics(proposal.plan.before, proposal.plan.after)]
    if outcome.notes:
        lines += ["", "notes:", *(f"  - {note}" for note in outcome.notes)]
    lines += ["", render_phases((*proposal.phases, *outcome.phases))]
    return "\n".join(lines) + "\n"


def render_phases(phases: tuple[Phase, ...]) -> str:
    parts = ", ".join(f"{phase.name} {phase.seconds:.2f}s" for phase in phases)
    total = sum(phase.seconds for phase in phases)
    return f"time: {parts}; total {total:.2f}s"


def render_nothing(proposal: Proposal) -> str:
    """One line: why there is nothing to do (the planner's own reason when it gave one)."""
    reasons = [note for note in proposal.plan.notes if note.startswith("nothing to split")]
    reason = reasons[-1] if reasons else "nothing to split: no change to make"
    return f"{_rel(proposal.location.path, proposal.location.cwd)}: {reason}\n"


def describe_plan(plan: Plan) -> str:
    return ", ".join(f"{s.name} ({len(s.units)})" for s in plan.submodules)


def _fixed(value: float) -> str:
    return f"{round(value, 2) + 0.0:.2f}"  # + 0.0: no "-0.00"


def _count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _rel(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return str(path)

"""What each new file needs from elsewhere: copied imports, sibling names, state, facade names.

Every reference a unit makes to a module-level name is sorted here by where that name now lives: the
same file (nothing to do), an import statement of the old module (copy that import, only the names
used), another submodule (a link, decided in :mod:`codeopt.split.emit_links`), module state owned by
another submodule (always read as ``owner.NAME``), or a unit that stays in the facade (imported inside
the function, since the facade is still executing when submodules load).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from codeopt.errors import TransformError
from codeopt.split.emit_links import Need
from codeopt.split.emit_model import FACADE, IMPORT, MAIN, EmitContext
from codeopt.split.emit_scope import ANNOTATION, IMPORT_TIME, Ref
from codeopt.split.unit_model import Unit


@dataclass
class _Pair:
    import_time: set[str] = field(default_factory=set)
    call_time: set[str] = field(default_factory=set)
    annotation: set[str] = field(default_factory=set)
    state: set[str] = field(default_factory=set)
    state_import_time: bool = False


@dataclass
class FileNeeds:
    """Everything one new file must import, and the references that may need rewriting."""

    key: str
    imports: dict[str, set[str]] = field(default_factory=dict)  # import unit id -> names used
    pairs: dict[str, _Pair] = field(default_factory=dict)  # target file -> what is needed from it
    sibling_refs: list[tuple[Ref, str]] = field(default_factory=list)  # (ref, target file)
    state_refs: list[tuple[Ref, str]] = field(default_factory=list)  # (ref, owner file)
    facade_refs: list[Ref] = field(default_factory=list)
    facade_state_refs: list[Ref] = field(default_factory=list)  # read/written as facade.NAME
    main_names: set[str] = field(default_factory=set)  # for __main__: names taken from the facade

    def pair(self, target: str) -> _Pair:
        return self.pairs.setdefault(target, _Pair())


def collect_needs(ctx: EmitContext, key: str) -> FileNeeds:
    needs = FileNeeds(key)
    for unit in ctx.units_in(key):
        for ref in ctx.scans[unit.id].refs:
            _classify(ctx, needs, unit.id, ref)
    _close_imports(ctx, needs)
    _add_star_imports(ctx, needs)
    return needs


def _classify(ctx: EmitContext, needs: FileNeeds, unit_id: str, ref: Ref) -> None:
    key = needs.key
    owner = ctx.attribute_owner(ref.name)
    if ref.in_string:
        _classify_string(ctx, needs, unit_id, ref)
    elif key == MAIN:
        if not ref.store:
            needs.main_names.add(ref.name)
    elif owner == FACADE:
        _facade_state(needs, unit_id, ref)
    elif owner is not None and owner != key:
        needs.state_refs.append((ref, owner))
        pair = needs.pair(owner)
        pair.state.add(ref.name)
        pair.state_import_time = pair.state_import_time or ref.when == IMPORT_TIME
    elif not ref.store:
        binder = ctx.binder(ref.name)
        if binder is not None and binder.id != unit_id and ctx.home[binder.id] != key:
            _classify_binder(ctx, needs, unit_id, ref, binder)


def _classify_string(ctx: EmitContext, needs: FileNeeds, unit_id: str, ref: Ref) -> None:
    """A name in a string annotation: imported for type checkers (under TYPE_CHECKING if need be)."""
    binder = ctx.binder(ref.name)
    if needs.key == MAIN or binder is None or binder.id == unit_id:
        return
    target = ctx.home[binder.id]
    if target == IMPORT:
        needs.imports.setdefault(binder.id, set()).add(ref.name)
    elif target in ctx.submodules and target != needs.key:
        _add_sibling(needs, ref, target)


def _facade_state(needs: FileNeeds, unit_id: str, ref: Ref) -> None:
    """State that stays in the facade: moved code reads and writes it as ``facade.NAME``."""
    if ref.when == IMPORT_TIME:
        raise TransformError(
            f"{unit_id} uses {ref.name} at import time (line {ref.line}), but {ref.name} stays in the facade"
        )
    needs.facade_state_refs.append(ref)


def _classify_binder(ctx: EmitContext, needs: FileNeeds, unit_id: str, ref: Ref, binder: Unit) -> None:
    """``ref`` reads a name bound by ``binder`` in another file: import, facade or sibling."""
    target = ctx.home[binder.id]
    if target == IMPORT:
        if _lazy(ref) and ctx.is_late(binder):
            needs.facade_refs.append(ref)  # the facade runs the late import where it always ran
        else:
            needs.imports.setdefault(binder.id, set()).add(ref.name)
    elif target == FACADE:
        if ref.when == IMPORT_TIME:
            raise TransformError(
                f"{unit_id} uses {ref.name} at import time (line {ref.line}), but {ref.name} stays in"
                " the facade"
            )
        needs.facade_refs.append(ref)
    elif target != MAIN:
        _add_sibling(needs, ref, target)


def _lazy(ref: Ref) -> bool:
    """Whether the use can take its name from an import inside the enclosing function."""
    return ref.when != IMPORT_TIME and ref.site is not None and not ref.site.one_liner


def _add_sibling(needs: FileNeeds, ref: Ref, target: str) -> None:
    pair = needs.pair(target)
    if ref.when == IMPORT_TIME:
        pair.import_time.add(ref.name)
    elif ref.when == ANNOTATION:
        pair.annotation.add(ref.name)
    else:
        pair.call_time.add(ref.name)
    needs.sibling_refs.append((ref, target))


def _close_imports(ctx: EmitContext, needs: FileNeeds) -> None:
    """Imports refer to names too (``if TYPE_CHECKING:``, ``if sys.version_info``): copy those as well."""
    pending = list(needs.imports)
    while pending:
        unit_id = pending.pop()
        for ref in ctx.scans[unit_id].refs:
            binder = ctx.binder(ref.name)
            if ref.store or binder is None or binder.id == unit_id:
                continue
            if ctx.home[binder.id] == IMPORT:
                if binder.id not in needs.imports:
                    pending.append(binder.id)
                needs.imports.setdefault(binder.id, set()).add(ref.name)
            elif ctx.home[binder.id] not in {needs.key, FACADE, MAIN}:
                _add_sibling(needs, ref, ctx.home[binder.id])


def _add_star_imports(ctx: EmitContext, needs: FileNeeds) -> None:
    """``from x import *`` binds names nobody can list: every file gets the star imports."""
    for unit_id in star_import_units(ctx):
        needs.imports.setdefault(unit_id, set())


def star_import_units(ctx: EmitContext) -> list[str]:
    found = []
    for unit in ctx.inv.units:
        if unit.kind != "import":
            continue
        for stmt in ctx.statements[unit.id]:
            names = getattr(stmt, "names", ())
            if any(getattr(alias, "name", "") == "*" for alias in names):
                found.append(unit.id)
                break
    return found


def to_needs(files: Iterable[FileNeeds]) -> list[Need]:
    result = []
    for file_needs in files:
        for target, pair in file_needs.pairs.items():
            result.append(
                Need(
                    file_needs.key,
                    target,
                    frozenset(pair.import_time),
                    frozenset(pair.call_time),
                    frozenset(pair.annotation),
                    frozenset(pair.state),
                    pair.state_import_time,
                )
            )
    return result

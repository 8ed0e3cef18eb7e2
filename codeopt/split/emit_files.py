"""Text of one new submodule: docstring, imports it needs, links to siblings, its units.

The old module's imports are copied trimmed to the names the submodule uses (verbatim when it uses them
all or when they are compound), its links to siblings follow :mod:`codeopt.split.emit_links`, and its
units are copied verbatim apart from the positioned edits described in :mod:`codeopt.split.emit_text`.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from functools import cached_property

from codeopt.errors import TransformError
from codeopt.split.emit_links import (
    FROM_IMPORT,
    LOCAL_IMPORT,
    MODULE_IMPORT,
    TYPE_CHECKING_IMPORT,
    Link,
    module_alias,
)
from codeopt.split.emit_model import FACADE, EmitContext
from codeopt.split.emit_needs import FileNeeds
from codeopt.split.emit_pieces import Piece, future_line, in_source_order, join_pieces, unit_pieces, unit_text
from codeopt.split.emit_scope import ANNOTATION, IMPORT_TIME, Ref
from codeopt.split.emit_text import Edit, Insert, char_col, global_edit, import_line
from codeopt.split.unit_model import Unit


class FileEmitter:
    """Builds one submodule's text from its needs and its links."""

    def __init__(self, ctx: EmitContext, needs: FileNeeds, links: Sequence[Link]) -> None:
        self.ctx = ctx
        self.needs = needs
        self.key = needs.key
        self.links = {link.target: link for link in links}
        self.units = ctx.units_in(self.key)

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Module-object names for the siblings read as ``alias.name``."""
        taken: set[str] = set(self.ctx.module_names) | self._identifiers()
        result: dict[str, str] = {}
        for target in sorted(self.links, key=self.ctx.files.index):
            link = self.links[target]
            if link.state or (link.mode == MODULE_IMPORT and link.names):
                alias = module_alias(target, taken)
                taken.add(alias)
                result[target] = alias
        if self.needs.facade_state_refs:
            result[FACADE] = module_alias(self.ctx.dotted(FACADE), taken)
        return result

    def _identifiers(self) -> set[str]:
        found: set[str] = set()
        for unit in self.units:
            for stmt in self.ctx.statements[unit.id]:
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Name):
                        found.add(node.id)
                    elif isinstance(node, ast.arg):
                        found.add(node.arg)
                    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                        found.add(node.name)
                    elif isinstance(node, ast.alias):
                        found.add((node.asname or node.name).split(".")[0])
        return found

    def text(self) -> str:
        doc = self.docstring()
        parts = [part for part in (future_line(self.ctx), self.import_block()) if part]
        head = "\n".join(parts)
        body = join_pieces(
            self.ctx, in_source_order(p for unit in self.units for p in self.render_unit(unit))
        )
        if head:
            return f"{doc}\n{head}\n\n{body}" if doc else f"{head}\n\n{body}"
        return f"{doc}\n\n{body}" if doc else body

    def docstring(self) -> str:
        """One line saying where the code came from (linters ask every module for a docstring)."""
        names = list(dict.fromkeys(name for unit in self.units for name in unit.names))
        origin = f"Split out of {self.ctx.dotted(FACADE)}"
        text = f"{origin}."
        for count in range(1, len(names) + 1):
            rest = len(names) - count
            candidate = f"{origin}: {', '.join(names[:count])}" + (f" and {rest} more." if rest else ".")
            if len(candidate) > 96 and count > 1:
                break
            text = candidate
        return f'"""{text}"""\n' if '"""' not in text and "\\" not in text else ""

    # imports ---------------------------------------------------------------------------------------

    def import_block(self) -> str:
        copied = [self.copied_import(uid) for uid in self._import_order()]
        typing_needed = bool(self._type_checking_names()) and "TYPE_CHECKING" not in self._copied_names()
        if typing_needed:
            copied.append(Piece("from typing import TYPE_CHECKING\n", None))
        siblings = [
            self.link_imports(self.links[target]) for target in sorted(self.links, key=self.ctx.files.index)
        ]
        if FACADE in self.aliases:
            siblings.insert(0, self.ctx.facade_import(self.key, self.aliases[FACADE]))
        block = join_pieces(self.ctx, copied)
        sibling_text = "".join(siblings)
        if sibling_text:
            block += ("\n" if block else "") + sibling_text
        checking = self._type_checking_block()
        if checking:
            block += ("\n" if block else "") + checking
        return block

    def _import_order(self) -> list[str]:
        return [unit.id for unit in self.ctx.inv.units if unit.id in self.needs.imports]

    def copied_import(self, unit_id: str) -> Piece:
        unit = self.ctx.inv.unit(unit_id)
        used = self.needs.imports[unit_id]
        trimmed = self._trimmed_import(unit, used)
        spans = self.ctx.spans[unit.id]
        text = trimmed if trimmed is not None else unit_text(self.ctx, unit, self.key)
        return Piece(text, unit, spans[0][0], spans[-1][1])

    def _trimmed_import(self, unit: Unit, used: set[str]) -> str | None:
        """A one-statement import reduced to the names used; None to copy the unit verbatim."""
        statements = self.ctx.statements[unit.id]
        if len(statements) != 1 or not used or set(unit.names) <= used:
            return None
        stmt = statements[0]
        if isinstance(stmt, ast.Import):
            return _trimmed_plain_import(stmt, used)
        if isinstance(stmt, ast.ImportFrom):
            return self._trimmed_from_import(stmt, used)
        return None

    def _trimmed_from_import(self, stmt: ast.ImportFrom, used: set[str]) -> str:
        kept = [alias for alias in stmt.names if (alias.asname or alias.name) in used]
        level = stmt.level + self.ctx.shift(self.key) if stmt.level else 0
        return import_line("." * level, stmt.module or "", [(alias.name, alias.asname) for alias in kept])

    def _copied_names(self) -> set[str]:
        names: set[str] = set()
        for unit_id, used in self.needs.imports.items():
            unit = self.ctx.inv.unit(unit_id)
            names.update(used if self._trimmed_import(unit, used) is not None else unit.names)
        return names

    def link_imports(self, link: Link) -> str:
        text = ""
        if link.mode == FROM_IMPORT:
            names = sorted({*link.names, *link.annotation_only})
            text += import_line(
                "", self.ctx.relative(self.key, link.target), [(name, None) for name in names]
            )
        if link.target in self.aliases and link.mode != LOCAL_IMPORT:
            text += self._module_import(link.target)
        return text

    def _module_import(self, target: str, indent: str = "") -> str:
        parent, last = self.ctx.relative_parent(self.key, target)
        alias = self.aliases[target]
        suffix = f" as {alias}" if alias != last else ""
        return f"{indent}from {parent} import {last}{suffix}\n"

    def _type_checking_names(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for target, link in self.links.items():
            if link.mode != FROM_IMPORT and link.annotation_only:
                found[target] = list(link.annotation_only)
            if link.mode == TYPE_CHECKING_IMPORT:
                found[target] = list(link.annotation_only)
        return found

    def _type_checking_block(self) -> str:
        names = self._type_checking_names()
        if not names:
            return ""
        lines = "".join(
            "    "
            + import_line(
                "", self.ctx.relative(self.key, target), [(name, None) for name in names[target]]
            ).replace("\n    ", "\n        ")
            for target in sorted(names, key=self.ctx.files.index)
        )
        return "if TYPE_CHECKING:\n" + lines.replace("\n)", "\n    )")

    def bound_names(self) -> set[str]:
        """Module-level names this file binds at run time (the facade forwards writes to them)."""
        names = {name for unit in self.units for name in unit.names}
        names |= self._copied_names()
        for link in self.links.values():
            if link.mode == FROM_IMPORT:
                names |= {*link.names, *link.annotation_only}
        return names

    # units -----------------------------------------------------------------------------------------

    def render_unit(self, unit: Unit) -> list[Piece]:
        edits: list[Edit] = []
        inserts: dict[tuple[int, str], set[str]] = {}
        for ref, owner in self.needs.state_refs:
            if self._in_unit(ref, unit):
                edits.append(self._attribute_edit(ref, self.aliases[owner]))
                if self.links[owner].mode == LOCAL_IMPORT:
                    self._insert(inserts, ref, self._module_import(owner).strip())
        for ref in self.needs.facade_state_refs:
            if self._in_unit(ref, unit):
                edits.append(self._attribute_edit(ref, self.aliases[FACADE]))
        for ref, target in self.needs.sibling_refs:
            if self._in_unit(ref, unit) and ref.when != ANNOTATION:
                self._sibling_edit(ref, target, edits, inserts)
        for ref in self.needs.facade_refs:
            if self._in_unit(ref, unit):
                self._insert(inserts, ref, f"from {self.ctx.dots(self.key)} import {ref.name}")
        edits.extend(self._global_edits(unit))
        rendered_inserts = [
            Insert(line, f"{indent}{text}\n") for (line, indent), texts in inserts.items() for text in texts
        ]
        return unit_pieces(self.ctx, unit, self.key, edits, rendered_inserts)

    def _sibling_edit(
        self, ref: Ref, target: str, edits: list[Edit], inserts: dict[tuple[int, str], set[str]]
    ) -> None:
        link = self.links[target]
        if link.mode == MODULE_IMPORT:
            edits.append(self._attribute_edit(ref, self.aliases[target]))
        elif link.mode == LOCAL_IMPORT:
            self._insert(inserts, ref, f"from {self.ctx.relative(self.key, target)} import {ref.name}")

    def _insert(self, inserts: dict[tuple[int, str], set[str]], ref: Ref, text: str) -> None:
        site = ref.site
        if site is None or site.one_liner or ref.when == IMPORT_TIME:
            raise TransformError(
                f"line {ref.line}: {ref.name} must be imported where it is used, but there is no function"
                " body to put the import in; place both definitions in the same submodule"
            )
        inserts.setdefault((site.line, site.indent_text), set()).add(text)

    def _attribute_edit(self, ref: Ref, alias: str) -> Edit:
        text = self.ctx.lines[ref.line - 1]
        return Edit(ref.line, char_col(text, ref.col), char_col(text, ref.end_col), f"{alias}.{ref.name}")

    def _in_unit(self, ref: Ref, unit: Unit) -> bool:
        return self.ctx.contains(unit, ref.line)

    def _global_edits(self, unit: Unit) -> list[Edit]:
        return global_edits(self.ctx, unit, self.key)


def global_edits(ctx: EmitContext, unit: Unit, key: str) -> list[Edit]:
    """``global NAME`` dropped for state another file owns (the code writes ``owner.NAME`` instead)."""
    edits = []
    for decl in ctx.scans[unit.id].globals:
        foreign = [name for name in decl.names if ctx.state.get(name, key) != key]
        if not foreign:
            continue
        if decl.end_line != decl.line:
            raise TransformError(f"line {decl.line}: a `global` statement over several lines")
        keep = [name for name in decl.names if name not in foreign]
        edits.append(global_edit(ctx.lines, decl.line, decl.col, decl.end_col, keep))
    return edits


def _trimmed_plain_import(stmt: ast.Import, used: set[str]) -> str:
    kept = [alias for alias in stmt.names if (alias.asname or alias.name.split(".")[0]) in used]
    return "import " + ", ".join(_alias_text(alias) for alias in kept) + "\n"


def _alias_text(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name

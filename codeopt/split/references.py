"""Who in the project depends on the module being split, and how (importers, patch targets, reprs).

The facade must keep working for everything the project takes from the old path: names imported by
name (private ones included, pitfall 2), star imports, attribute uses through an imported module object
(``mod.helper``, ``getattr(mod, "helper")``) and patch targets (``mock.patch("pkg.mod.helper")``,
``patch.object(mod, "helper")``, ``monkeypatch.setattr(...)``, pitfall 1). Code comparing ``__module__``
or repr strings against the old path is listed too: it is what ``--keep-module-names`` is for (pitfall 4).

Files are pre-filtered by a plain text search for the module's last name component before parsing, so
a large project costs one read per file and a parse only for the few that can refer to the module.
``rewrite_importers`` (``--rewrite-imports``) points ``from pkg.mod import X`` statements at X's new
home with LibCST, keeping aliases, comments and formatting of everything else. Patch strings are left
alone on purpose: a name imported by several submodules has one binding per submodule, so patching
it at its new home would miss the others, while the facade forwards a patch of the old path to all.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from codeopt.split.plan import Plan
    from codeopt.split.unit_model import Inventory

_SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".tox", ".nox", ".venv", "venv", "env", "node_modules", "__pycache__", "build", "dist",
     "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".codeopt_cache", ".eggs"}
)  # fmt: skip


@dataclass(frozen=True)
class ImportRef:
    """One import statement taking something from the module (``level`` > 0: relative)."""

    path: Path
    line: int
    kind: str  # "import" (the module object), "from" (names), "star"
    level: int
    written: str  # the module as written in the statement ("pkg.mod", "mod", "pkg")
    names: tuple[tuple[str, str | None], ...]  # (name, alias) for "from" imports


@dataclass(frozen=True)
class PatchTarget:
    """A patch of a name on the module (``name`` is the module-level name patched)."""

    path: Path
    line: int
    style: str  # "mock.patch" | "patch.object" | "monkeypatch.setattr" | "monkeypatch.delattr"
    target: str  # the dotted target string, or "<object>.name" for object-style patches
    name: str


@dataclass(frozen=True)
class References:
    """Everything found across the project."""

    project_root: Path
    module_name: str
    importers: tuple[ImportRef, ...]
    used_names: frozenset[str]  # names taken from the module by name or attribute (the facade re-exports all)
    star_importers: tuple[Path, ...]
    patch_targets: tuple[PatchTarget, ...]
    module_path_uses: tuple[tuple[Path, int, str], ...]  # (path, line, what): `__module__`, repr strings
    files_scanned: int
    files_parsed: int

    @property
    def patched_names(self) -> frozenset[str]:
        return frozenset(target.name for target in self.patch_targets)

    @property
    def suggests_keep_module_names(self) -> bool:
        """Project code compares ``__module__`` or reprs with the old path, or its test configuration runs
        doctests per file: split with keep_module_names."""
        return bool(self.module_path_uses)


def project_references(project_root: Path, module_name: str, skip: Iterable[Path] = ()) -> References:
    """Scan every ``.py`` file under ``project_root`` (except ``skip`` and the module itself)."""
    last = module_name.rsplit(".", 1)[-1]
    skipped = {path.resolve() for path in skip}
    found = _Found()
    scanned = parsed = 0
    for path in _python_files(project_root):
        if path.resolve() in skipped:
            continue
        scanned += 1
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if last not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        parsed += 1
        _FileScan(path, _dotted_package(path, project_root), module_name, found).scan(tree)
    found.module_paths.extend(_doctest_module_configs(project_root))
    return References(
        project_root=project_root,
        module_name=module_name,
        importers=tuple(sorted(found.importers, key=lambda ref: (str(ref.path), ref.line))),
        used_names=frozenset(found.used),
        star_importers=tuple(dict.fromkeys(ref.path for ref in found.importers if ref.kind == "star")),
        patch_targets=tuple(sorted(found.patches, key=lambda patch: (str(patch.path), patch.line))),
        module_path_uses=tuple(sorted(found.module_paths, key=lambda use: (str(use[0]), use[1]))),
        files_scanned=scanned,
        files_parsed=parsed,
    )


_TEST_CONFIGS = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "noxfile.py", "Makefile")


def _doctest_module_configs(root: Path) -> list[tuple[Path, int, str]]:
    """Where the project runs pytest with ``--doctest-modules``. Pytest then collects a moved doctest
    from its new file *and* (through the facade's ``__test__``) from the old module, unless the moved
    objects keep ``__module__`` at the old path, so this decides keep_module_names as well."""
    configs = [root / name for name in _TEST_CONFIGS]
    configs += sorted((root / ".github" / "workflows").glob("*.y*ml"))
    found = []
    for config in configs:
        try:
            lines = config.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if "--doctest-modules" in line:
                found.append((config, number, "runs doctests per file (--doctest-modules)"))
                break
    return found


def _python_files(root: Path) -> Iterator[Path]:
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(directory) / name


def _dotted_package(path: Path, root: Path) -> list[str]:
    """The package a file belongs to, found by walking up while ``__init__.py`` exists."""
    parts: list[str] = []
    directory = path.parent
    while (directory / "__init__.py").exists() and directory != root.parent:
        parts.insert(0, directory.name)
        directory = directory.parent
    return parts


@dataclass
class _Found:
    importers: list[ImportRef] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    patches: list[PatchTarget] = field(default_factory=list)
    module_paths: list[tuple[Path, int, str]] = field(default_factory=list)


_PATCH_CALLS = frozenset({"patch"})
_SETATTR_CALLS = {"setattr": "monkeypatch.setattr", "delattr": "monkeypatch.delattr"}


class _FileScan:
    """One file: imports of the module, aliases bound to it, attribute uses, patches."""

    def __init__(self, path: Path, package: list[str], module_name: str, found: _Found) -> None:
        self.path = path
        self.package = package
        self.module = module_name
        self.parent, _, self.last = module_name.rpartition(".")
        self.found = found
        self.aliases: set[str] = set()  # names bound to the module object
        self.dotted_aliases: set[str] = set()  # "pkg.mod" reachable through `import pkg.mod`

    def scan(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self._import(node)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                self._attribute(node)
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                self._string(node)

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == self.module or alias.name.startswith(self.module + "."):
                self.found.importers.append(ImportRef(self.path, node.lineno, "import", 0, alias.name, ()))
                if alias.asname and alias.name == self.module:
                    self.aliases.add(alias.asname)
                elif not alias.asname:
                    self.dotted_aliases.add(self.module)

    def _resolve(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = (
            self.package[: len(self.package) - (node.level - 1)]
            if node.level - 1 <= len(self.package)
            else []
        )
        return ".".join([*base, *([node.module] if node.module else [])])

    def _import_from(self, node: ast.ImportFrom) -> None:
        resolved = self._resolve(node)
        written = node.module or ""
        if resolved == self.module:
            star = any(alias.name == "*" for alias in node.names)
            names = tuple((alias.name, alias.asname) for alias in node.names if alias.name != "*")
            kind = "star" if star else "from"
            self.found.importers.append(ImportRef(self.path, node.lineno, kind, node.level, written, names))
            self.found.used.update(name for name, _ in names)
        elif resolved == self.parent or (not self.parent and not resolved):
            for alias in node.names:
                if alias.name == self.last:
                    self.aliases.add(alias.asname or alias.name)
                    self.found.importers.append(
                        ImportRef(self.path, node.lineno, "import", node.level, written, ())
                    )

    def _is_module(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.aliases
        return bool(self.dotted_aliases) and _dotted(node) == self.module

    def _attribute(self, node: ast.Attribute) -> None:
        if self._is_module(node.value):
            self.found.used.add(node.attr)
        if node.attr == "__module__":
            self.found.module_paths.append((self.path, node.lineno, "__module__"))

    def _call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        args = node.args
        if not args:
            return
        if name == "getattr" and len(args) >= 2 and self._is_module(args[0]):
            self._add_used(args[1])
        elif name in _PATCH_CALLS:
            self._patch_string(node, args[0], "mock.patch")
        elif isinstance(func, ast.Attribute):
            self._method_call(node, func, name)

    def _method_call(self, node: ast.Call, func: ast.Attribute, name: str) -> None:
        """``patch.object(mod, "x")``, ``monkeypatch.setattr(mod, "x", v)`` / ``("pkg.mod.x", v)``."""
        args = node.args
        on_module = len(args) >= 2 and self._is_module(args[0])
        if name == "object" and _dotted(func.value).endswith("patch") and on_module:
            self._patch_object(node, args[1], "patch.object")
        elif name in _SETATTR_CALLS and on_module:
            self._patch_object(node, args[1], _SETATTR_CALLS[name])
        elif name in _SETATTR_CALLS:
            self._patch_string(node, args[0], _SETATTR_CALLS[name])

    def _add_used(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.found.used.add(node.value)

    def _patch_string(self, call: ast.Call, arg: ast.expr, style: str) -> None:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return
        prefix = self.module + "."
        if arg.value.startswith(prefix):
            name = arg.value[len(prefix) :].split(".")[0]
            self.found.patches.append(PatchTarget(self.path, call.lineno, style, arg.value, name))
            self.found.used.add(name)

    def _patch_object(self, call: ast.Call, arg: ast.expr, style: str) -> None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            target = f"{self.module}.{arg.value}"
            self.found.patches.append(PatchTarget(self.path, call.lineno, style, target, arg.value))
            self.found.used.add(arg.value)

    def _string(self, node: ast.Constant) -> None:
        text = str(node.value)
        for marker in (
            f"<class '{self.module}.",
            f"<function {self.module}.",
            f"'{self.module}.",
            f'"{self.module}.',
        ):
            if marker in text:
                self.found.module_paths.append((self.path, node.lineno, "repr string"))
                return


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.insert(0, node.id)
        return ".".join(parts)
    return ""


# --rewrite-imports ----------------------------------------------------------------------------------


def name_homes(plan: Plan, inv: Inventory | None = None) -> dict[str, str]:
    """Module-level name -> the submodule it moves to (names staying in the facade are absent)."""
    homes: dict[str, str] = {}
    for submodule in plan.submodules:
        for unit_id in submodule.units:
            names: Sequence[str] = inv.unit(unit_id).names if inv is not None else (unit_id,)
            for name in names:
                homes[name] = submodule.name
    return homes


def rewrite_importers(refs: References, plan: Plan, inv: Inventory | None = None) -> dict[Path, str]:
    """New text of every file whose ``from <module> import ...`` names moved; unchanged files are absent."""
    homes = name_homes(plan, inv)
    by_path: dict[Path, list[ImportRef]] = {}
    for ref in refs.importers:
        if ref.kind == "from" and any(name in homes for name, _ in ref.names):
            by_path.setdefault(ref.path, []).append(ref)
    changed: dict[Path, str] = {}
    for path, imports in sorted(by_path.items()):
        text = path.read_text(encoding="utf-8")
        wanted = {(ref.level, ref.written) for ref in imports}
        new = cst.parse_module(text).visit(_RetargetImports(wanted, homes)).code
        if new != text:
            changed[path] = new
    return changed


class _RetargetImports(cst.CSTTransformer):
    """``from pkg.mod import a, b`` -> ``from pkg.mod.x import a`` / ``from pkg.mod.y import b``."""

    def __init__(self, wanted: set[tuple[int, str]], homes: Mapping[str, str]) -> None:
        super().__init__()
        self.wanted = wanted
        self.homes = homes

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        if len(updated_node.body) != 1 or not isinstance(updated_node.body[0], cst.ImportFrom):
            return updated_node
        node = updated_node.body[0]
        if (
            isinstance(node.names, cst.ImportStar)
            or (len(node.relative), _module_text(node)) not in self.wanted
        ):
            return updated_node
        groups: dict[str, list[cst.ImportAlias]] = {}
        for alias in node.names:
            name = _module_text_of(alias.name)
            groups.setdefault(self.homes.get(name, ""), []).append(
                alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            )
        if set(groups) == {""}:
            return updated_node
        lines = []
        for home in sorted(groups, key=lambda key: (key != "", key)):
            module = _module_text(node) + (f".{home}" if home else "") if node.module is not None else home
            statement = node.with_changes(
                module=cst.parse_expression(module) if module else None,
                names=groups[home],
            )
            lines.append(
                updated_node.with_changes(
                    body=[statement], leading_lines=(), trailing_whitespace=cst.TrailingWhitespace()
                )
            )
        lines[0] = lines[0].with_changes(
            leading_lines=updated_node.leading_lines, trailing_whitespace=updated_node.trailing_whitespace
        )
        return cst.FlattenSentinel(lines)


def _module_text(node: cst.ImportFrom) -> str:
    return _module_text_of(node.module) if node.module is not None else ""


def _module_text_of(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_module_text_of(node.value)}.{node.attr.value}"
    return ""

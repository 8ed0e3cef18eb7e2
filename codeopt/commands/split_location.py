"""Where a module lives: its dotted name, the folder that must be on ``sys.path`` to import it, and the
project root that verification commands run in.

The split needs all three: the dotted name to build the facade and the new submodule names, the import
root to check each new module in a fresh interpreter, and the project root to look for importers and to
run the user's test command from the same place every time (documented in docs/split.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from codeopt.errors import ConfigError
from codeopt.source.discovery import module_name

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


@dataclass(frozen=True)
class ModuleLocation:
    path: Path  # the module file, absolute
    module_name: str  # dotted: "gitkit.git_advanced"
    import_root: Path  # the folder holding the top-level package (src/ in a src layout)
    project_root: Path  # nearest folder with pyproject.toml / setup.py / .git, else the cwd
    is_package_init: bool  # MODULE_PATH was pkg/mod/__init__.py (possibly an earlier split's facade)
    cwd: Path  # where codeopt was run: paths shown to the user (and the diff's) are relative to it
    relocated: Path | None = None  # --to: where the module is split as if it lived there (pkg/parts.py)
    relocated_name: str = ""  # --to: its dotted name (pkg.parts)

    @property
    def package_dir(self) -> Path:
        """The folder the split creates (or, for an ``__init__.py``, already is)."""
        if self.relocated is not None:
            return self.relocated.with_suffix("")
        return self.path.parent if self.is_package_init else self.path.with_suffix("")

    @property
    def package_name(self) -> str:
        """The dotted name of the package the split creates (the facade)."""
        return self.relocated_name or self.module_name


def locate_module(path: Path, cwd: Path) -> ModuleLocation:
    """Resolve MODULE_PATH; a directory means its ``__init__.py``. Raises ConfigError for non-modules."""
    target = (cwd / path).resolve()
    if target.is_dir():
        target = target / "__init__.py"
    if not target.is_file():
        raise ConfigError("no such Python module", path)
    if target.suffix != ".py":
        raise ConfigError("not a .py file", path)
    dotted, is_init = module_name(target)
    if not dotted:
        raise ConfigError("the module name is not a valid dotted Python name", path)
    depth = dotted.count(".") + (1 if is_init else 0)
    import_root = target.parent
    for _ in range(depth):
        import_root = import_root.parent
    root = find_project_root(target.parent, cwd)
    return ModuleLocation(target, dotted, import_root, root, is_init, cwd.resolve())


def find_project_root(start: Path, cwd: Path) -> Path:
    """The nearest folder at or above ``start`` with a project marker; the cwd when there is none."""
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return cwd.resolve()


def relocate(location: ModuleLocation, dotted: str, relative_imports: bool) -> ModuleLocation:
    """``--to DOTTED``: build the package at another dotted path; the old module then forwards to it.

    Relative imports keep their meaning only inside the same parent package, so a module that has any
    may only move to a sibling name.
    """
    parts = dotted.split(".")
    if not all(part.isidentifier() for part in parts):
        raise ConfigError(f"--to {dotted}: not a dotted module name", location.path)
    parent = location.module_name.rpartition(".")[0]
    if relative_imports and dotted.rpartition(".")[0] != parent:
        where = f"{parent}.NAME" if parent else "a top-level NAME"
        raise ConfigError(
            f"--to {dotted}: the module uses relative imports, so its package must stay beside it ({where})",
            location.path,
        )
    target = location.import_root.joinpath(*parts[:-1], parts[-1] + ".py")
    for existing in (target, target.with_suffix("")):
        if existing.exists():
            raise ConfigError(f"--to {dotted}: {existing} already exists", location.path)
    if not target.parent.is_dir():
        raise ConfigError(f"--to {dotted}: the package {target.parent} does not exist", location.path)
    return replace(location, relocated=target, relocated_name=dotted)

"""``[tool.codeopt]`` in pyproject.toml: found upward from the target, typed, strict.

Tables are collected from the nearest ``pyproject.toml`` upward and merged, nearer files winning, until
a table says ``root = true`` (like EditorConfig), so a monorepo can keep shared settings at the top and
override them per project. Every key is checked: an unknown or mistyped key is a :class:`ConfigError`
naming the file and the key. Command-line flags override the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from codeopt.errors import ConfigError

DEFAULT_EXCLUDES = (
    ".git/",
    ".hg/",
    ".svn/",
    ".tox/",
    ".nox/",
    ".venv/",
    "venv/",
    "__pycache__/",
    "node_modules/",
    "build/",
    "dist/",
    "*.egg-info/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".pytest_cache/",
    ".codeopt_cache/",
    "site-packages/",
)

SEVERITIES = ("info", "warning", "error", "never")
FORMATS = ("text", "json", "sarif")


@dataclass(frozen=True)
class Settings:
    """Effective settings; field names are the config keys with ``-`` for ``_``."""

    root: bool = False
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, on top of the defaults
    extend_default_excludes: bool = True
    respect_gitignore: bool = True
    max_file_size: int = 5 * 1024 * 1024  # bytes
    file_timeout: float = 20.0  # seconds of analysis per file before it is skipped
    jobs: int = 0  # worker processes; 0 = one per core
    cache: bool = True
    cache_dir: str = ".codeopt_cache"
    select: tuple[str, ...] = ()  # rule id prefixes or names; empty = all
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rules: Mapping[str, Mapping[str, object]] = field(default_factory=dict)  # id or name -> options
    fail_on: str = "warning"
    baseline: str | None = None
    format: str = "text"
    # where the settings came from (not a config key)
    config_files: tuple[str, ...] = ()
    project_root: str = ""

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_KEYS = {
    f.name.replace("_", "-"): f.name
    for f in fields(Settings)
    if f.name not in ("config_files", "project_root")
}


def find_config_files(start: Path) -> list[tuple[Path, dict[str, Any]]]:
    """``[tool.codeopt]`` tables from the nearest pyproject.toml upward, nearest first."""
    here = start if start.is_dir() else start.parent
    here = here.resolve()
    found: list[tuple[Path, dict[str, Any]]] = []
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        try:
            if not candidate.is_file():
                continue
        except OSError:  # an unreadable folder on the way up has no config we could use
            continue
        table = _load_table(candidate)
        if table is None:
            continue
        found.append((candidate, table))
        if table.get("root") is True:
            break
    return found


def project_root_for(start: Path) -> Path:
    """The nearest folder upward holding a pyproject.toml, setup.py or .git; else the start folder."""
    here = (start if start.is_dir() else start.parent).resolve()
    for directory in (here, *here.parents):
        if any(_exists(directory / marker) for marker in ("pyproject.toml", "setup.py", "setup.cfg", ".git")):
            return directory
    return here


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def load_settings(start: Path, explicit: Path | None = None) -> Settings:
    """Merge the tables found upward from ``start`` (or read only ``explicit``)."""
    if explicit is not None:
        table = _load_table(explicit)
        layers = [(explicit, table or {})]
    else:
        layers = find_config_files(start)
    merged: dict[str, Any] = {}
    for path, table in reversed(layers):  # farthest first, nearest wins
        for key, value in table.items():
            merged[_check_key(path, key)] = (path, value)
    values: dict[str, Any] = {}
    for attr, (path, value) in merged.items():
        values[attr] = _coerce(path, attr, value)
    root = explicit.parent if explicit else (layers[0][0].parent if layers else project_root_for(start))
    return Settings(**values, config_files=tuple(str(p) for p, _ in layers), project_root=str(root))


def _load_table(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path) from None
    tool = data.get("tool", {})
    table = tool.get("codeopt") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError("[tool.codeopt] must be a table", path)
    return table


def _check_key(path: Path, key: str) -> str:
    if key not in _KEYS:
        close = [k for k in _KEYS if k.replace("-", "") == key.replace("-", "").replace("_", "")]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown key tool.codeopt.{key}{hint}", path)
    return _KEYS[key]


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# attr -> (accepts, what it must be, convert); one row per kind of value keeps checking declarative
_Check = tuple[Callable[[Any], bool], str, Callable[[Any], Any]]
_LISTS: _Check = (_strings, "a list of strings", tuple)
_CHECKS: dict[str, _Check] = {
    "exclude": _LISTS,
    "select": _LISTS,
    "ignore": _LISTS,
    "per_file_ignores": (
        lambda v: isinstance(v, dict) and all(_strings(i) for i in v.values()),
        'a table of glob = ["rule", ...]',
        lambda v: {k: tuple(i) for k, i in v.items()},
    ),
    "rules": (
        lambda v: isinstance(v, dict) and all(isinstance(i, dict) for i in v.values()),
        "a table of rule tables ([tool.codeopt.rules.CO101])",
        dict,
    ),
    "baseline": (lambda v: isinstance(v, str), "a path string", str),
    "fail_on": (lambda v: v in SEVERITIES, "one of " + ", ".join(SEVERITIES), str),
    "format": (lambda v: v in FORMATS, "one of " + ", ".join(FORMATS), str),
    "cache_dir": (lambda v: isinstance(v, str) and bool(v), "a folder name", str),
}
_BY_TYPE: dict[type, _Check] = {
    bool: (lambda v: isinstance(v, bool), "true or false", bool),
    int: (lambda v: _number(v) and isinstance(v, int) and v >= 0, "a non-negative integer", int),
    float: (lambda v: _number(v) and v > 0, "a positive number", float),
}


def _coerce(path: Path, attr: str, value: Any) -> Any:
    accepts, expected, convert = _CHECKS.get(attr) or _BY_TYPE[type(getattr(Settings(), attr))]
    if not accepts(value):
        raise ConfigError(f"tool.codeopt.{attr.replace('_', '-')} must be {expected}, got {value!r}", path)
    if attr == "baseline":
        return str(path.parent / value)  # relative to the file that names it
    return convert(value)

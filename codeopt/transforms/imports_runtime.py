"""Where rewritten code imports ``codeopt_runtime`` helpers from: the package, or a vendored copy.

Why vendoring: a rewritten project must keep working with the dependencies it declares. When its
``pyproject.toml`` does not list ``codeopt-runtime`` (or ``codeopt``), ``import codeopt_runtime`` would
fail in the user's environment, so the helper module is copied into the project's top-level package as
``<pkg>/_codeopt_<helper>.py`` (one self-contained file: a module inside a package is always shipped
with it, a new subpackage is not when ``packages=[...]`` is listed by hand). Re-running codeopt refreshes
the copy; the copy imports nothing but the standard library.
"""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.util import find_spec
from pathlib import Path

# Helpers whose module imports only the stdlib, ``.errors`` (inlined) and other vendorable helpers
# (``pooled`` imports ``.pool``: its copy imports the sibling copy).
VENDORABLE = ("lazy", "pool", "pooled")
_DEPENDENCY = re.compile(r"^\s*(codeopt|codeopt[-_]runtime)\s*(\[|[<>=!~;]|$)", re.IGNORECASE)
_ERRORS_IMPORT = re.compile(r"^from \.errors import [^\n]+\n", re.MULTILINE)
_SIBLING_IMPORT = re.compile(r"^from \.(" + "|".join(VENDORABLE) + r") import ", re.MULTILINE)


def vendored_module(package: str, helper: str) -> str:
    return f"{package}._codeopt_{helper}"


def vendored_path(package_root: Path, helper: str) -> Path:
    return package_root / f"_codeopt_{helper}.py"


def declares_runtime(start: Path) -> bool:
    """Whether the nearest ``pyproject.toml`` above ``start`` lists codeopt-runtime (or codeopt)."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return False
            project = data.get("project", {})
            dependencies = project.get("dependencies", []) if isinstance(project, dict) else []
            return any(isinstance(d, str) and _DEPENDENCY.match(d) for d in dependencies)
    return False


def runtime_mapping(package: str | None, mode: str, start: Path) -> tuple[tuple[str, str], ...]:
    """Helper -> module for files of ``package`` (a top-level package name; None for loose modules).

    ``mode`` is ``"package"`` (always ``codeopt_runtime.<helper>``), ``"vendor"`` (a copy in the
    package) or ``"auto"`` (vendor unless the project declares the dependency).
    """
    if package is None or mode == "package" or (mode == "auto" and declares_runtime(start)):
        return ()
    return tuple((helper, vendored_module(package, helper)) for helper in VENDORABLE)


def vendored_source(helper: str) -> str:
    """The self-contained text of ``codeopt_runtime.<helper>``: ``.errors`` inlined, a header on top."""
    if helper not in VENDORABLE:
        raise ValueError(f"codeopt_runtime.{helper} cannot be vendored")
    text = _runtime_text(helper)
    errors = _runtime_text("errors")
    header = (
        f"# Vendored by `codeopt optimize` from codeopt_runtime.{helper}: the helpers this package's\n"
        "# rewritten modules import. Generated; do not edit (re-run codeopt optimize to refresh it, or\n"
        "# depend on codeopt-runtime and run it with --runtime package).\n"
    )
    text = _SIBLING_IMPORT.sub(lambda match: f"from ._codeopt_{match.group(1)} import ", text)
    return header + _ERRORS_IMPORT.sub(lambda _: _error_classes(errors), text, count=1)


def _runtime_text(helper: str) -> str:
    spec = find_spec(f"codeopt_runtime.{helper}")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"codeopt_runtime.{helper} is not installed")
    return Path(spec.origin).read_text(encoding="utf-8")


def _error_classes(errors: str) -> str:
    """The class definitions of ``codeopt_runtime.errors`` (everything the helpers import from it)."""
    tree = ast.parse(errors)
    classes = [ast.get_source_segment(errors, node) for node in tree.body if isinstance(node, ast.ClassDef)]
    return "\n\n" + "\n\n\n".join(c for c in classes if c) + "\n"

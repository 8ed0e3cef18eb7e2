"""The rule contract: metadata, typed options, examples that double as tests, and findings.

A rule is one module in ``codeopt_rules`` (the repo's ``rules/`` folder) defining one subclass of
:class:`Rule`. Rules never parse: they read the :class:`~codeopt.analysis.model.FileAnalysis` and
:class:`~codeopt.analysis.project.ProjectAnalysis` built once per run, so adding a rule costs no
extra pass over the code.

Documentation (``docs/rules.md``) is generated from the class attributes; ruff's sections are kept:
What it does (``summary``), Why is this bad (``why``), Example (the first ``INVALID``), Use instead
(``use_instead``), Fix safety (``fix_safety``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from codeopt.errors import RuleError

if TYPE_CHECKING:
    from codeopt.analysis.model import FileAnalysis
    from codeopt.analysis.project import ProjectAnalysis


class Severity(str, Enum):
    """Ordered severities; SARIF levels are note / warning / error."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def sarif_level(self) -> str:
        return {"info": "note", "warning": "warning", "error": "error"}[self.value]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}

OptionValue = int | float | str | bool | tuple[str, ...]


@dataclass(frozen=True)
class Option:
    """A rule option: config key (kebab-case), default, and what it means."""

    name: str
    default: OptionValue
    description: str

    def coerce(self, value: object, where: str) -> OptionValue:
        """Check a configured value against the default's type; raise naming the key otherwise."""
        expected = type(self.default)
        if isinstance(self.default, tuple):
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return tuple(value)
        elif expected is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        elif isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
            return value
        shown = "a list of strings" if isinstance(self.default, tuple) else expected.__name__
        raise RuleError(f"{where}: option {self.name!r} must be {shown}, got {value!r}")


@dataclass(frozen=True)
class Valid:
    """Code on which the rule must report nothing (with these option overrides)."""

    code: str
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    path: str = "example.py"


@dataclass(frozen=True)
class Invalid:
    """Code on which the rule must report, at ``line`` when given, with ``message`` in its text."""

    code: str
    line: int | None = None
    message: str | None = None  # a substring the finding's message must contain
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    path: str = "example.py"


@dataclass(frozen=True)
class Finding:
    """One reported problem with a concrete proposal. Picklable; the JSON/SARIF row."""

    rule_id: str
    rule_name: str
    severity: Severity
    path: str  # posix, relative to the project root
    line: int
    message: str
    proposal: str  # what to do about it, concrete (names, lines, the command or code to use)
    column: int = 1
    end_line: int | None = None
    symbol: str = ""  # the module/function/class it is about; part of the fingerprint
    fix: str | None = None  # the codeopt command that fixes it, e.g. "codeopt split PATH"
    data: tuple[tuple[str, OptionValue | float], ...] = ()  # measured values behind the finding

    def fingerprint(self) -> str:
        """Stable across unrelated edits: rule, file and symbol, not the line number."""
        return f"{self.rule_id}:{self.path}:{self.symbol or self.line}"


_ID = re.compile(r"^CO[1-9]\d{2}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Rule:
    """Base class of every rule. Subclasses set the class attributes and override a ``check_*``."""

    id: ClassVar[str]
    name: ClassVar[str]  # kebab-case, stable
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # What it does: one sentence
    why: ClassVar[str]  # Why is this bad
    use_instead: ClassVar[str] = ""  # Use instead (prose or code)
    fix_safety: ClassVar[str] = ""  # Fix safety: what the fix may change
    fix: ClassVar[str | None] = None  # the codeopt command that fixes it, if any
    options: ClassVar[tuple[Option, ...]] = ()
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        given = dict(options or {})
        known = {o.name: o for o in self.options}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise RuleError(f"{self.id}: unknown option {unknown[0]!r} (known: {', '.join(known) or 'none'})")
        self.settings: dict[str, OptionValue] = {
            name: (opt.coerce(given[name], self.id) if name in given else opt.default)
            for name, opt in known.items()
        }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        for attr in ("id", "name", "severity", "summary", "why"):
            if not hasattr(cls, attr):
                raise RuleError(f"rule {cls.__qualname__} has no {attr!r}")
        if not _ID.match(cls.id):
            raise RuleError(f"rule {cls.__qualname__}: id {cls.id!r} is not like CO101")
        if not _NAME.match(cls.name):
            raise RuleError(f"rule {cls.id}: name {cls.name!r} is not kebab-case")
        if not cls.VALID or not cls.INVALID:
            raise RuleError(f"rule {cls.id}: needs at least one VALID and one INVALID example")

    def option(self, name: str) -> Any:
        return self.settings[name]

    # -- checking -------------------------------------------------------------------------------------
    def check_file(self, file: FileAnalysis) -> Iterable[Finding]:
        """Findings for one file. Default: none."""
        return ()

    def check_project(self, project: ProjectAnalysis) -> Iterator[Finding]:
        """Findings for the project. Default: ``check_file`` on every file."""
        for file in project.files:
            yield from self.check_file(file)

    def finding(
        self,
        file: FileAnalysis | str,
        line: int,
        message: str,
        proposal: str,
        *,
        symbol: str = "",
        column: int = 1,
        end_line: int | None = None,
        data: Mapping[str, OptionValue | float] | None = None,
        fix: str | None = None,
    ) -> Finding:
        path = file if isinstance(file, str) else file.path
        return Finding(
            rule_id=self.id,
            rule_name=self.name,
            severity=self.severity,
            path=path,
            line=max(line, 1),
            message=message,
            proposal=proposal,
            column=column,
            end_line=end_line,
            symbol=symbol,
            fix=fix if fix is not None else (self.fix.replace("PATH", path) if self.fix else None),
            data=tuple(sorted((data or {}).items())),
        )

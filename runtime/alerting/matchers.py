"""Label matchers as Alertmanager writes them: ``name="v"``, ``name!="v"``, ``name=~"re"``, ``name!~"re"``.

Routes, silences and inhibition rules all select alerts with them. As in Alertmanager, a missing
label matches as the empty string and regular expressions are fully anchored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import ConfigError

__all__ = ["Matcher", "MatcherSpec", "matchers_from", "matches_all", "parse_matchers"]

_OPS = ("=", "!=", "=~", "!~")
_ONE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,}"\s]*)\s*(?:,|\Z)')


@dataclass(frozen=True)
class Matcher:
    """One label condition; ``matches(labels)`` is what routes, silences and inhibitions ask."""

    name: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ConfigError(f"matcher operator must be one of {_OPS}, got {self.op!r}")
        if self.op in ("=~", "!~"):
            try:
                object.__setattr__(self, "_regex", re.compile(f"(?:{self.value})\\Z"))
            except re.error as exc:
                raise ConfigError(f"matcher {self.name}{self.op}{self.value!r}: bad regex: {exc}") from exc

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self._regex is not None:
            found = self._regex.match(actual) is not None
            return found if self.op == "=~" else not found
        return (actual == self.value) if self.op == "=" else (actual != self.value)

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


MatcherSpec = str | Mapping[str, str] | Iterable["Matcher | str"] | None


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """``'{severity="page", team=~"db|web"}'`` (braces and quotes optional) as matchers."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    out: list[Matcher] = []
    position = 0
    while position < len(body.rstrip()):
        found = _ONE.match(body, position)
        if found is None or found.end() == position:
            raise ConfigError(f"cannot parse matchers {text!r} at offset {position}")
        name, op, raw = found.groups()
        value = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\") if raw.startswith('"') else raw
        out.append(Matcher(name, op, value))
        position = found.end()
    return tuple(out)


def matchers_from(spec: MatcherSpec) -> tuple[Matcher, ...]:
    """Matchers from a string, an equality mapping, or an iterable of matchers/strings."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        return parse_matchers(spec)
    if isinstance(spec, Mapping):
        return tuple(Matcher(str(name), "=", str(value)) for name, value in spec.items())
    out: list[Matcher] = []
    for item in spec:
        out.extend((item,) if isinstance(item, Matcher) else parse_matchers(item))
    return tuple(out)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)

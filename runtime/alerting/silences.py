"""Silences (mute alerts matching matchers between two instants) and inhibition rules.

Both mute notifications, never alert evaluation: a silenced alert still fires, shows in
``AlertManager.alerts()`` with ``silenced_by``, and notifies again once the silence ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .durations import Duration, seconds
from .errors import ConfigError
from .matchers import Matcher, MatcherSpec, matchers_from, matches_all

__all__ = ["InhibitRule", "Inhibitor", "Silence", "SilenceStore"]

_IDS = itertools.count(1)


@dataclass(frozen=True)
class Silence:
    """Mutes alerts whose labels match every matcher while ``starts_at <= now < ends_at``."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    created_by: str = ""
    comment: str = ""

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: Mapping[str, str]) -> bool:
        return matches_all(self.matchers, labels)


class SilenceStore:
    """The silences of one manager; expired ones are kept (for audit) until ``gc``."""

    def __init__(self) -> None:
        self._silences: dict[str, Silence] = {}

    def add(
        self,
        matchers: MatcherSpec,
        *,
        starts_at: float,
        ends_at: float | None = None,
        duration: Duration | None = None,
        created_by: str = "",
        comment: str = "",
    ) -> Silence:
        """Create a silence; give ``ends_at`` or ``duration`` (seconds or e.g. ``"2h"``)."""
        parsed = matchers_from(matchers)
        if not parsed:
            raise ConfigError("a silence needs at least one matcher")
        if all(matcher.matches({}) for matcher in parsed):
            # Alertmanager's rule: a silence matching an empty label set would mute everything.
            raise ConfigError("a silence needs at least one matcher that does not match the empty string")
        if (ends_at is None) == (duration is None):
            raise ConfigError("give exactly one of ends_at and duration")
        end = ends_at if ends_at is not None else starts_at + seconds(duration or 0.0, "silence duration")
        if end <= starts_at:
            raise ConfigError(f"silence ends ({end}) before it starts ({starts_at})")
        silence = Silence(f"s{next(_IDS)}", parsed, float(starts_at), float(end), created_by, comment)
        self._silences[silence.id] = silence
        return silence

    def expire(self, silence_id: str, now: float) -> None:
        """End a silence now (Alertmanager's "expire")."""
        silence = self._silences.get(silence_id)
        if silence is None:
            raise ConfigError(f"no silence {silence_id!r}")
        if silence.ends_at > now:
            start = min(silence.starts_at, now)
            self._silences[silence_id] = Silence(
                silence.id, silence.matchers, start, now, silence.created_by, silence.comment
            )

    def active(self, now: float) -> list[Silence]:
        return [silence for silence in self._silences.values() if silence.active(now)]

    def silenced_by(self, labels: Mapping[str, str], now: float) -> tuple[str, ...]:
        """Ids of the active silences muting ``labels``."""
        return tuple(s.id for s in self._silences.values() if s.active(now) and s.matches(labels))

    def gc(self, now: float, retention: float = 5 * 86400.0) -> None:
        """Forget silences that ended more than ``retention`` seconds ago."""
        for silence_id in [s.id for s in self._silences.values() if s.ends_at + retention < now]:
            del self._silences[silence_id]

    def __iter__(self) -> Iterable[Silence]:
        return iter(list(self._silences.values()))

    def __len__(self) -> int:
        return len(self._silences)


@dataclass(frozen=True)
class InhibitRule:
    """A firing alert matching ``source`` mutes alerts matching ``target`` that have the same values
    for every label in ``equal`` (e.g. a ``severity=page`` alert mutes the ``warning`` of the same
    ``service``)."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()

    @classmethod
    def of(cls, source: MatcherSpec, target: MatcherSpec, equal: Sequence[str] = ()) -> InhibitRule:
        return cls(matchers_from(source), matchers_from(target), tuple(equal))


class Inhibitor:
    """Answers "is this alert inhibited?" against the currently firing alerts."""

    def __init__(self, rules: Iterable[InhibitRule]) -> None:
        self.rules = tuple(rules)

    def inhibited(
        self,
        labels: Mapping[str, str],
        fingerprint: str,
        firing: Sequence[tuple[str, Mapping[str, str]]],
    ) -> bool:
        """True when a rule's source, among ``firing`` ``(fingerprint, labels)``, mutes ``labels``.

        An alert never inhibits itself (Alertmanager skips a source with the target's fingerprint).
        """
        for rule in self.rules:
            if not matches_all(rule.target, labels):
                continue
            key = tuple(labels.get(name, "") for name in rule.equal)
            for source_fp, source_labels in firing:
                if source_fp == fingerprint or not matches_all(rule.source, source_labels):
                    continue
                if tuple(source_labels.get(name, "") for name in rule.equal) == key:
                    return True
        return False

"""Remediation hooks: run an action when an alert starts firing, and judge it by what follows.

An attempt **succeeds** when its alert resolves within ``resolve_within`` seconds of the action and
does not fire again within ``hold`` seconds of resolving. It **fails** when the alert is still
firing after ``resolve_within`` (``timeout``), fires again during the hold (``refired``), the action
raises (``error``, the exception text recorded) or returns ``False`` (``declined``). Nothing a hook
does ever propagates into ``AlertManager.evaluate``.

Note the definition cannot tell a fix from an incident that ended on its own within the window;
the KPI bench reports the no-hook rate beside the hook's for that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .durations import Duration, seconds
from .errors import ConfigError
from .matchers import Matcher, MatcherSpec, matchers_from, matches_all
from .model import AlertView

__all__ = ["HookStats", "RemediationHook", "RemediationOutcome", "RemediationTracker"]

SUCCESS, TIMEOUT, REFIRED, ERROR, DECLINED = "success", "timeout", "refired", "error", "declined"


@dataclass(frozen=True)
class RemediationHook:
    """``action(alert_view)`` runs once per firing episode of each alert matching ``match``."""

    name: str
    action: Callable[[AlertView], object]
    match: tuple[Matcher, ...] = ()
    resolve_within: float = 600.0
    hold: float = 1800.0

    @classmethod
    def of(
        cls,
        name: str,
        action: Callable[[AlertView], object],
        match: MatcherSpec = None,
        *,
        resolve_within: Duration = 600.0,
        hold: Duration = 1800.0,
    ) -> RemediationHook:
        within, quiet = seconds(resolve_within, f"hook {name}"), seconds(hold, f"hook {name}")
        if within <= 0 or quiet < 0:
            raise ConfigError(f"hook {name}: resolve_within must be > 0 and hold >= 0")
        return cls(name, action, matchers_from(match), within, quiet)


@dataclass(frozen=True)
class RemediationOutcome:
    hook: str
    alertname: str
    fingerprint: str
    started_at: float
    finished_at: float
    result: str
    detail: str = ""

    @property
    def succeeded(self) -> bool:
        return self.result == SUCCESS


@dataclass(frozen=True)
class HookStats:
    attempts: int
    successes: int
    failures: int
    errors: int
    pending: int

    @property
    def success_rate(self) -> float | None:
        """Successes over finished attempts (None before any finished)."""
        done = self.successes + self.failures
        return self.successes / done if done else None


@dataclass
class _Attempt:
    hook: RemediationHook
    alert: AlertView
    started_at: float
    resolved_at: float | None = None


class RemediationTracker:
    """Runs hooks and accounts for their outcomes (``stats()``, ``outcomes``)."""

    def __init__(self) -> None:
        self.hooks: list[RemediationHook] = []
        self.outcomes: list[RemediationOutcome] = []
        self._open: dict[tuple[str, str], _Attempt] = {}
        self._attempts: dict[str, int] = {}

    def add(self, hook: RemediationHook) -> None:
        if any(existing.name == hook.name for existing in self.hooks):
            raise ConfigError(f"a remediation hook named {hook.name!r} exists already")
        self.hooks.append(hook)
        self._attempts[hook.name] = 0

    def on_firing(self, alert: AlertView, now: float) -> None:
        """A (not muted) alert started firing: close a held attempt as refired, run matching hooks."""
        for hook in self.hooks:
            if not matches_all(hook.match, alert.labels):
                continue
            previous = self._open.pop((hook.name, alert.fingerprint), None)
            if previous is not None:
                self._finish(previous, now, REFIRED, "fired again during the hold period")
            self._run(hook, alert, now)

    def _run(self, hook: RemediationHook, alert: AlertView, now: float) -> None:
        self._attempts[hook.name] += 1
        attempt = _Attempt(hook, alert, now)
        try:
            answer = hook.action(alert)
        except Exception as exc:
            self._finish(attempt, now, ERROR, f"{type(exc).__name__}: {exc}")
            return
        if answer is False:
            self._finish(attempt, now, DECLINED, "the action returned False")
            return
        self._open[(hook.name, alert.fingerprint)] = attempt

    def on_resolved(self, fingerprint: str, now: float) -> None:
        for (_, fp), attempt in self._open.items():
            if fp == fingerprint and attempt.resolved_at is None:
                attempt.resolved_at = now

    def tick(self, now: float) -> None:
        """Close attempts whose deadline passed: timeouts and completed holds."""
        for key, attempt in list(self._open.items()):
            hook = attempt.hook
            if attempt.resolved_at is None:
                if now - attempt.started_at > hook.resolve_within:
                    del self._open[key]
                    self._finish(attempt, now, TIMEOUT, f"still firing after {hook.resolve_within:g} s")
            elif attempt.resolved_at - attempt.started_at > hook.resolve_within:
                del self._open[key]
                self._finish(attempt, now, TIMEOUT, f"resolved after {hook.resolve_within:g} s")
            elif now - attempt.resolved_at >= hook.hold:
                del self._open[key]
                self._finish(attempt, now, SUCCESS)

    def _finish(self, attempt: _Attempt, now: float, result: str, detail: str = "") -> None:
        self.outcomes.append(
            RemediationOutcome(
                attempt.hook.name,
                attempt.alert.name,
                attempt.alert.fingerprint,
                attempt.started_at,
                now,
                result,
                detail,
            )
        )

    def stats(self) -> dict[str, HookStats]:
        """Per hook: attempts, successes, failures (timeouts, refires, declines, errors), errors."""
        out = {}
        for hook in self.hooks:
            mine = [o for o in self.outcomes if o.hook == hook.name]
            successes = sum(o.succeeded for o in mine)
            out[hook.name] = HookStats(
                attempts=self._attempts[hook.name],
                successes=successes,
                failures=len(mine) - successes,
                errors=sum(o.result == ERROR for o in mine),
                pending=sum(1 for (name, _) in self._open if name == hook.name),
            )
        return out

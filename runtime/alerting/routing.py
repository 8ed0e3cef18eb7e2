"""Alertmanager's routing tree and receivers.

An alert enters at the root route and descends into the first child whose matchers match (more
than one when a child sets ``continue_``); where no child matches, the route itself takes it.
Children inherit ``receiver``, ``group_by`` and the three timers from their parent. Each route
groups its alerts by the values of its ``group_by`` labels (``("...",)`` groups by every label).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .durations import Duration, seconds
from .errors import ConfigError
from .matchers import Matcher, MatcherSpec, matchers_from, matches_all

__all__ = ["Receiver", "Route", "RouteNode", "compile_route"]

GROUP_WAIT, GROUP_INTERVAL, REPEAT_INTERVAL = 30.0, 300.0, 4 * 3600.0  # Alertmanager's defaults


@dataclass(frozen=True)
class Receiver:
    """A named destination: every notifier (a callable taking a ``Notification``) is called."""

    name: str
    notifiers: Sequence[Callable[..., object]] = ()
    send_resolved: bool = True


@dataclass(frozen=True)
class Route:
    """A route as configured (``None`` means "inherit from the parent route")."""

    receiver: str | None = None
    matchers: MatcherSpec = None
    group_by: Sequence[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    routes: Sequence[Route] = ()
    continue_: bool = False


@dataclass(frozen=True)
class RouteNode:
    """A route with everything inherited resolved; ``key`` names it in group keys."""

    key: str
    receiver: str
    matchers: tuple[Matcher, ...]
    group_by: tuple[str, ...] | None  # None: every label ("...")
    group_wait: float
    group_interval: float
    repeat_interval: float
    continue_: bool
    children: tuple[RouteNode, ...] = field(default=())

    def match(self, labels: Mapping[str, str]) -> list[RouteNode]:
        """The routes that take an alert with ``labels`` (Alertmanager's ``Route.Match``)."""
        if not matches_all(self.matchers, labels):
            return []
        found: list[RouteNode] = []
        for child in self.children:
            matched = child.match(labels)
            found.extend(matched)
            if matched and not child.continue_:
                break
        return found or [self]

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        if self.group_by is None:
            return dict(labels)
        return {name: labels[name] for name in self.group_by if name in labels}


def _timer(value: Duration | None, inherited: float, name: str) -> float:
    chosen = inherited if value is None else seconds(value, f"route {name}")
    if chosen < 0 or (name != "group_wait" and chosen <= 0):
        raise ConfigError(f"route {name} must be positive, got {chosen}")
    return chosen


def _group_by(route: Route, parent: RouteNode | None) -> tuple[str, ...] | None:
    if route.group_by is None:
        return parent.group_by if parent is not None else ("alertname",)
    return None if "..." in route.group_by else tuple(route.group_by)


def _timers(route: Route, parent: RouteNode | None) -> tuple[float, float, float]:
    inherited = (
        (parent.group_wait, parent.group_interval, parent.repeat_interval)
        if parent is not None
        else (GROUP_WAIT, GROUP_INTERVAL, REPEAT_INTERVAL)
    )
    given = (route.group_wait, route.group_interval, route.repeat_interval)
    names = ("group_wait", "group_interval", "repeat_interval")
    wait, interval, repeat = (_timer(v, i, n) for v, i, n in zip(given, inherited, names, strict=True))
    return wait, interval, repeat


def compile_route(route: Route, parent: RouteNode | None = None, index: int = 0) -> RouteNode:
    """Resolve inheritance (root defaults: group by ``alertname``, 30 s / 5 min / 4 h)."""
    if parent is None and route.receiver is None:
        raise ConfigError("the root route needs a receiver")
    matchers = matchers_from(route.matchers)
    if parent is None:
        key = "{}"
    else:
        key = f"{parent.key}/{{{','.join(str(m) for m in matchers)}}}"
        key = f"{key}/{index}" if index else key
    wait, interval, repeat = _timers(route, parent)
    node = RouteNode(
        key=key,
        receiver=route.receiver or (parent.receiver if parent else ""),
        matchers=matchers,
        group_by=_group_by(route, parent),
        group_wait=wait,
        group_interval=interval,
        repeat_interval=repeat,
        continue_=route.continue_,
    )
    children = tuple(compile_route(child, node, i) for i, child in enumerate(route.routes))
    return RouteNode(**{**node.__dict__, "children": children})

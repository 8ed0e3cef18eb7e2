"""The code a skipped pooling site should aim for, in one line, appended to the skip reason.

Why in the reason: ``codeopt optimize`` reports skipped sites as ``path:line: name: reason``; a reviewer
deciding whether to pool by hand needs the target shape right there, not in another command's output.
"""

from __future__ import annotations

from codeopt.analysis.facts import ResourceCreation
from codeopt.transforms.pooling_kinds import PoolKind

_SINGLE_INSTANCE = ("Redis client", "urllib3 pool manager")


def suggestion(r: ResourceCreation, kind: PoolKind) -> str:
    """``suggested: ...`` for the site; "" when the call text is too long to rebuild."""
    text = r.call_text
    if "(" not in text or not text.endswith(")") or text.endswith("...)"):
        return ""
    variable = r.binding or "obj"
    if kind.label == "urllib request":
        return (
            "suggested: one module-level `urllib3.PoolManager()` (or `http.client` connection) reused "
            "for every request to the same host"
        )
    if kind.label in _SINGLE_INSTANCE:
        return f"suggested: create one at module level (`_{variable.upper()} = {text}`) and reuse it"
    return _pooled(r, kind, text, variable)


def _pooled(r: ResourceCreation, kind: PoolKind, text: str, variable: str) -> str:
    factory, _, rest = text.partition("(")
    arguments = rest[:-1].strip()
    if kind.thread_kwarg and kind.thread_kwarg not in arguments:
        arguments = f"{arguments}, {kind.thread_kwarg}=False" if arguments else f"{kind.thread_kwarg}=False"
    pools = f"{kind.pools_name} = PoolMap({', '.join(kind.options())})"
    acquire = f"{kind.pools_name}.acquire({factory}{', ' + arguments if arguments else ''})"
    transaction = f", {variable}" if r.via_with and not kind.with_closes else ""
    return (
        f"suggested: `{pools}` (codeopt_runtime.pooled) at module level and "
        f"`with {acquire} as {variable}{transaction}:`"
    )

"""Run the user's test command before and after a change, and judge the outcome by what it counted.

An exit code alone is not enough: a split can make doctests or whole test modules silently stop being
collected while the suite stays green. So the summary lines of pytest and unittest are parsed and a
change passes only when the suite is green after it *and* collected as many tests as before.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_TAIL = 3000
_PYTEST_OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")
_PYTEST_PATTERNS = {
    "passed": re.compile(r"(\d+) passed"),
    "failed": re.compile(r"(\d+) failed"),
    "errors": re.compile(r"(\d+) errors?\b"),
    "skipped": re.compile(r"(\d+) skipped"),
    "xfailed": re.compile(r"(\d+) xfailed"),
    "xpassed": re.compile(r"(\d+) xpassed"),
}
_PYTEST_SUMMARY = re.compile(r"\b\d+ (passed|failed|errors?|skipped|xfailed|xpassed)\b")
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ", re.MULTILINE)
_UNITTEST_FAILED = re.compile(r"^FAILED \(([^)]*)\)", re.MULTILINE)
_UNITTEST_SKIPPED = re.compile(r"skipped=(\d+)")


@dataclass(frozen=True)
class TestRun:
    """One run of a test command and what its summary said; counts are -1 when no summary was found."""

    __test__ = False  # not a pytest test class

    command: str
    exit_code: int
    collected: int
    passed: int
    failed: int
    errors: int
    skipped: int
    seconds: float
    tail: str

    @property
    def green(self) -> bool:
        return self.exit_code == 0 and self.failed <= 0 and self.errors <= 0


def parse_counts(output: str) -> dict[str, int]:
    """Counts from the last pytest summary line, else from unittest's ``Ran N tests`` and status line."""
    counts = {"collected": -1, "passed": -1, "failed": -1, "errors": -1, "skipped": -1}
    summaries = [line for line in output.splitlines() if _PYTEST_SUMMARY.search(line) and " in " in line]
    if summaries:
        return _pytest_counts(summaries[-1])
    ran = _UNITTEST_RAN.findall(output)
    if ran:
        return _unittest_counts(output, int(ran[-1]))
    if re.search(r"\bno tests ran\b", output):
        return {key: 0 for key in counts}
    return counts


def _pytest_counts(line: str) -> dict[str, int]:
    found = {}
    for key in _PYTEST_OUTCOMES:
        match = _PYTEST_PATTERNS[key].search(line)
        found[key] = int(match.group(1)) if match else 0
    return {
        "collected": sum(found.values()),
        "passed": found["passed"] + found["xpassed"],
        "failed": found["failed"],
        "errors": found["errors"],
        "skipped": found["skipped"] + found["xfailed"],
    }


def _unittest_counts(output: str, ran: int) -> dict[str, int]:
    failed = errors = 0
    status = _UNITTEST_FAILED.findall(output)
    if status:
        for part in status[-1].split(","):
            key, _, value = part.strip().partition("=")
            if value.isdigit() and key == "failures":
                failed += int(value)
            elif value.isdigit() and key == "errors":
                errors += int(value)
    skipped_match = _UNITTEST_SKIPPED.findall(output)
    skipped = int(skipped_match[-1]) if skipped_match else 0
    return {
        "collected": ran,
        "passed": ran - failed - errors - skipped,
        "failed": failed,
        "errors": errors,
        "skipped": skipped,
    }


def run_tests(
    command: str, cwd: Path, timeout: float | None = None, env: dict[str, str] | None = None
) -> TestRun:
    """Run ``command`` through the shell in ``cwd``; output is captured, bytecode writing turned off."""
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    start = time.monotonic()
    try:
        proc = subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        output = _text(exc.stdout) + _text(exc.stderr) + f"\ntimed out after {timeout:g} s"
        code = 124
    counts = parse_counts(output)
    return TestRun(command, code, seconds=round(time.monotonic() - start, 2), tail=output[-_TAIL:], **counts)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


def compare(before: TestRun, after: TestRun) -> str | None:
    """Why ``after`` is not the same green outcome as ``before``; None when it is."""
    if not after.green:
        return f"`{after.command}` failed after the change (exit {after.exit_code}, {_summary(after)})"
    if before.collected >= 0 and after.collected != before.collected:
        return (
            f"`{after.command}` collected {after.collected} tests after the change, "
            f"{before.collected} before (tests stopped being found, or new ones appeared)"
        )
    if before.collected < 0 and after.collected < 0:
        return None
    if after.collected < 0:
        return f"`{after.command}` printed no test summary after the change"
    return None


def _summary(run: TestRun) -> str:
    if run.collected < 0:
        return "no test summary"
    return f"{run.passed} passed, {run.failed} failed, {run.errors} errors of {run.collected}"

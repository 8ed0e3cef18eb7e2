#!/usr/bin/env python3
"""The HTML report of Django 5.2.19: file size and browser load time against the targets.

Downloads the Django sdist from PyPI (cached under --work), runs ``codeopt report django -o ...`` in
the unpacked tree (so code excerpts resolve), then loads the page in Debian's headless Chromium over
the DevTools protocol (tests/report/cdp.py) several times and prints:

  * the size of the HTML file (target < 5 MB);
  * the load time, navigation start to the end of the load event (Navigation Timing), median and
    worst of --loads loads (target < 3 s); also the wall time from Page.navigate to loadEventFired;
  * the requests the page made (must be the file alone) and console errors (must be none).

A screenshot goes to artifacts/report-django.png. ``--fixture-screenshot docs/report.png`` renders the
gitkit fixture's report instead and saves the README's screenshot (no Django needed).

    python bench/report.py [--work DIR] [--loads N]
    python bench/report.py --fixture-screenshot docs/report.png
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.report.cdp import Browser, browser, find_chromium  # noqa: E402

DJANGO = "django==5.2.19"
SIZE_TARGET = 5 * 1024 * 1024
LOAD_TARGET_MS = 3000.0


def fetch_django(work: Path) -> Path:
    tree = work / "django-5.2.19"
    if (tree / "django").is_dir():
        return tree
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", DJANGO]
        subprocess.run([*pip, "-d", tmp], check=True)
        with tarfile.open(next(Path(tmp).iterdir())) as tar:
            tar.extractall(work, filter="data")
    return tree


def codeopt_report(cwd: Path, target: str, output: Path, *extra: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "codeopt.cli", "report", target, "-o", str(output), "--include-plans", *extra],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 2) or not output.exists():
        sys.exit(f"codeopt report failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def measure(page: Browser, html: Path, loads: int) -> tuple[list[float], list[float], set[str], list[str]]:
    timings, walls, requests, errors = [], [], set(), []
    for _ in range(loads):
        load = page.load(html.as_uri())
        timings.append(load.load_ms)
        walls.append(load.wall_ms)
        requests.update(load.requests)
        errors.extend(load.console_errors + load.failed)
    return timings, walls, requests, errors


def fixture_screenshot(chromium: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "gitkit.html"
        codeopt_report(ROOT / "fixtures" / "gitkit", ".", html, "--no-cache")
        with browser(chromium, width=1280, height=1000) as page:
            page.viewport(1280, 1000)
            load = page.load(html.as_uri())
            if load.console_errors or load.requests != [html.as_uri()]:
                sys.exit(f"the fixture's report is not clean: {load}")
            page.screenshot(target)
    print(f"wrote {target} ({target.stat().st_size / 1024:,.0f} KB)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dj")
    parser.add_argument("--loads", type=int, default=5, help="page loads to time (median and worst)")
    parser.add_argument("--fixture-screenshot", type=Path, help="save the gitkit report's screenshot here")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    if args.fixture_screenshot:
        fixture_screenshot(chromium, args.fixture_screenshot)
        return 0

    tree = fetch_django(args.work)
    html = args.work / "django-report.html"
    files = sum(1 for _ in (tree / "django").rglob("*.py"))
    seconds = codeopt_report(tree, "django", html)
    size = html.stat().st_size
    with browser(chromium, width=1280, height=900) as page:
        timings, walls, requests, errors = measure(page, html, args.loads)
        page.screenshot(ROOT / "artifacts" / "report-django.png")
    median, worst = statistics.median(timings), max(timings)
    size_ok, load_ok = size < SIZE_TARGET, worst < LOAD_TARGET_MS
    clean = requests == {html.as_uri()} and not errors
    print(f"tree: Django 5.2.19 ({files} files); report written in {seconds:.1f} s (analysis included)")
    verdict = {True: "ok", False: "MISSED"}
    mb = size / 1024 / 1024
    print(f"size : {mb:6.2f} MB   target < {SIZE_TARGET / 1024 / 1024:.0f} MB   {verdict[size_ok]}")
    print(
        f"load : {median / 1000:6.2f} s median, {worst / 1000:.2f} s worst of {args.loads} loads (navigation"
        f" start to load event end)   target < {LOAD_TARGET_MS / 1000:.0f} s   {verdict[load_ok]}"
    )
    print(f"wall : {statistics.median(walls) / 1000:6.2f} s median (Page.navigate to loadEventFired)")
    print(f"requests: {sorted(requests)}; console errors: {errors or 'none'}   {verdict[clean]}")
    return 0 if size_ok and load_ok and clean else 1


if __name__ == "__main__":
    sys.exit(main())

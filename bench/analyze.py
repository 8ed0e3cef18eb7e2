#!/usr/bin/env python3
"""codeopt analyze vs radon's four passes on Django 5.2.19 + this Python's standard library.

Downloads the Django sdist from PyPI (cached under --work), then times, in one run:
  * radon cc, mi, raw and hal (its Python API, one file at a time, the same work its CLI does), each
    file under a per-file cap so radon's pathological files (``raw`` can take >10 minutes on one
    stdlib file) cannot stall the bench: a capped file counts as the cap, so radon's total is a lower
    bound and every ratio printed is an upper bound;
  * ``codeopt analyze`` cold (fresh cache) and warm (same cache), as subprocesses, with peak RSS of the
    process tree (ru_maxrss of children: the largest single process);
and prints the ratios against the targets: cold <= 0.25x radon's sum, warm <= 0.05x cold, no file over
2 s in codeopt, peak RSS <= 500 MB.

    python bench/analyze.py [--work DIR] [--cap SECONDS] [--skip-radon-raw]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path

DJANGO = "django==5.2.19"
RADON_DRIVER = r"""
import sys, time, json
from radon.complexity import cc_visit
from radon.metrics import mi_visit, h_visit
from radon.raw import analyze
kind, listing = sys.argv[1], sys.argv[2]
work = {"cc": cc_visit, "mi": lambda s: mi_visit(s, True), "raw": analyze, "hal": h_visit}[kind]
for line in open(listing, encoding="utf-8"):
    path = line.rstrip("\n")
    start = time.perf_counter()
    try:
        with open(path, encoding="utf-8") as fh:
            work(fh.read())
        ok = 1
    except Exception:
        ok = 0
    print(json.dumps([path, time.perf_counter() - start, ok]), flush=True)
"""


def fetch_django(work: Path) -> Path:
    tree = work / "django-5.2.19"
    if (tree / "django").is_dir():
        return tree / "django"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                DJANGO,
                "-d",
                tmp,
            ],
            check=True,
        )
        archive = next(Path(tmp).iterdir())
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
    return tree / "django"


def python_files(roots: list[Path]) -> list[Path]:
    files = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "site-packages" in path.parts or "__pycache__" in path.parts:
                continue
            files.append(path)
    return files


def radon_pass(kind: str, files: list[Path], cap: float) -> tuple[float, int, list[tuple[str, float]]]:
    """Total seconds (capped files count as ``cap``), number capped, slowest files."""
    total, capped, times = 0.0, 0, []
    pending = [str(f) for f in files]
    while pending:
        # the list goes through a file: writing it to the child's stdin while the child fills its
        # stdout pipe deadlocks once both pipes are full
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
            listing.write("\n".join(pending) + "\n")
        proc = subprocess.Popen(
            [sys.executable, "-c", RADON_DRIVER, kind, listing.name], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout
        done = 0
        os.set_blocking(proc.stdout.fileno(), True)
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        started = time.perf_counter()
        while done < len(pending):
            if not sel.select(timeout=max(0.0, cap - (time.perf_counter() - started))):
                proc.kill()
                proc.wait()
                total += cap
                capped += 1
                times.append((pending[done], cap))
                done += 1
                break
            line = proc.stdout.readline()
            if not line:
                break
            path, seconds, _ = json.loads(line)
            total += seconds
            times.append((path, seconds))
            done += 1
            started = time.perf_counter()
        proc.wait()
        os.unlink(listing.name)
        pending = pending[done:]
    times.sort(key=lambda t: -t[1])
    return total, capped, times[:3]


def run_codeopt(targets: list[Path], scratch: Path, fmt: str = "text") -> tuple[float, float, str, str]:
    """Seconds, peak RSS (MB, the largest process of the run), stdout, stderr."""
    import threading

    command = [
        sys.executable,
        "-m",
        "codeopt.cli",
        "analyze",
        *map(str, targets),
        "--exit-zero",
        "--config",
        str(scratch / "pyproject.toml"),
        "--format",
        fmt,
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:  # the parent and its workers: peak of the largest one
        while proc.poll() is None:
            for pid in [proc.pid, *_children(proc.pid)]:
                peak[0] = max(peak[0], _rss_kb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode not in (0, 2):
        sys.exit(f"codeopt failed ({proc.returncode}):\n{err[-2000:]}")
    return seconds, peak[0] / 1024, out, err


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "codeopt-bench")
    parser.add_argument("--cap", type=float, default=30.0, help="radon per-file cap in seconds")
    parser.add_argument("--skip-radon", action="store_true", help="time codeopt only")
    args = parser.parse_args()

    django = fetch_django(args.work)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    # codeopt reads the trees from a scratch folder so the cache starts cold and lands there
    scratch = args.work / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    (scratch / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\nrespect-gitignore = false\n")
    # the cache lives in the scratch folder (root of --config), so the first run is cold
    targets = [scratch / "django", scratch / "stdlib"]
    (scratch / "django").symlink_to(django)
    (scratch / "stdlib").symlink_to(stdlib)
    files = python_files([django, stdlib])
    in_django = len(python_files([django]))
    print(
        f"tree: Django 5.2.19 ({in_django} files) + stdlib {stdlib} ({len(files) - in_django} files); "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )

    cold, cold_rss, out, err = run_codeopt(targets, scratch)
    warm, warm_rss, _, _ = run_codeopt(targets, scratch)
    json_seconds, _, json_out, _ = run_codeopt(targets, scratch, "json")
    data = json.loads(json_out)
    summary = out.strip().splitlines()[-2:]
    print(f"codeopt cold : {cold:8.2f} s   peak RSS {cold_rss:6.0f} MB   ({' '.join(summary)})")
    print(f"codeopt warm : {warm:8.2f} s   peak RSS {warm_rss:6.0f} MB   (JSON, warm: {json_seconds:.2f} s)")
    print(
        f"diagnostics  : {sum(1 for line in err.splitlines() if line.startswith('codeopt: '))} one-line, "
        f"tracebacks {err.count('Traceback')}"
    )
    codeopt_slowest = data["timings"]["slowest_files"][:3]
    print("codeopt slowest files: " + ", ".join(f"{p} {s:.2f}s" for p, s in codeopt_slowest))
    if not args.skip_radon:
        radon_total = 0.0
        for kind in ("cc", "mi", "raw", "hal"):
            seconds, capped, slowest = radon_pass(kind, files, args.cap)
            radon_total += seconds
            note = f"  ({capped} file(s) capped at {args.cap:g} s: lower bound)" if capped else ""
            worst = ", ".join(f"{Path(p).name} {s:.1f}s" for p, s in slowest)
            print(f"radon {kind:<4}  : {seconds:8.2f} s{note}   slowest: {worst}")
        print(f"radon sum    : {radon_total:8.2f} s")
        print(f"ratio cold / radon sum : {cold / radon_total:6.3f}   (target <= 0.25)")
    print(f"ratio warm / cold      : {warm / cold:6.3f}   (target <= 0.05)")
    print(f"peak RSS               : {max(cold_rss, warm_rss):6.0f} MB (target <= 500)")
    print(f"slowest file           : {codeopt_slowest[0][1]:6.2f} s  (target <= 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

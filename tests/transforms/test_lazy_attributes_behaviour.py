"""The lazy-attribute rewrite, run: same results as the original, built once under concurrent first
access, built only on use; and the gitkit fixture's CodeReviewer, rewritten, in a real subprocess."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import ModuleType

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput, TransformOptions
from codeopt.transforms.lazy_attributes import lazy_attributes_file

FIXTURE_PACKAGE = Path(__file__).parents[2] / "fixtures" / "gitkit"

PROBE = '''
import threading
import time

made = []
_lock = threading.Lock()


class Slow:
    """A costly, side-effect-free constructor that counts its calls (and is slow enough to race)."""

    def __init__(self, size):
        with _lock:
            made.append(self)
        time.sleep(0.05)
        self.size = size
'''

WORKLOAD = """
import difflib

import probe

WIDTH = 4


class Reviewer:
    def __init__(self, name):
        self.name = name
        self.engine = probe.Slow(WIDTH)
        self.matcher = difflib.SequenceMatcher(autojunk=False)

    def ratio(self, a, b):
        self.matcher.set_seqs(a, b)
        return round(self.matcher.ratio(), 3)

    def width(self):
        return self.engine.size

    def title(self):
        return self.name.upper()
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _modules(tmp_path: Path) -> tuple[ModuleType, ModuleType, ModuleType]:
    """(probe, original, rewritten) imported from ``tmp_path``; the rewrite comes from the transform."""
    source = textwrap.dedent(WORKLOAD)
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="reviewer")
    options = TransformOptions(values=(("lazy-attributes.side-effect-free", ("probe.Slow",)),))
    result = lazy_attributes_file(FileInput(tmp_path / "reviewer.py", source, "reviewer", facts, options))
    assert isinstance(result, Changed), result
    assert len(result.applied) == 2
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "reviewer_original.py").write_text(source)
    (tmp_path / "reviewer_lazy.py").write_text(result.after)
    sys.path.insert(0, str(tmp_path))
    try:
        sys.modules.pop("probe", None)
        probe = importlib.import_module("probe")
        return (
            probe,
            _load(tmp_path / "reviewer_original.py", "reviewer_original"),
            _load(tmp_path / "reviewer_lazy.py", "reviewer_lazy"),
        )
    finally:
        sys.path.remove(str(tmp_path))


def _cleanup() -> None:
    for name in ("probe", "reviewer_original", "reviewer_lazy"):
        sys.modules.pop(name, None)


def test_same_results_and_built_only_on_use(tmp_path: Path) -> None:
    probe, original, lazy = _modules(tmp_path)
    try:
        calls = [("ratio", ("kitten", "sitting")), ("width", ()), ("title", ()), ("ratio", ("abc", "abd"))]
        a, b = original.Reviewer("x"), lazy.Reviewer("x")
        assert [getattr(a, m)(*args) for m, args in calls] == [getattr(b, m)(*args) for m, args in calls]

        probe.made.clear()
        fresh = lazy.Reviewer("y")
        assert probe.made == []  # nothing built in __init__
        assert "engine" not in vars(fresh) and "matcher" not in vars(fresh)
        assert fresh.title() == "Y"
        assert probe.made == []  # a method that does not need it does not build it
        assert fresh.width() == 4
        assert len(probe.made) == 1 and vars(fresh)["engine"] is probe.made[0]  # cached on the instance
        fresh.width()
        assert len(probe.made) == 1

        fresh.engine = "replaced"  # assignment still works, like an instance attribute
        assert fresh.engine == "replaced"
        del fresh.engine  # and del makes the next read build it again
        assert fresh.width() == 4
        assert len(probe.made) == 2
    finally:
        _cleanup()


def test_built_once_under_concurrent_first_access(tmp_path: Path) -> None:
    probe, _, lazy = _modules(tmp_path)
    try:
        reviewer = lazy.Reviewer("z")
        probe.made.clear()
        barrier = threading.Barrier(16)
        seen: list[object] = []

        def first_read() -> None:
            barrier.wait(10)
            seen.append(reviewer.engine)

        threads = [threading.Thread(target=first_read) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(probe.made) == 1  # 16 racing first reads, one construction (it sleeps 50 ms)
        assert len(seen) == 16 and all(obj is probe.made[0] for obj in seen)
    finally:
        _cleanup()


_REVIEW_SCRIPT = """
import json
from gitkit.git_advanced import CodeReviewer, FileDiff

code = ["def f(x):", "    y = x + 1  # add", "    return y * 2", "", "print(f(3))"]
other = ["def g(a):", "    b = a + 7", "    return b * 2", "", "print(g(5))"]
diffs = [
    FileDiff("a.py", added=list(enumerate(code, 1))),
    FileDiff("b.py", added=list(enumerate(code, 1))),
    FileDiff("c.py", added=list(enumerate(other, 1))),
]
reviewer = CodeReviewer()
before = sorted(k for k in vars(reviewer) if k in ("_matcher", "_normalisers"))
pairs = reviewer.find_duplicate_additions(diffs, threshold=0.5)
after = sorted(k for k in vars(reviewer) if k in ("_matcher", "_normalisers"))
print(json.dumps({"pairs": pairs, "before": before, "after": after}))
"""


def _review(root: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _REVIEW_SCRIPT],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_gitkit_code_reviewer_rewritten_behaves_the_same(tmp_path: Path) -> None:
    original_root, lazy_root = tmp_path / "original", tmp_path / "lazy"
    for root in (original_root, lazy_root):
        shutil.copytree(
            FIXTURE_PACKAGE / "gitkit", root / "gitkit", ignore=shutil.ignore_patterns("__pycache__")
        )
    target = lazy_root / "gitkit" / "git_advanced.py"
    source = target.read_text(encoding="utf-8")
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="gitkit.git_advanced")
    result = lazy_attributes_file(FileInput(target, source, "gitkit.git_advanced", facts))
    assert isinstance(result, Changed)
    target.write_text(result.after, encoding="utf-8")

    original, lazy = _review(original_root), _review(lazy_root)
    assert original["pairs"] == lazy["pairs"] and original["pairs"]
    assert original["before"] == ["_matcher", "_normalisers"]  # eager: built in __init__
    assert lazy["before"] == []  # lazy: not built by CodeReviewer()
    assert lazy["after"] == ["_matcher", "_normalisers"]  # built by the method that needs them

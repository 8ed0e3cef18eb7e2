"""``--lazy-attributes``: before/after rewrites, the no-op table (one case per condition), idempotence,
the result contract on the gitkit fixture."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from libcst.codemod import CodemodTest

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput, Skipped, TransformOptions, Unchanged, available
from codeopt.transforms.lazy_attributes import LazyAttributesCommand, lazy_attributes_file

FIXTURE = Path(__file__).parents[2] / "fixtures" / "gitkit" / "gitkit" / "git_advanced.py"


def file_input(source: str, **values: object) -> FileInput:
    source = textwrap.dedent(source)
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="mod")
    options = TransformOptions(values=tuple(values.items()))  # type: ignore[arg-type]
    return FileInput(Path("mod.py"), source, "mod", facts, options)


class TestRewrites(CodemodTest):
    TRANSFORM = LazyAttributesCommand

    def test_sequence_matcher(self) -> None:
        before = """
            import difflib


            class Reviewer:
                def __init__(self, name):
                    self.name = name
                    # compares two texts
                    self._matcher = difflib.SequenceMatcher(autojunk=False)

                def similar(self, a, b):
                    self._matcher.set_seqs(a, b)
                    return self._matcher.ratio()

                def title(self):
                    return self.name
        """
        after = """
            import difflib
            from codeopt_runtime.lazy import lazy_attribute


            class Reviewer:
                def __init__(self, name):
                    self.name = name

                # compares two texts
                @lazy_attribute
                def _matcher(self):
                    return difflib.SequenceMatcher(autojunk=False)

                def similar(self, a, b):
                    self._matcher.set_seqs(a, b)
                    return self._matcher.ratio()

                def title(self):
                    return self.name
        """
        self.assertCodemod(before, after)

    def test_annotation_constants_comprehension_and_empty_init(self) -> None:
        before = """
            import re
            from collections import OrderedDict

            PATTERNS = (r"a+", r"b+")


            class Matchers:
                def __init__(me) -> None:
                    \"\"\"Doc.\"\"\"
                    me.table: dict[str, re.Pattern[str]] = OrderedDict((p, re.compile(p)) for p in PATTERNS)

                def match(me, text):
                    return [p for p, rx in me.table.items() if rx.search(text)]

                def size(me):
                    return 2
        """
        after = """
            import re
            from collections import OrderedDict
            from codeopt_runtime.lazy import lazy_attribute

            PATTERNS = (r"a+", r"b+")


            class Matchers:
                def __init__(me) -> None:
                    \"\"\"Doc.\"\"\"
                    pass

                @lazy_attribute
                def table(me) -> dict[str, re.Pattern[str]]:
                    return OrderedDict((p, re.compile(p)) for p in PATTERNS)

                def match(me, text):
                    return [p for p, rx in me.table.items() if rx.search(text)]

                def size(me):
                    return 2
        """
        self.assertCodemod(before, after)

    def test_configured_constructor(self) -> None:
        before = """
            import mylib


            class Client:
                def __init__(self):
                    self.parser = mylib.Parser(strict=True)

                def parse(self, text):
                    return self.parser.parse(text)

                def name(self):
                    return "client"
        """
        after = """
            import mylib
            from codeopt_runtime.lazy import lazy_attribute


            class Client:
                def __init__(self):
                    pass

                @lazy_attribute
                def parser(self):
                    return mylib.Parser(strict=True)

                def parse(self, text):
                    return self.parser.parse(text)

                def name(self):
                    return "client"
        """
        self.assertCodemod(before, after, side_effect_free=("mylib.Parser",))


def _class(init: str, extra: str = "", header: str = "class C:") -> str:
    """A class with two methods, one of which reads ``self.m``, around the given ``__init__`` body."""
    return (
        "import difflib\nimport re\n\n"
        + header
        + "\n    def __init__(self, size=3):\n"
        + textwrap.indent(textwrap.dedent(init), " " * 8)
        + "\n    def use(self):\n        return self.m\n\n    def other(self):\n        return 1\n"
        + extra
    )


NO_OP = {
    "slots": (
        _class("self.m = difflib.SequenceMatcher()\n", header='class C:\n    __slots__ = ("m",)\n'),
        "__slots__",
    ),
    "dataclass": (
        "import dataclasses\nimport difflib\n\n@dataclasses.dataclass\nclass C:\n    x: int = 0\n\n"
        "    def __post_init__(self):\n        self.m = difflib.SequenceMatcher()\n\n"
        "    def use(self):\n        return self.m\n\n    def other(self):\n        return 1\n",
        "dataclass",
    ),
    "custom getattr": (
        _class(
            "self.m = difflib.SequenceMatcher()\n", "\n    def __getattr__(self, name):\n        return 1\n"
        ),
        "customises attribute access",
    ),
    "custom setattr": (
        _class(
            "self.m = difflib.SequenceMatcher()\n",
            "\n    def __setattr__(self, name, value):\n        object.__setattr__(self, name, value)\n",
        ),
        "customises attribute access",
    ),
    "conditional": (_class("if size:\n    self.m = difflib.SequenceMatcher()\n"), "conditionally"),
    "read by __init__": (
        _class("self.m = difflib.SequenceMatcher()\nself.m.set_seq1('abc')\n"),
        "reads it after",
    ),
    "init parameter": (_class("self.m = re.compile('a' * size)\n"), "reads `size` from `__init__`"),
    "reads self": (_class("self.p = 'a+'\nself.m = re.compile(self.p)\n"), "reads `self`"),
    "non-constant global": (
        "import re\nP = 'a'\nP = 'b'\n\n" + _class("self.m = re.compile(P)\n").split("\n", 3)[3],
        "reads `P`, which is not a module constant",
    ),
    "unknown constructor": (
        _class("self.m = open('data.txt')\n"),
        "`open()` is not known to be free of side effects",
    ),
    "method call on a result": (
        _class("self.m = re.compile('a').pattern.upper()\n"),
        "is not known to be free of side effects",
    ),
    "assigned elsewhere": (
        _class("self.m = difflib.SequenceMatcher()\n", "\n    def reset(self):\n        self.m = None\n"),
        "also set or deleted in `reset`",
    ),
    "deleted elsewhere": (
        _class("self.m = difflib.SequenceMatcher()\n", "\n    def drop(self):\n        del self.m\n"),
        "also set or deleted in `drop`",
    ),
    "assigned twice in __init__": (
        _class("self.m = difflib.SequenceMatcher()\nself.m = difflib.SequenceMatcher(None)\n"),
        "more than once",
    ),
    "class attribute of that name": (
        _class("self.m = difflib.SequenceMatcher()\n", header="class C:\n    m = None\n"),
        "class body already defines `m`",
    ),
    "base class": (_class("self.m = difflib.SequenceMatcher()\n", header="class C(Base):"), "base class"),
    "metaclass": (
        _class("self.m = difflib.SequenceMatcher()\n", header="class C(metaclass=Meta):"),
        "keyword",
    ),
    "decorated class": (
        _class("self.m = difflib.SequenceMatcher()\n", header="@register\nclass C:"),
        "the class is decorated",
    ),
    "instance __dict__ read": (
        _class("self.m = difflib.SequenceMatcher()\n", "\n    def state(self):\n        return vars(self)\n"),
        "`__dict__`",
    ),
    "every method uses it": (
        "import difflib\n\nclass C:\n    def __init__(self):\n        self.m = difflib.SequenceMatcher()\n\n"
        "    def use(self):\n        return self.m\n\n"
        "    @classmethod\n    def make(cls):\n        return cls()\n",
        "every method uses it",
    ),
    "no other method": (
        "import difflib\n\nclass C:\n    def __init__(self):\n        self.m = difflib.SequenceMatcher()\n",
        "no instance method besides `__init__`",
    ),
    "early return": (
        _class("if size is None:\n    return\nself.m = difflib.SequenceMatcher()\n"),
        "may return before",
    ),
    "subclass defines it": (
        _class("self.m = difflib.SequenceMatcher()\n", "\n\nclass D(C):\n    m = 1\n"),
        "subclass `D` sets or defines `m`",
    ),
    "class inside a function": (
        "import difflib\n\ndef make():\n"
        + textwrap.indent(_class("self.m = difflib.SequenceMatcher()\n"), "    "),
        "defined inside a function",
    ),
    "cheap container": (
        _class("self.m = collections.defaultdict(list)\n").replace("import re", "import collections"),
        "only builds containers",
    ),
    "chained assignment": (
        _class("self.m = self.n = difflib.SequenceMatcher()\n"),
        "not a plain `self.x = ...` statement",
    ),
}


@pytest.mark.parametrize("case", sorted(NO_OP))
def test_no_op_table(case: str) -> None:
    source, reason = NO_OP[case]
    result = lazy_attributes_file(file_input(source))
    assert isinstance(result, Skipped | Unchanged), result
    assert isinstance(result, Skipped), f"{case}: not reported"
    reasons = [s.reason for s in result.skips if s.name.endswith(".m")]
    assert reasons, result.skips
    assert reason in reasons[0], reasons


def test_idempotent() -> None:
    source = _class("self.m = difflib.SequenceMatcher()\nself.n = re.compile('a' * size)\n")
    first = lazy_attributes_file(file_input(source))
    assert isinstance(first, Changed)
    assert first.applied == ("lazy attribute C.m (line 6)",)
    assert [s.name for s in first.skips] == ["C.n"]
    assert first.runtime == ("lazy",)
    second = lazy_attributes_file(file_input(first.after))
    assert isinstance(second, Skipped)  # the parameter-reading one is still reported, nothing rewritten
    assert [s.name for s in second.skips] == ["C.n"]


def test_runtime_module_comes_from_the_options() -> None:
    base = file_input(_class("self.m = difflib.SequenceMatcher()\n"))
    vendored = TransformOptions(runtime=(("lazy", "pkg._codeopt_lazy"),))
    result = lazy_attributes_file(FileInput(base.path, base.source, base.module, base.facts, vendored))
    assert isinstance(result, Changed)
    assert "from pkg._codeopt_lazy import lazy_attribute" in result.after


def test_http_session_of_co302_is_rewritten() -> None:
    """CO302's example: a session only some methods need, built without connecting."""
    source = """
        import requests

        class GitHub:
            def __init__(self, token):
                self.token = token
                self.session = requests.Session()

            def repos(self, user):
                return self.session.get(f"https://api.github.com/users/{user}/repos").json()

            def url(self, path):
                return f"https://github.com/{path}"
    """
    result = lazy_attributes_file(file_input(source))
    assert isinstance(result, Changed)
    assert "    @lazy_attribute\n    def session(self):\n        return requests.Session()\n" in result.after
    assert result.skips == ()  # `self.token = token` calls nothing: not a candidate


def test_file_reads_stay_eager() -> None:
    source = _class("self.m = json.load(open('schema.json'))\n").replace("import re", "import json")
    result = lazy_attributes_file(file_input(source))
    assert isinstance(result, Skipped)
    assert "not known to be free of side effects" in result.skips[0].reason


def test_configured_side_effect_free_constructor() -> None:
    source = "import mylib\n\n" + _class("self.m = mylib.Parser()\n").split("\n", 3)[3]
    assert isinstance(lazy_attributes_file(file_input(source)), Skipped)
    configured = lazy_attributes_file(
        file_input(source, **{"lazy-attributes.side-effect-free": ("mylib.Parser",)})
    )
    assert isinstance(configured, Changed)


def test_gitkit_code_reviewer() -> None:
    source = FIXTURE.read_text(encoding="utf-8")
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="gitkit.git_advanced")
    result = lazy_attributes_file(FileInput(FIXTURE, source, "gitkit.git_advanced", facts))
    assert isinstance(result, Changed)
    assert result.applied == (
        "lazy attribute CodeReviewer._matcher (line 1552)",
        "lazy attribute CodeReviewer._normalisers (line 1553)",
    )
    skipped = {s.name: s.reason for s in result.skips}
    assert "reads `rules` from `__init__`" in skipped["CodeReviewer.rules"]
    assert "every method uses it" in skipped["BranchNamingPolicy._slug"]
    method = "    def _matcher(self):\n        return difflib.SequenceMatcher(autojunk=False)\n"
    assert "    @lazy_attribute\n" + method in result.after


def test_registered_for_the_optimize_command() -> None:
    transform = available("lazy-attributes")
    assert transform is not None
    assert transform.flag == "--lazy-attributes"
    assert transform.run is lazy_attributes_file
    assert "CO302" in transform.rules

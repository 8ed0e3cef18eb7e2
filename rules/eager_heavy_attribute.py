"""CO302 eager-heavy-attribute: ``__init__`` builds something expensive that few methods need."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence

from codeopt.analysis.facts import EagerAttribute
from codeopt.analysis.import_cost import estimate_import_cost, is_stdlib
from codeopt.analysis.model import FileAnalysis
from codeopt.analysis.project import ProjectAnalysis
from codeopt.analysis.side_effects import SIDE_EFFECT_FREE
from codeopt.rules.base import Finding, Invalid, Option, Rule, Severity, Valid
from codeopt_rules._text import code, names

# Constructors that do I/O, start processes or threads, or build TLS contexts: the cost (or the held
# resource) is real whether or not the attribute is ever used. Cheap constructors (re.compile,
# collections, difflib.SequenceMatcher, dataclasses) are deliberately absent: laziness would only add
# indirection.
HEAVY_CONSTRUCTORS = (
    "sqlite3.connect",
    "psycopg.connect",
    "psycopg2.connect",
    "pymysql.connect",
    "redis.Redis",
    "redis.from_url",
    "requests.Session",
    "httpx.Client",
    "httpx.AsyncClient",
    "urllib3.PoolManager",
    "aiohttp.ClientSession",
    "sqlalchemy.create_engine",
    "boto3.client",
    "boto3.resource",
    "ssl.create_default_context",
    "socket.create_connection",
    "urllib.request.urlopen",
    "subprocess.run",
    "subprocess.check_output",
    "subprocess.Popen",
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "multiprocessing.Pool",
    "json.load",
    "pickle.load",
    "tomllib.load",
    "yaml.safe_load",
    "yaml.load",
    "shelve.open",
    "zipfile.ZipFile",
    "tarfile.open",
    "pandas.read_csv",
    "pandas.read_parquet",
    "pandas.read_excel",
    "pandas.read_json",
    "pandas.read_sql",
    "numpy.load",
    "numpy.loadtxt",
    "numpy.genfromtxt",
    "joblib.load",
    "torch.load",
)


class EagerHeavyAttribute(Rule):
    id = "CO302"
    name = "eager-heavy-attribute"
    severity = Severity.INFO
    summary = (
        "Finds `__init__` assignments of expensive objects (connections, clients, file contents, "
        "processes) that only some methods of the class use."
    )
    why = (
        "Every instance pays for what `__init__` builds, including instances that never call the "
        "methods needing it: a CLI object constructed for `--help`, a test that checks one method, "
        "an object built per request. When only some methods use `self.x`, it can be built on "
        "first access and cached on the instance.\n\n"
        "Expensive means a constructor in `constructors` (I/O, processes, threads, TLS contexts), "
        "a file read (`open(...)`, `Path.read_text()`), or a call into a third-party package that "
        "costs `heavy-module-ms` to import and that nothing else needs at import time: then the "
        "eager attribute is what imports it for every instance, and making it lazy lets the import "
        "be deferred too (`heavy-import-in-function-only`, CO202). Not reported: attributes "
        "`__init__` itself reads "
        "after setting them, attributes every method uses, conditional assignments (the attribute "
        "might not exist), and classes without other methods."
    )
    use_instead = code(
        """
        from codeopt_runtime.lazy import lazy_attribute


        class Store:
            def __init__(self, path):
                self.path = path

            @lazy_attribute
            def db(self):  # built on first access, then cached on the instance
                return sqlite3.connect(self.path)
        """
    ) + (
        "\n\n`functools.cached_property` works too, but since CPython 3.12 it has no lock: two "
        "threads reaching it first both build the object. `lazy_attribute` builds it once."
    )
    fix_safety = (
        "The object is built at first access instead of in `__init__`: errors it raises (a missing "
        "file, a refused connection) surface there, and side effects of building it happen later or "
        "never. Classes with `__slots__` (no instance `__dict__` to cache in) or a custom "
        "`__getattr__`/`__getattribute__`/`__setattr__` are reported without an automatic fix. "
        "When the value reads `__init__` parameters, those must be kept on the instance first."
    )
    fix = "codeopt optimize PATH --lazy-attributes"
    options = (
        Option("constructors", HEAVY_CONSTRUCTORS, "Dotted callees whose result is expensive to build."),
        Option("extra-constructors", (), "More expensive callees, added to `constructors`."),
        Option(
            "side-effect-free",
            (),
            "Callees you know build their object without side effects (no I/O, no registration): "
            "attributes built by them get the automatic fix (`codeopt optimize --lazy-attributes` "
            "reads this list too).",
        ),
        Option(
            "heavy-module-ms",
            100.0,
            "Also report calls into third-party packages that take at least this many ms to import "
            "when only function bodies use them (the attribute keeps the import eager); 0 turns "
            "this off.",
        ),
    )
    VALID = (
        # every method uses it: building it eagerly costs nothing extra
        Valid(
            """
            import sqlite3

            class Store:
                def __init__(self, path):
                    self.db = sqlite3.connect(path)

                def get(self, key):
                    return self.db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()

                def put(self, key, value):
                    self.db.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
            """
        ),
        # cheap constructor
        Valid(
            """
            import re

            class Slugger:
                def __init__(self):
                    self.pattern = re.compile(r"[^a-z0-9]+")

                def slug(self, text):
                    return self.pattern.sub("-", text.lower())

                def name(self):
                    return "slugger"
            """
        ),
        # __init__ uses it right away
        Valid(
            """
            import json

            class Config:
                def __init__(self, path):
                    self.data = json.load(open(path))
                    self.name = self.data["name"]

                def get(self, key):
                    return self.data[key]

                def describe(self):
                    return self.name
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import requests

            class GitHub:
                def __init__(self, token):
                    self.token = token
                    self.session = requests.Session()

                def repos(self, user):
                    return self.session.get(f"https://api.github.com/users/{user}/repos").json()

                def url(self, path):
                    return f"https://github.com/{path}"
            """,
            line=6,
            message="`GitHub.__init__` builds `self.session` eagerly",
        ),
        Invalid(
            """
            import json

            class Report:
                __slots__ = ("path", "schema")

                def __init__(self, path):
                    self.path = path
                    self.schema = json.load(open("schema.json"))

                def validate(self, row):
                    return set(row) <= set(self.schema)

                def title(self):
                    return self.path
            """,
            line=8,
            message="__slots__",
        ),
        Invalid(
            """
            import difflib

            class Reviewer:
                def __init__(self):
                    self.matcher = difflib.SequenceMatcher(autojunk=False)

                def similar(self, a, b):
                    self.matcher.set_seqs(a, b)
                    return self.matcher.ratio()

                def name(self):
                    return "reviewer"
            """,
            line=5,
            options={"extra-constructors": ("difflib.SequenceMatcher",)},
        ),
    )

    def check_project(self, project: ProjectAnalysis) -> Iterator[Finding]:
        internal = {name.split(".", 1)[0] for name in project.by_module()}
        for file in project.files:
            yield from self._check(file, internal)

    def _check(self, file: FileAnalysis, internal: set[str]) -> Iterator[Finding]:
        wanted = {*self.option("constructors"), *self.option("extra-constructors")}
        min_ms: float = self.option("heavy-module-ms")
        for attr in file.facts.attributes:
            if attr.used_in_init or attr.conditional or not attr.methods or len(attr.used_by) >= attr.methods:
                continue
            reason = _expensive(attr, wanted) or _keeps_heavy_import_eager(attr, file, internal, min_ms)
            if reason:
                yield self._finding(file, attr, reason)

    def _finding(self, file: FileAnalysis, attr: EagerAttribute, reason: str) -> Finding:
        if attr.used_by:
            listed = names(list(attr.used_by), 3)
            users = f"only {len(attr.used_by)} of its {attr.methods} other methods use it ({listed})"
        else:
            users = f"none of its {attr.methods} other methods uses it"
        message = (
            f"`{attr.class_name}.__init__` builds `self.{attr.attribute}` eagerly ({reason}) but {users}"
        )
        params = [n for n in attr.init_names if n not in ("self", "cls")]
        blockers = []
        if attr.has_slots:
            blockers.append(
                "the class has `__slots__`: there is no instance `__dict__` to cache the value in"
            )
        if attr.custom_getattr:
            blockers.append("the class customises attribute access (`__getattr__`/`__setattr__`)")
        side_effects = _side_effects(attr, self.option("side-effect-free"))
        if side_effects:
            blockers.append(
                f"building it has side effects ({side_effects}): defer it by hand where that is safe"
            )
        if params:
            blockers.append(
                f"the value reads {names(params, 3)} from `__init__`: keep it on the instance first"
            )
        if blockers:
            message += f"; not automatic: {blockers[0].split(':')[0]}"
        return self.finding(
            file,
            attr.lineno,
            message,
            _proposal(attr, params, blockers),
            end_line=attr.end_lineno,
            symbol=f"{attr.class_name}.{attr.attribute}",
            data={"methods": attr.methods, "used_by": len(attr.used_by)},
            fix="" if blockers else None,
        )


def _side_effects(attr: EagerAttribute, declared: Sequence[str]) -> str:
    """What makes deferring the value unsafe to automate ("" when every call is side-effect free)."""
    if attr.reads_file:
        return "it reads a file"
    for call in attr.calls:
        if call not in SIDE_EFFECT_FREE and call not in declared:
            return f"`{call}()`"
    return ""


def _expensive(attr: EagerAttribute, wanted: set[str]) -> str:
    """Why building the value is expensive ("" when it is not)."""
    for call in attr.calls:
        if call in wanted:
            return f"`{call}()`"
    return "it reads a file" if attr.reads_file else ""


def _keeps_heavy_import_eager(
    attr: EagerAttribute, file: FileAnalysis, internal: set[str], min_ms: float
) -> str:
    """A call into a costly third-party package whose import only functions need: building the value
    in ``__init__`` imports the package for every instance, so the attribute is what keeps the import
    (see CO202) from being deferred. Calls into packages imported at import time anyway, or into the
    project itself, cost no import and are not reported."""
    if min_ms <= 0:
        return ""
    for call in attr.calls:
        top = call.split(".", 1)[0]
        if call.startswith("()") or "." not in call or top in internal or is_stdlib(top):
            continue
        if top in sys.builtin_module_names:
            continue
        bindings = [b for b in file.facts.imports if call == b.target or call.startswith(b.target + ".")]
        if not bindings or not all(b.used_only_in_functions for b in bindings):
            continue
        estimate = estimate_import_cost(bindings[0].module)
        if estimate.ms >= min_ms:
            return f"`{call}()` imports {bindings[0].module}, ~{estimate.ms:.0f} ms, for every instance"
    return ""


def _proposal(attr: EagerAttribute, params: list[str], blockers: list[str]) -> str:
    value = attr.value_text
    keep = []
    for param in params:
        value = re.sub(rf"\b{re.escape(param)}\b", f"self._{param}", value)
        keep.append(f"self._{param} = {param}")
    body = value.splitlines() or [value]
    lines = [
        "from codeopt_runtime.lazy import lazy_attribute",
        "",
        f"class {attr.class_name.rsplit('.', 1)[-1]}:",
        "    ...",
        "    @lazy_attribute",
        f"    def {attr.attribute}(self):",
        f"        return {body[0].strip()}",
        *(f"        {line.strip()}" for line in body[1:]),
    ]
    drop = f"delete line {attr.lineno} (`self.{attr.attribute} = ...`) from `__init__`"
    if keep:
        drop += f" and keep `{'; '.join(keep)}` there instead"
    head = (
        "Build it on first access instead"
        if not blockers
        else f"Not automatic: {'; '.join(blockers)}. Aim for"
    )
    slots = ""
    if attr.has_slots:
        slots = f"\nWith `__slots__`, either add `'__dict__'` to them or keep `{attr.attribute}` eager."
    return f"{head}:\n{code(lines)}\nand {drop}.{slots}"

"""What is known about side effects, shared by the rules and the transforms that fix their findings.

CO302 (eager-heavy-attribute) promises an automatic fix only where ``optimize --lazy-attributes``
will apply one, and the transform applies one only for ``SIDE_EFFECT_FREE`` constructors: deferring
anything else (a connection, a file read) changes when its side effects happen. Likewise CO202 and
``optimize --lazy-imports`` never defer ``IMPORTED_FOR_EFFECT`` modules. One list each keeps a rule and
its fix from disagreeing.
"""

from __future__ import annotations

# Constructors that only build an in-memory object: no I/O that changes anything, no threads, no global
# registration, no file content read (a file read later could see different content).
SIDE_EFFECT_FREE = (
    "difflib.SequenceMatcher",
    "difflib.Differ",
    "difflib.HtmlDiff",
    "re.compile",
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.deque",
    "collections.Counter",
    "collections.ChainMap",
    "json.JSONDecoder",
    "json.JSONEncoder",
    "string.Template",
    "string.Formatter",
    "struct.Struct",
    "textwrap.TextWrapper",
    "pprint.PrettyPrinter",
    "csv.Sniffer",
    "decimal.Context",
    "fractions.Fraction",
    "zlib.compressobj",
    "zlib.decompressobj",
    "hashlib.sha256",
    "hashlib.md5",
    "hashlib.sha1",
    # Heavy, but they only build client objects: no connection, no write, until first used (CO302's
    # usual findings). Errors in their arguments surface at first use instead of in __init__.
    "requests.Session",
    "requests.session",
    "httpx.Client",
    "urllib3.PoolManager",
    "redis.Redis",
    "redis.StrictRedis",
    "redis.from_url",
    "sqlalchemy.create_engine",
    "ssl.create_default_context",
)

# Modules imported for what importing them does (registering listeners, patching the stdlib, input
# hooks, codecs, compiler directives): deferring them changes behaviour, not just timing.
IMPORTED_FOR_EFFECT = (
    "sqlalchemy.events",
    "gevent.monkey",
    "eventlet",
    "readline",
    "rlcompleter",
    "setuptools",
    "pkg_resources",
    "encodings",
    "site",
    "__future__",
)

"""codeopt_runtime: the small library that code rewritten by codeopt imports.

Importing this package must stay cheap: it imports nothing from codeopt or codeopt's dependencies and
no optional extra (redis, psutil); submodules are loaded on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

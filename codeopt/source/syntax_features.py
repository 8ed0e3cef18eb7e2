"""Names of the newer-syntax features the lowering step knows, in a module of their own.

The metrics name these features on every run, but the lowering itself needs LibCST (a third of a
second to import); keeping the names here lets a warm run skip that import entirely.
"""

from __future__ import annotations

TYPE_PARAMETERS = "PEP 695 type parameters"
TYPE_ALIASES = "PEP 695 type aliases"
FSTRINGS = "PEP 701 f-strings"
TEMPLATE_STRINGS = "PEP 750 template strings"
EXCEPT_WITHOUT_PARENS = "PEP 758 unparenthesized except"
LAZY_IMPORTS = "PEP 810 lazy imports"

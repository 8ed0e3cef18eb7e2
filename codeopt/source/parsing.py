"""One parse per file per run: a :class:`SourceFile` hands the same trees to every analysis.

``ast`` is ~10x cheaper than LibCST, so metrics, imports and facts use the ``ast`` tree; the LibCST
module is built only when something needs a concrete syntax tree (transforms, split planning).

The analysed code may target a newer Python than the one running codeopt. When the host's ``ast``
rejects a file, LibCST (which parses 3.0-3.15) decides whether the file is valid; if it is, the file
is *lowered* to an equivalent the host can parse for metrics (type parameters dropped, ``lazy``
removed, ...), line numbers unchanged, and a note says which features were lowered.
"""

from __future__ import annotations

import ast
import hashlib
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from codeopt.errors import ParseFailure

if TYPE_CHECKING:
    import libcst


@dataclass
class SourceFile:
    """A decoded Python file and its lazily built syntax trees."""

    path: Path
    display: str  # what users see: posix path relative to the project root
    module: str  # dotted module name, "" when unknown
    is_package: bool
    text: str
    encoding: str = "utf-8"
    lowered: tuple[str, ...] = field(default=(), init=False)  # newer-syntax features lowered for ast

    @cached_property
    def content_hash(self) -> str:
        return hashlib.blake2b(self.text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def ast_tree(self) -> ast.Module:
        """The host ``ast`` tree; for newer syntax, the tree of the lowered text (see module doc)."""
        try:
            return _ast_parse(self.text, self.display)
        except _TooDeep:
            # LibCST is far slower on such input (minutes for a 5,000-term sum) and cannot help
            raise ParseFailure("nesting too deep to parse", self.display) from None
        except SyntaxError as host_error:
            try:
                self.cst_module  # noqa: B018 - is the file valid for a newer Python?
            except ParseFailure:
                # invalid for every version: the host's message is the clearer one
                raise ParseFailure(_syntax_reason(host_error), self.display) from None
            from codeopt.source.lowering import lower_for_host

            try:
                lowered = lower_for_host(self.cst_module)
            except ParseFailure as exc:
                raise ParseFailure(exc.reason, self.display) from None
            try:
                tree = _ast_parse(lowered.text, self.display)
            except SyntaxError:
                raise ParseFailure(_syntax_reason(host_error), self.display) from None
            self.lowered = lowered.features
            return tree

    @cached_property
    def cst_module(self) -> libcst.Module:
        import libcst

        try:
            return libcst.parse_module(self.text)
        except libcst.ParserSyntaxError as exc:
            raise ParseFailure(
                f"syntax error at line {exc.raw_line}: {_first_line(exc.message)}", self.display
            ) from None
        except RecursionError:
            raise ParseFailure("nesting too deep to parse", self.display) from None


class _TooDeep(Exception):
    """The host parser ran out of stack: a generated expression, not a newer syntax."""


def _ast_parse(text: str, filename: str) -> ast.Module:
    with warnings.catch_warnings():
        # Invalid escape sequences etc. are the user's business, not a crash or noise for us.
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text, filename=filename, type_comments=False)
        except (RecursionError, MemoryError):
            raise _TooDeep from None
        except ValueError as exc:  # e.g. NUL bytes slipped through
            raise SyntaxError(str(exc)) from None


def _syntax_reason(exc: SyntaxError) -> str:
    where = f"line {exc.lineno}" if exc.lineno else "unknown line"
    return f"syntax error at {where}: {exc.msg}"


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "invalid syntax"

"""Lowering newer-Python syntax to code the host's ``ast`` (3.11) parses, for metrics only.

The lowered text is never written anywhere: it exists so the ``ast``-based analyses can run on a
file that uses syntax newer than the running interpreter. Two properties make their results right:

* every line keeps its number -- removed text that spanned lines is replaced by explicit line
  continuations (``\\`` newline) or by newlines inside brackets, so positions, function spans and
  per-function line counts stay valid;
* control flow and expressions are kept -- only declarations with no runtime branching are dropped
  (type parameters), keywords that change *when* code runs are removed (``lazy``), and strings keep
  every embedded expression, so complexity and Halstead counts see the same nodes.

Lowerings (``Lowered.features`` names them):

* PEP 695 type parameters on ``def``/``class`` are dropped; ``type X[T] = v`` becomes ``X = v``;
* PEP 701 f-strings that 3.11 cannot parse (reused quotes, backslashes or comments in replacement
  fields, multi-line single-quoted) become ``__codeopt_fstring__((expr1), (expr2), ...)`` over the
  same lines, comments and all;
* PEP 750 template strings become f-strings (then as above if needed);
* PEP 758 ``except A, B:`` gets its parentheses;
* PEP 810 ``lazy import`` / ``lazy from ... import`` become plain imports.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from codeopt.errors import ParseFailure
from codeopt.source.syntax_features import (  # re-exported for callers
    EXCEPT_WITHOUT_PARENS,
    FSTRINGS,
    LAZY_IMPORTS,
    TEMPLATE_STRINGS,
    TYPE_ALIASES,
    TYPE_PARAMETERS,
)

FSTRING_CALL = "__codeopt_fstring__"
_ORDER = (TYPE_PARAMETERS, TYPE_ALIASES, FSTRINGS, TEMPLATE_STRINGS, EXCEPT_WITHOUT_PARENS, LAZY_IMPORTS)


@dataclass(frozen=True, slots=True)
class Lowered:
    """The lowered source (same line count and numbering) and the features that were lowered."""

    text: str
    features: tuple[str, ...]


def lower_for_host(module: cst.Module) -> Lowered:
    """Rewrite ``module`` so the host ``ast.parse`` accepts it, keeping every line number.

    Raises :class:`ParseFailure` (without a path; the caller knows it) when the tree is too deep for
    LibCST's recursive visitors.
    """
    lowerer = _Lowerer(module)
    try:
        lowered = module.visit(lowerer)
        text = lowered.code
    except RecursionError:
        raise ParseFailure("nesting too deep to lower newer syntax for this Python") from None
    return Lowered(text, tuple(feature for feature in _ORDER if feature in lowerer.features))


class _Lowerer(cst.CSTTransformer):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.features: set[str] = set()
        # Innermost string context: True directly inside a ConcatenatedString (its pieces are
        # lowered together), False inside a replacement field (a fresh expression).
        self._in_concatenation: list[bool] = [False]

    def _code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def _newlines(self, *nodes: object) -> int:
        """Line breaks in the code of ``nodes`` (sentinels and ``None`` have none)."""
        return sum(self._code(node).count("\n") for node in nodes if isinstance(node, cst.CSTNode))

    # PEP 695 -------------------------------------------------------------------------------------
    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if updated_node.type_parameters is None:
            return updated_node
        self.features.add(TYPE_PARAMETERS)
        lines = self._newlines(
            updated_node.whitespace_after_name,
            updated_node.type_parameters,
            updated_node.whitespace_after_type_parameters,
        )
        return updated_node.with_changes(
            type_parameters=None,
            whitespace_after_name=_continuations(lines),
            whitespace_after_type_parameters=cst.SimpleWhitespace(""),
        )

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        if updated_node.type_parameters is None:
            return updated_node
        self.features.add(TYPE_PARAMETERS)
        lines = self._newlines(
            updated_node.whitespace_after_name,
            updated_node.type_parameters,
            updated_node.whitespace_after_type_parameters,
        )
        return updated_node.with_changes(
            type_parameters=None,
            whitespace_after_name=_continuations(lines),
            whitespace_after_type_parameters=cst.SimpleWhitespace(""),
        )

    def leave_TypeAlias(self, original_node: cst.TypeAlias, updated_node: cst.TypeAlias) -> cst.Assign:
        self.features.add(TYPE_ALIASES)
        if updated_node.type_parameters is not None:
            self.features.add(TYPE_PARAMETERS)
        lines = self._newlines(
            updated_node.whitespace_after_type,
            updated_node.whitespace_after_name,
            updated_node.type_parameters,
            updated_node.whitespace_after_type_parameters,
        )
        target = cst.AssignTarget(
            target=updated_node.name,
            whitespace_before_equal=cst.SimpleWhitespace(" " + "\\\n" * lines),
            whitespace_after_equal=updated_node.whitespace_after_equals,
        )
        return cst.Assign(targets=[target], value=updated_node.value, semicolon=updated_node.semicolon)

    # PEP 810 -------------------------------------------------------------------------------------
    def leave_LazyImport(self, original_node: cst.LazyImport, updated_node: cst.LazyImport) -> cst.Import:
        self.features.add(LAZY_IMPORTS)
        return cst.Import(
            names=updated_node.names,
            semicolon=updated_node.semicolon,
            whitespace_after_import=_prefixed(
                updated_node.whitespace_after_import, self._newlines(updated_node.whitespace_after_lazy)
            ),
        )

    def leave_LazyImportFrom(
        self, original_node: cst.LazyImportFrom, updated_node: cst.LazyImportFrom
    ) -> cst.ImportFrom:
        self.features.add(LAZY_IMPORTS)
        return cst.ImportFrom(
            module=updated_node.module,
            names=updated_node.names,
            relative=updated_node.relative,
            lpar=updated_node.lpar,
            rpar=updated_node.rpar,
            semicolon=updated_node.semicolon,
            whitespace_after_from=_prefixed(
                updated_node.whitespace_after_from, self._newlines(updated_node.whitespace_after_lazy)
            ),
            whitespace_before_import=updated_node.whitespace_before_import,
            whitespace_after_import=updated_node.whitespace_after_import,
        )

    # PEP 758 -------------------------------------------------------------------------------------
    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        return updated_node.with_changes(type=self._parenthesized(updated_node.type))

    def leave_ExceptStarHandler(
        self, original_node: cst.ExceptStarHandler, updated_node: cst.ExceptStarHandler
    ) -> cst.ExceptStarHandler:
        return updated_node.with_changes(type=self._parenthesized(updated_node.type))

    def _parenthesized(self, type_: cst.BaseExpression | None) -> cst.BaseExpression | None:
        if isinstance(type_, cst.Tuple) and not type_.lpar:
            self.features.add(EXCEPT_WITHOUT_PARENS)
            return type_.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return type_

    # PEP 701 and PEP 750 -------------------------------------------------------------------------
    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._in_concatenation.append(True)

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._in_concatenation.append(False)

    def leave_FormattedStringExpression(
        self, original_node: cst.FormattedStringExpression, updated_node: cst.FormattedStringExpression
    ) -> cst.FormattedStringExpression:
        self._in_concatenation.pop()
        return updated_node

    def visit_TemplatedStringExpression(self, node: cst.TemplatedStringExpression) -> None:
        self._in_concatenation.append(False)

    def leave_TemplatedStringExpression(
        self, original_node: cst.TemplatedStringExpression, updated_node: cst.TemplatedStringExpression
    ) -> cst.TemplatedStringExpression:
        self._in_concatenation.pop()
        return updated_node

    def leave_TemplatedString(
        self, original_node: cst.TemplatedString, updated_node: cst.TemplatedString
    ) -> cst.BaseExpression:
        self.features.add(TEMPLATE_STRINGS)
        as_fstring = cst.FormattedString(
            parts=_as_fstring_parts(updated_node.parts),
            start=updated_node.start.replace("t", "f").replace("T", "f"),
            end=updated_node.end,
            lpar=updated_node.lpar,
            rpar=updated_node.rpar,
        )
        return self._host_string(as_fstring)

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        return self._host_string(updated_node)

    def leave_ConcatenatedString(
        self, original_node: cst.ConcatenatedString, updated_node: cst.ConcatenatedString
    ) -> cst.BaseExpression:
        self._in_concatenation.pop()
        return self._host_string(updated_node)

    def _host_string(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """``node`` if the host parses it (or its enclosing concatenation decides), else the call."""
        if self._in_concatenation[-1] or _host_parses(self._code(node)):
            return node
        self.features.add(FSTRINGS)
        call = cst.parse_expression(f"{FSTRING_CALL}({self._string_arguments(node)})")
        return call.with_changes(lpar=getattr(node, "lpar", ()), rpar=getattr(node, "rpar", ()))

    def _string_arguments(self, node: cst.CSTNode) -> str:
        """Every replacement-field expression as a call argument, newlines (and comments) kept."""
        if isinstance(node, cst.ConcatenatedString):
            between = self._code(node.whitespace_between)
            return self._string_arguments(node.left) + between + self._string_arguments(node.right)
        if isinstance(node, cst.FormattedString):
            return self._parts_arguments(node.parts)
        return "\n" * self._newlines(node)

    def _parts_arguments(self, parts: Sequence[cst.BaseFormattedStringContent]) -> str:
        pieces: list[str] = []
        for part in parts:
            if not isinstance(part, cst.FormattedStringExpression):
                pieces.append("\n" * self._newlines(part))
                continue
            before = self._code(part.whitespace_before_expression)
            after = self._code(part.whitespace_after_expression)
            argument = f"({before}{self._code(part.expression)}{after}),"
            spec = self._parts_arguments(part.format_spec) if part.format_spec else ""
            missing = self._newlines(part) - argument.count("\n") - spec.count("\n")
            pieces.append(argument + spec + "\n" * max(missing, 0))
        return "".join(pieces)


def _as_fstring_parts(
    parts: Sequence[cst.BaseTemplatedStringContent],
) -> list[cst.BaseFormattedStringContent]:
    converted: list[cst.BaseFormattedStringContent] = []
    for part in parts:
        if isinstance(part, cst.TemplatedStringExpression):
            converted.append(
                cst.FormattedStringExpression(
                    expression=part.expression,
                    conversion=part.conversion,
                    format_spec=_as_fstring_parts(part.format_spec) if part.format_spec is not None else None,
                    whitespace_before_expression=part.whitespace_before_expression,
                    whitespace_after_expression=part.whitespace_after_expression,
                    equal=part.equal,
                )
            )
        else:
            assert isinstance(part, cst.TemplatedStringText)
            converted.append(cst.FormattedStringText(part.value))
    return converted


def _host_parses(code: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes are the user's business
        try:
            ast.parse(f"({code}\n)", mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _continuations(lines: int) -> cst.SimpleWhitespace:
    """Whitespace standing in for removed text that spanned ``lines`` line breaks."""
    return cst.SimpleWhitespace("\\\n" * lines)


def _prefixed(whitespace: cst.SimpleWhitespace, lines: int) -> cst.SimpleWhitespace:
    return whitespace if not lines else cst.SimpleWhitespace("\\\n" * lines + whitespace.value)

"""Raw line counts with radon's definitions, in one pass over the text.

radon's ``raw.analyze`` re-tokenizes a growing buffer for every logical line, which is quadratic in
the length of a statement (minutes on some stdlib files). Its results depend only on where logical
lines start and end and on a few facts about each logical line, all of which one tokenizer pass over
the whole file yields. Like radon, each physical line is stripped before tokenizing: the counts do
not depend on indentation, and the tokenizer cannot trip over tabs and form feeds in indentation.

Two scanners compute the same thing. ``tokenize`` is the reference, but costs about two thirds of
``measure``'s time; a single regular expression that tells apart only what the counts need (strings,
comments, brackets, ``:``, ``;``, line ends, and runs of anything else) is about five times faster and
runs first. It gives up -- and ``tokenize`` decides -- on anything it does not fully understand: an
unknown character, an unterminated string or bracket, an f-string with unbalanced braces (PEP 701
quote reuse). A logical line with a ``:`` before a ``;`` is counted exactly by ``tokenize`` alone
(radon's rule then depends on exact token counts). The tests and ``bench/metrics_vs_radon.py``
check that both scanners agree on every file.

Physical lines are what Python sees (``\\n``, ``\\r\\n``, ``\\r``), not ``str.splitlines`` (radon), which
also breaks at form feeds, ``\\v``, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028`` and ``\\u2029``; see
docs/metrics.md. Tokenization follows Python 3.11: an f-string is one string token. On newer hosts the
f-string token sequence is folded back into one token so results do not depend on the host.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from codeopt.analysis.model import RawMetrics

# Per-line classification (values of LineScan.kinds).
BLANK = 0
CODE = 1
COMMENT = 2  # a line holding only a comment
DOCSTRING = 3  # a string alone on one line: radon counts it as a single-line comment
MULTI = 4  # a non-blank line of a multi-line string statement

_NEWLINES = re.compile(r"\r\n|\r|\n")
_STRING = tokenize.STRING
_COMMENT_TOKEN = tokenize.COMMENT
_NEWLINE = tokenize.NEWLINE
_NL = tokenize.NL
_OP = tokenize.OP
_LAYOUT = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})
# Python 3.12+ splits f-strings (and 3.14+ t-strings) into several tokens; they are folded into one.
_FSTRING_START = frozenset(
    getattr(tokenize, name) for name in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, name)
)
_FSTRING_END = frozenset(
    getattr(tokenize, name) for name in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, name)
)


class RawScanError(Exception):
    """The text does not tokenize; callers fall back to an approximate count."""


@dataclass(frozen=True, slots=True)
class LineScan:
    """Raw metrics plus the kind of every physical line (``kinds[i]`` is line ``i + 1``).

    ``approximate`` is ``None`` for an exact count, else why the count is only approximate.
    """

    metrics: RawMetrics
    kinds: bytes
    approximate: str | None = None

    def sloc_between(self, first: int, last: int) -> int:
        """Source lines of code in the 1-based inclusive line range ``first..last``."""
        return self.kinds[max(first, 1) - 1 : max(last, 0)].count(CODE)


def raw_metrics(text: str) -> RawMetrics:
    """radon's raw metrics for ``text``; approximate (line-based) if it does not tokenize."""
    return scan_lines(text).metrics


def scan_lines(text: str) -> LineScan:
    """Classify every line, exactly when the text tokenizes, else with a line-based approximation."""
    lines = split_lines(text)
    return scan_regex(lines) or scan_tokens(lines)


def scan_tokens(lines: list[str]) -> LineScan:
    """The reference scan with ``tokenize`` (approximate when the text does not tokenize)."""
    try:
        return _scan_tokens(lines)
    except RawScanError as exc:
        return approximate_scan(lines, f"the text does not tokenize ({exc})")


def split_lines(text: str) -> list[str]:
    """Physical lines, stripped (as radon strips them), without a phantom line after a final newline."""
    lines = _NEWLINES.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return [line.strip() for line in lines]


class _GiveUp(Exception):
    """The fast scan met something only ``tokenize`` can judge."""


class _Scan:
    """What both scanners track: line kinds and totals, and the logical line being read.

    ``start`` is the logical line's first row, ``significant`` its significant tokens so far (``;``
    included). Its current ``;``-separated part begins after ``part_start`` significant tokens; its
    last ``:`` had ``colon_at`` significant tokens before it (in this part when ``>= part_start``).
    ``string_rows`` are the rows of its lone string token: they matter only if ``significant == 1``.
    """

    __slots__ = (
        "colon_at",
        "comments",
        "has_comment",
        "kinds",
        "line_lloc",
        "lines",
        "lloc",
        "part_start",
        "significant",
        "start",
        "string_rows",
    )

    lines: list[str]
    kinds: bytearray
    comments: int
    lloc: int
    start: int
    significant: int
    string_rows: tuple[int, int] | None
    has_comment: bool
    part_start: int
    colon_at: int
    line_lloc: int

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        # CODE or BLANK by emptiness; only comment-only rows and lone strings change kind later.
        self.kinds = bytearray(CODE if line else BLANK for line in lines)
        self.comments = self.lloc = 0
        self.start = 0
        self._new_logical_line()

    def _new_logical_line(self) -> None:
        self.significant = self.part_start = self.line_lloc = 0
        self.colon_at = -1
        self.string_rows = None
        self.has_comment = False

    def _comment(self, row: int) -> None:
        self.comments += 1
        if self.significant:
            self.has_comment = True
        else:
            self.kinds[row - 1] = COMMENT

    def _semicolon(self) -> None:
        self.line_lloc += self._part_lloc(final=False)
        self.significant += 1
        self.part_start = self.significant

    def _part_lloc(self, final: bool) -> int:
        """radon's ``_logical`` for the current ';'-separated part.

        radon looks for the last ':' of the part: the part is one logical line when that ':' is the
        second-to-last token, else two (``if x: y``). Its final part still holds ENDMARKER, so there
        the ':' must be the last real token; in earlier parts one token may follow it. A part without
        ':' counts once unless it is empty (``x = 1;``).
        """
        length = self.significant - self.part_start
        colon = self.colon_at - self.part_start
        if colon >= 0:
            return 1 if colon == length - (1 if final else 2) else 2
        return 1 if length else 0

    def _end_logical_line(self, last: int) -> None:
        """Count and classify the logical line ending on row ``last``, then start the next one."""
        self.lloc += self._logical_lloc(last)
        if self.significant == 1 and self.string_rows is not None and not self.has_comment:
            self._mark_string(last, *self.string_rows)
        self._new_logical_line()

    def _mark_string(self, last: int, first_row: int, last_row: int) -> None:
        """A string alone in its logical line: a docstring on one row, else multi-line rows."""
        if first_row == last_row:
            self.kinds[first_row - 1] = DOCSTRING
            return
        lines, kinds = self.lines, self.kinds
        for row in range(self.start, last + 1):
            kinds[row - 1] = MULTI if lines[row - 1] else BLANK

    def _logical_lloc(self, last: int) -> int:
        return self.line_lloc + self._part_lloc(final=True)

    def result(self) -> LineScan:
        kinds = self.kinds
        return LineScan(_totals(kinds, self.comments, self.lloc), bytes(kinds))


class _TokenScan(_Scan):
    """The reference scan: one ``tokenize`` pass (3.12+ f-string tokens folded into one string)."""

    __slots__ = ("fstring_depth",)

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines)
        self.fstring_depth = 0

    def run(self) -> LineScan:
        tokens = tokenize.generate_tokens(io.StringIO("\n".join(self.lines) + "\n").readline)
        try:
            for tok_type, tok_string, (srow, _), (erow, _), _ in tokens:
                if self.fstring_depth:
                    self._inside_fstring(tok_type, erow)
                elif tok_type == _COMMENT_TOKEN:
                    self._comment(srow)
                elif tok_type == _NEWLINE:
                    if self.significant:
                        self._end_logical_line(srow)
                elif tok_type != _NL and tok_type not in _LAYOUT:
                    self._token(tok_type, tok_string, srow, erow)
        except (tokenize.TokenError, SyntaxError) as exc:  # IndentationError is a SyntaxError
            raise RawScanError(str(exc.args[0] if exc.args else exc)) from None
        if self.significant:  # unterminated logical line: tokenize raised above on real files
            raise RawScanError("unterminated logical line")
        return self.result()

    def _inside_fstring(self, tok_type: int, erow: int) -> None:
        """Inside a 3.12+ f-string only its end matters (and comments)."""
        if tok_type in _FSTRING_START:
            self.fstring_depth += 1
        elif tok_type in _FSTRING_END:
            self.fstring_depth -= 1
            if not self.fstring_depth and self.string_rows is not None:
                self.string_rows = (self.string_rows[0], erow)
        elif tok_type == _COMMENT_TOKEN:
            self.comments += 1
            self.has_comment = True

    def _token(self, tok_type: int, tok_string: str, srow: int, erow: int) -> None:
        """A significant token."""
        if not self.significant:
            self.start = srow
        if tok_type == _OP:
            if tok_string == ";":
                self._semicolon()
                return
            if tok_string == ":":
                self.colon_at = self.significant
        elif tok_type in _FSTRING_START:
            self.fstring_depth = 1
            tok_type = _STRING
        if tok_type == _STRING and not self.significant:
            self.string_rows = (srow, erow)
        self.significant += 1


def _scan_tokens(lines: list[str]) -> LineScan:
    return _TokenScan(lines).run()


_STRING_PATTERN = (
    r"[rRbBuUfF]{0,2}(?:"  # Python 3.11: `t"..."` is a name and a string
    r"'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|"(?:[^"\\\n]|\\.)*")'
)
_OTHER_CHAR = r"""(?:[^\s'"#()\[\]{}:;\\]|:=)"""
# Whitespace between tokens is skipped by each match; every group is a token kind (see _RegexScan).
_LEXER = re.compile(
    r"[ \t\f]*(?:"
    rf"(?P<string>{_STRING_PATTERN})"
    rf"|(?P<other>{_OTHER_CHAR}+(?:[ \t\f]+{_OTHER_CHAR}+)*)"  # names, numbers, operators, `:=`
    r"|(?P<newline>\n)|(?P<open>[(\[{])|(?P<close>[)\]}])"
    r"|(?P<colon>:)|(?P<semicolon>;)|(?P<comment>#[^\n]*)|(?P<continuation>\\\n)|(?P<unknown>.))",
    re.DOTALL,
)
_FSTRING_PREFIX = re.compile(r"[rRbBuU]?[fF]")


def scan_regex(lines: list[str]) -> LineScan | None:
    """The fast scan; ``None`` when the text holds something only ``tokenize`` can judge."""
    try:
        return _RegexScan(lines).run()
    except (_GiveUp, RawScanError):
        return None


class _RegexScan(_Scan):
    """One pass of ``_LEXER``: a method per token kind, looked up by the match's group number.

    ``start`` is kept as the row after the last logical line (or continuation before any token), which
    is the row of the next logical line's first token: comment-only and blank rows end no line.
    """

    __slots__ = ("depth", "exact", "row", "source")

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines)
        self.row = self.start = 1
        self.depth = 0
        self.exact = False  # a ':' before a ';': radon's rule needs this logical line's exact tokens
        self.source = "\n".join(lines) + "\n"

    def run(self) -> LineScan:
        handlers = (
            self._unknown,  # group 0: never the last group
            self._string,
            self._other,
            self._newline,
            self._open,
            self._close,
            self._colon,
            self._semicolon_match,
            self._comment_match,
            self._continuation,
            self._unknown,
        )
        for match in _LEXER.finditer(self.source):
            handlers[match.lastindex](match)  # type: ignore[index]
        if self.significant or self.depth:
            raise _GiveUp
        return self.result()

    def _string(self, match: re.Match[str]) -> None:
        text = match.group(1)
        at = match.start(1)
        is_fstring = _FSTRING_PREFIX.match(text) or (at and self.source[at - 1] in "fF")
        if is_fstring and not _braces_balance(text):
            raise _GiveUp  # PEP 701 reuse of the quote inside a replacement field
        first = self.row
        self.row += text.count("\n")
        self.string_rows = (first, self.row)
        self.significant += 1

    def _other(self, _: re.Match[str]) -> None:
        self.significant += 1

    def _newline(self, _: re.Match[str]) -> None:
        self.row += 1
        if self.depth:
            return
        if self.significant:
            self._end_logical_line(self.row - 1)
        self.start = self.row

    def _open(self, _: re.Match[str]) -> None:
        self.significant += 1
        self.depth += 1

    def _close(self, _: re.Match[str]) -> None:
        self.significant += 1
        self.depth -= 1
        if self.depth < 0:
            raise _GiveUp

    def _colon(self, _: re.Match[str]) -> None:
        self.colon_at = self.significant
        self.significant += 1

    def _semicolon_match(self, _: re.Match[str]) -> None:
        if self.depth:
            raise _GiveUp
        self.exact = self.exact or self.colon_at >= self.part_start
        self._semicolon()

    def _comment_match(self, _: re.Match[str]) -> None:
        self._comment(self.row)

    def _continuation(self, _: re.Match[str]) -> None:
        self.row += 1
        if not self.significant:
            self.start = self.row

    def _unknown(self, _: re.Match[str]) -> None:
        raise _GiveUp

    def _logical_lloc(self, last: int) -> int:
        if not self.exact:
            return self.line_lloc + self._part_lloc(final=True)
        self.exact = False
        return _scan_tokens(self.lines[self.start - 1 : last]).metrics.lloc


def _braces_balance(fstring: str) -> bool:
    body = fstring.replace("{{", "").replace("}}", "")
    return body.count("{") == body.count("}")


def _totals(kinds: bytearray, comments: int, lloc: int) -> RawMetrics:
    return RawMetrics(
        loc=len(kinds),
        lloc=lloc,
        sloc=kinds.count(CODE),
        comments=comments,
        single_comments=kinds.count(COMMENT) + kinds.count(DOCSTRING),
        multi=kinds.count(MULTI),
        blank=kinds.count(BLANK),
    )


def approximate_scan(lines: list[str], why: str) -> LineScan:
    """Line-based counts for text that does not tokenize: blank, ``#`` lines, everything else code.

    Strings are not recognised, so docstring lines count as code and comments inside strings as
    comments; ``lloc`` is the number of code lines.
    """
    kinds = bytearray(BLANK if not line else COMMENT if line.startswith("#") else CODE for line in lines)
    comments = sum(1 for line in lines if "#" in line)
    return LineScan(_totals(kinds, comments, kinds.count(CODE)), bytes(kinds), why)

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


def _scan_tokens(lines: list[str]) -> LineScan:
    kinds = bytearray(CODE if line else BLANK for line in lines)
    comments = lloc = 0
    # State of the logical line being read: first row (0 = none yet), significant-token facts.
    start = 0
    significant = 0  # significant tokens in the logical line
    only_string_rows: tuple[int, int] | None = None  # rows of a lone string token
    has_comment = False
    part_len = 0  # significant tokens in the current ';'-separated part
    last_colon = -1  # index of the last ':' in the current part
    fstring_depth = 0
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    try:
        for tok_type, tok_string, (srow, _), (erow, _), _ in tokens:
            if fstring_depth:  # inside a 3.12+ f-string: only its end matters (and comments)
                if tok_type in _FSTRING_START:
                    fstring_depth += 1
                elif tok_type in _FSTRING_END:
                    fstring_depth -= 1
                    if not fstring_depth and only_string_rows is not None:
                        only_string_rows = (only_string_rows[0], erow)
                elif tok_type == _COMMENT_TOKEN:
                    comments += 1
                    has_comment = True
                continue
            if tok_type == _COMMENT_TOKEN:
                comments += 1
                if start:
                    has_comment = True
                else:
                    kinds[srow - 1] = COMMENT
                continue
            if tok_type == _NL or tok_type in _LAYOUT:
                continue
            if tok_type == _NEWLINE:
                if start:
                    lloc += _part_lloc(part_len, last_colon, final=True)
                    _classify(kinds, lines, start, srow, significant, only_string_rows, has_comment)
                start = significant = part_len = 0
                last_colon = -1
                only_string_rows = None
                has_comment = False
                continue
            # A significant token.
            if not start:
                start = srow
            if tok_type == _OP:
                if tok_string == ";":
                    lloc += _part_lloc(part_len, last_colon, final=False)
                    part_len = 0
                    last_colon = -1
                    significant += 1
                    continue
                if tok_string == ":":
                    last_colon = part_len
            elif tok_type in _FSTRING_START:
                fstring_depth = 1
                tok_type = _STRING
            significant += 1
            part_len += 1
            if significant == 1 and tok_type == _STRING:
                only_string_rows = (srow, erow)
            elif significant > 1:
                only_string_rows = None
    except (tokenize.TokenError, SyntaxError) as exc:  # IndentationError is a SyntaxError
        raise RawScanError(str(exc.args[0] if exc.args else exc)) from None
    if start:  # unterminated logical line: tokenize raised above on real files; be safe anyway
        raise RawScanError("unterminated logical line")
    return LineScan(_totals(kinds, comments, lloc), bytes(kinds))


_STRING_PATTERN = (
    r"[rRbBuUfF]{0,2}(?:"  # Python 3.11: `t"..."` is a name and a string
    r"'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|"(?:[^"\\\n]|\\.)*")'
)
_OTHER_CHAR = r"""(?:[^\s'"#()\[\]{}:;\\]|:=)"""
_LEXER = re.compile(
    rf"(?P<string>{_STRING_PATTERN})"
    rf"|(?P<other>{_OTHER_CHAR}+(?:[ \t\f]+{_OTHER_CHAR}+)*)"  # names, numbers, operators, `:=`
    r"|(?P<space>[ \t\f]+)|(?P<newline>\n)|(?P<open>[(\[{])|(?P<close>[)\]}])"
    r"|(?P<colon>:)|(?P<semicolon>;)|(?P<comment>#[^\n]*)|(?P<continuation>\\\n)|(?P<unknown>.)",
    re.DOTALL,
)
_FSTRING_PREFIX = re.compile(r"[rRbBuU]?[fF]")


def scan_regex(lines: list[str]) -> LineScan | None:
    """The fast scan; ``None`` when the text holds something only ``tokenize`` can judge."""
    kinds = bytearray(CODE if line else BLANK for line in lines)
    comments = lloc = 0
    row = 1
    depth = 0
    start = 0  # first row of the current logical line (0: none yet)
    significant = 0
    string_rows: tuple[int, int] | None = None
    has_comment = False
    line_lloc = 0  # logical lines of the ';'-separated parts already closed
    part_len = 0
    after_colon = -1  # significant matches after the part's last ':' (-1: no ':')
    exact = False  # a ':' before a ';': radon's rule needs this logical line's exact tokens
    source = "\n".join(lines) + "\n"
    for match in _LEXER.finditer(source):
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind == "newline":
            if start and not depth:
                if after_colon >= 0:
                    line_lloc += 1 if after_colon == 0 else 2
                elif part_len:
                    line_lloc += 1
                if exact:
                    try:
                        line_lloc = _scan_tokens(lines[start - 1 : row]).metrics.lloc
                    except RawScanError:
                        return None
                lloc += line_lloc
                _classify(kinds, lines, start, row, significant, string_rows, has_comment)
                start = significant = line_lloc = part_len = 0
                after_colon = -1
                string_rows = None
                has_comment = exact = False
            row += 1
            continue
        if kind == "comment":
            comments += 1
            if start:
                has_comment = True
            else:
                kinds[row - 1] = COMMENT
            continue
        if kind == "continuation":
            row += 1
            continue
        if kind == "unknown":
            return None
        if not start:
            start = row
        significant += 1
        if kind == "semicolon":
            if depth:
                return None
            exact = exact or after_colon >= 0
            line_lloc += 1 if part_len else 0
            part_len = 0
            after_colon = -1
            string_rows = None
            continue
        part_len += 1
        if kind == "colon":
            after_colon = 0
        elif after_colon >= 0:
            after_colon += 1
        if kind == "string":
            text = match.group()
            at = match.start()
            is_fstring = _FSTRING_PREFIX.match(text) or (at and source[at - 1] in "fF")
            if is_fstring and not _braces_balance(text):
                return None  # PEP 701 reuse of the quote inside a replacement field
            first = row
            row += text.count("\n")
            string_rows = (first, row) if significant == 1 else None
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth < 0:
                return None
        if significant > 1:
            string_rows = None
    if start or depth:
        return None
    return LineScan(_totals(kinds, comments, lloc), bytes(kinds))


def _braces_balance(fstring: str) -> bool:
    body = fstring.replace("{{", "").replace("}}", "")
    return body.count("{") == body.count("}")


def _part_lloc(length: int, last_colon: int, final: bool) -> int:
    """radon's ``_logical`` for one ';'-separated part of ``length`` significant tokens.

    radon looks for the last ':' of the part: the part is one logical line when that ':' is the
    second-to-last token, else two (``if x: y``). Its final part still holds ENDMARKER, so there
    the ':' must be the last real token; in earlier parts one token may follow it. A part without
    ':' counts once unless it is empty (``x = 1;``).
    """
    if last_colon >= 0:
        return 1 if last_colon == length - (1 if final else 2) else 2
    return 1 if length else 0


def _classify(
    kinds: bytearray,
    lines: list[str],
    first: int,
    last: int,
    significant: int,
    only_string_rows: tuple[int, int] | None,
    has_comment: bool,
) -> None:
    if significant == 1 and only_string_rows is not None and not has_comment:
        srow, erow = only_string_rows
        if srow == erow:
            kinds[srow - 1] = DOCSTRING
            return
        for row in range(first, last + 1):
            kinds[row - 1] = MULTI if lines[row - 1] else BLANK
    # Code rows keep their initial CODE/BLANK by emptiness.


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

"""Reading a file as Python source text: PEP 263 encodings, BOMs, NUL bytes and a size limit.

Every failure becomes a :class:`~codeopt.errors.SourceError` with a one-line reason, so one bad file
never stops a run.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path

from codeopt.errors import DecodeFailure, TooLarge, UnreadableFile

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SourceText:
    text: str
    encoding: str
    raw: bytes


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, refusing files over ``max_bytes`` before reading them whole."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("not a regular file", path)
        size = info.st_size
        if size > max_bytes:
            raise TooLarge(f"file is {size:,} bytes, over the limit of {max_bytes:,} (max-file-size)", path)
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise UnreadableFile(_os_reason(exc), path) from None


def decode_source(raw: bytes, path: Path | str) -> SourceText:
    """Decode like the interpreter does: a BOM or a coding cookie, else UTF-8."""
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DecodeFailure(f"source contains a NUL byte (line {line})", path)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        if _COOKIE.search(b"\n".join(raw.split(b"\n", 2)[:2])):
            raise DecodeFailure(f"bad coding declaration: {exc.msg}", path) from None
        encoding = "utf-8"  # no cookie: undecodable first lines; the decode below names the line
    try:
        codecs.lookup(encoding)
        text = raw.decode(encoding)
    except LookupError:
        raise DecodeFailure(f"unknown encoding {encoding!r} in the coding declaration", path) from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = "" if encoding != "utf-8" else " and no coding declaration (PEP 263)"
        raise DecodeFailure(f"not valid {encoding} at line {line}{hint}", path) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    # The interpreter reads universal newlines; so do positions reported to users.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceText(text=text, encoding=encoding, raw=raw)


def read_source(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    return decode_source(read_bytes(path, max_bytes), path)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.EISDIR:
        return "is a directory"
    return exc.strerror or os.strerror(exc.errno or 0) or type(exc).__name__

from __future__ import annotations

from pathlib import Path

import pytest

from codeopt.errors import DecodeFailure, TooLarge, UnreadableFile
from codeopt.source.reading import decode_source, read_source


def test_pep263_cookie_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\nname = 'café'\n".encode("latin-1"))
    source = read_source(path)
    assert source.encoding == "iso-8859-1"
    assert "café" in source.text


def test_bom_is_stripped_and_newlines_normalised() -> None:
    source = decode_source(b"\xef\xbb\xbfx = 1\r\ny = 2\r", "bom.py")
    assert source.text == "x = 1\ny = 2\n"
    assert source.encoding == "utf-8-sig"


def test_non_utf8_without_cookie_names_the_line() -> None:
    with pytest.raises(DecodeFailure) as info:
        decode_source(b"x = 1\ny = '\xff'\n", "bad.py")
    assert "line 2" in str(info.value) and "coding declaration" in str(info.value)
    assert str(info.value).startswith("bad.py: ")


def test_nul_byte_is_refused_with_its_line() -> None:
    with pytest.raises(DecodeFailure, match="NUL byte \\(line 3\\)"):
        decode_source(b"a = 1\nb = 2\nc = '\x00'\n", "nul.py")


def test_unknown_cookie_encoding() -> None:
    with pytest.raises(DecodeFailure, match=r"unknown encoding|bad coding"):
        decode_source(b"# coding: klingon\nx = 1\n", "k.py")


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_bytes(b"x = 1\n" * 1000)
    with pytest.raises(TooLarge, match="over the limit of 100"):
        read_source(path, max_bytes=100)


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="no such file"):
        read_source(tmp_path / "missing.py")
    loop = tmp_path / "loop.py"
    loop.symlink_to(loop)
    with pytest.raises(UnreadableFile, match="symlink loop"):
        read_source(loop)

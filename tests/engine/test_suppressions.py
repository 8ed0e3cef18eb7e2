from __future__ import annotations

from codeopt.analysis.suppressions import FILE_LINE, find_suppressions, is_suppressed


def test_markers_are_found_with_their_ids() -> None:
    text = (
        "import x  # codeopt: ignore[co202, CO301]\ny = 1\n"
        "z = 2  # codeopt: ignore\n# codeopt: ignore-file[CO101]\n"
    )
    found = find_suppressions(text)
    assert found == ((1, ("CO202", "CO301")), (3, ()), (FILE_LINE, ("CO101",)))


def test_no_marker_costs_nothing() -> None:
    assert find_suppressions("x = 1\n" * 1000) == ()


def test_suppression_matches_line_end_line_and_file() -> None:
    found = ((1, ("CO202",)), (3, ()), (FILE_LINE, ("CO101",)))
    assert is_suppressed(found, "CO202", 1)
    assert not is_suppressed(found, "CO301", 1)
    assert is_suppressed(found, "CO999", 3)
    assert is_suppressed(found, "CO301", 2, end_line=3)
    assert is_suppressed(found, "CO101", 40)
    assert not is_suppressed(found, "CO102", 40)

"""The hand-written serializers must say exactly what the generic one would (they exist for speed)."""

from __future__ import annotations

import dataclasses

from codeopt.analysis.model import EdgeKind, FunctionKind, FunctionMetrics, Halstead, ImportRecord
from codeopt.report.serialize import function, halstead, import_record, plain


def test_halstead_matches_the_properties() -> None:
    h = Halstead(7, 11, 23, 31)
    out = halstead(h)
    assert out["volume"] == round(h.volume, 3) and out["effort"] == round(h.effort, 3)
    assert out["time"] == round(h.time, 3) and out["bugs"] == round(h.bugs, 4)
    assert halstead(Halstead(0, 0, 0, 0))["volume"] == 0.0


def test_fast_paths_cover_every_field() -> None:
    fn = FunctionMetrics("f", "C.f", FunctionKind.METHOD, 3, 9, False, 4, 2, 6, Halstead(1, 2, 3, 4))
    assert set(function(fn)) == {f.name for f in dataclasses.fields(fn)}
    assert function(fn)["kind"] == "method"
    record = ImportRecord("pkg.mod", ("a",), ("a",), 1, EdgeKind.CALL_TIME, level=1)
    assert import_record(record) == {**plain(record), "names": ["a"], "bound": ["a"]}
    assert set(import_record(record)) == {f.name for f in dataclasses.fields(record)}

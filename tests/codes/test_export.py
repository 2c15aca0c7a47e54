"""Code files: the parallel writer's closed-form offsets match the streamed file exactly."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from weishang.codes import export

KEYS = ((1, b"k" * 32),)


def layout(quantity, ipb, bpc, start=1, prefix="https://b.example/v/"):
    boxes = -(-quantity // ipb)
    return export.Layout(keys=KEYS, version=1, prefix=prefix, serial_start=start, quantity=quantity,
                         items_per_box=ipb, boxes_per_case=bpc, box_count=boxes, case_count=-(-boxes // bpc))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3000), st.integers(1, 30), st.integers(1, 12), st.booleans())
def test_offsets_match_the_stream(quantity, ipb, bpc, csv):
    lay = layout(quantity, ipb, bpc)
    text = "".join(export.iter_file(lay, csv=csv)).encode()
    pos = len(export.CSV_HEADER) if csv else 0
    for kind, first, last in export._jobs(lay, csv, 97):
        assert export._offset(lay, kind, first, csv) == pos, (kind, first)
        pos += len(export._ROWS[kind](lay, first, last, csv=csv).encode())
    assert pos == len(text) == export.file_size(lay, csv=csv)


def test_digit_sum():
    assert [export._digit_sum(n) for n in (0, 1, 9, 10, 99, 100, 1234)] == [
        0, 1, 9, 11, 189, 192, sum(len(str(i)) for i in range(1, 1235))]


def test_parallel_writer_equals_the_stream(tmp_path):
    lay = layout(250_000, 12, 8)
    for csv in (True, False):
        path = tmp_path / f"codes-{csv}"
        with open(path, "wb") as f:
            written = export.write_file(lay, f, csv=csv, workers=2)
        data = path.read_bytes()
        assert written == len(data) and data == "".join(export.iter_file(lay, csv=csv)).encode()


def test_single_process_writer_to_any_stream():
    lay = layout(500, 12, 8)
    buf = io.BytesIO()
    export.write_file(lay, buf, workers=1)
    assert buf.getvalue() == "".join(export.iter_file(lay)).encode()

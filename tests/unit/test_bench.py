"""`ragnotes bench` says which int8 form its floor ran, and how to measure the other CPU kind's."""

from __future__ import annotations

from typing import Any

import pytest

from ragnotes_eval.bench import format_speed


def _report(form: str) -> dict[str, Any]:
    floor = {"form": form, "p50_ms": 2.0, "cpu_p50_ms": 2.0, "p99_ms": 3.0}
    one = {"p50_ms": 3.0, "p95_ms": 4.0, "p99_ms": 5.0, "requests": 10, "errors": 0}
    one["own_floor_ratio"] = {"50": 1.5, "99": 2.5}
    return {"floor": floor, "one_client": one, "cores": 2, "concurrent": []}


@pytest.mark.parametrize(("form", "hinted"), [("int8 s8", True), ("int8 u8", False)])
def test_the_floor_of_the_signed_form_says_how_to_time_the_unsigned_one(
    form: str, hinted: bool
) -> None:
    lines = format_speed(_report(form))
    assert form in lines[0] and "1000 queries/s" in lines[0]
    assert any("RAGNOTES_INT8_FORM=u8" in line for line in lines) is hinted
    assert any("1.50x the floor" in line for line in lines)


def test_the_first_pass_after_the_start_is_shown_beside_the_later_ones() -> None:
    report = _report("int8 u8")
    assert not any("first pass" in line for line in format_speed(report))  # an older report
    report["one_client"]["passes"] = {
        "first": {"p50_ms": 4.0, "p99_ms": 8.0},
        "later": {"p50_ms": 3.0, "p99_ms": 5.0},
    }
    (line,) = (line for line in format_speed(report) if "first pass" in line)
    assert "p50 2.00x, p99 4.00x" in line and "later passes: p50 1.50x, p99 2.50x" in line

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

"""The signed form holds the same integers moved by 128, and is only chosen when it gives the same
output as the unsigned one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from ragnotes.index import int8_forms
from ragnotes.index.int8_forms import choose, signed_path, write_signed


def _matmul_integer(path: Path, weights: np.ndarray, zero_points: np.ndarray) -> None:
    """A one-node graph as the export quantizes a product: unsigned weights, a zero point a column."""
    node = helper.make_node("MatMulInteger", ["a", "w", "a_zero", "w_zero"], ["y"])
    graph = helper.make_graph(
        [node],
        "product",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [1, weights.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [1, weights.shape[1]])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.array(3, dtype=np.uint8), "a_zero"),
            numpy_helper.from_array(zero_points, "w_zero"),
        ],
    )
    onnx.save(helper.make_model(graph), str(path))


def test_the_signed_form_holds_every_weight_and_zero_point_less_128(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weights = rng.integers(0, 256, (16, 4), dtype=np.uint8)
    zero_points = np.array([0, 127, 128, 255], dtype=np.uint8)
    unsigned = tmp_path / "model-int8.onnx"
    _matmul_integer(unsigned, weights, zero_points)
    assert write_signed(unsigned) == signed_path(unsigned) == tmp_path / "model-int8-s8.onnx"
    stored = {
        t.name: numpy_helper.to_array(t)
        for t in onnx.load(str(signed_path(unsigned))).graph.initializer
    }
    assert stored["w"].dtype == np.int8 and stored["w_zero"].dtype == np.int8
    assert np.array_equal(stored["w"].astype(int), weights.astype(int) - 128)
    assert np.array_equal(stored["w_zero"].astype(int), zero_points.astype(int) - 128)
    assert stored["a_zero"] == 3  # the activations' zero point is not a weight's: left alone
    # Each difference w - z, the integer a product uses, is unchanged.
    assert np.array_equal(
        stored["w"].astype(int) - stored["w_zero"], weights.astype(int) - zero_points
    )


@pytest.mark.parametrize(
    ("vnni", "same", "chosen"),
    [(True, True, "s8"), (True, False, "u8"), (False, True, "u8")],
)
def test_the_signed_form_only_where_it_gives_the_same_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vnni: bool, same: bool, chosen: str
) -> None:
    unsigned = tmp_path / "model-int8.onnx"
    unsigned.touch()
    signed_path(unsigned).touch()
    monkeypatch.setattr(int8_forms, "has_vnni", lambda: vnni)
    outputs = {unsigned: np.ones(3), signed_path(unsigned): np.ones(3) * (1 if same else 1.01)}
    session, form = choose(unsigned, lambda path: path, lambda path: outputs[path])
    assert form == chosen
    assert session == (signed_path(unsigned) if chosen == "s8" else unsigned)


def test_the_unsigned_form_when_asked_for_without_opening_the_signed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unsigned = tmp_path / "model-int8.onnx"
    unsigned.touch()
    signed_path(unsigned).touch()
    monkeypatch.setattr(int8_forms, "has_vnni", lambda: True)
    opened: list[Path] = []

    def open_session(path: Path) -> Path:
        opened.append(path)
        return path

    def probe(session: Path) -> np.ndarray:
        raise AssertionError("no probe: nothing is chosen")

    assert choose(unsigned, open_session, probe, "u8") == (unsigned, "u8")
    assert opened == [unsigned] and not int8_forms.verdicts_path(unsigned).exists()
    assert choose(unsigned, open_session, lambda s: np.ones(3), "auto")[1] == "s8"


@pytest.mark.parametrize("same", [True, False])
def test_the_verdict_is_kept_per_cpu_and_read_on_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same: bool
) -> None:
    unsigned = tmp_path / "model-int8.onnx"
    unsigned.touch()
    signed_path(unsigned).touch()
    monkeypatch.setattr(int8_forms, "has_vnni", lambda: True)
    outputs = {unsigned: np.ones(3), signed_path(unsigned): np.ones(3) * (1 if same else 1.01)}
    opened: list[Path] = []
    probed: list[Path] = []

    def open_session(path: Path) -> Path:
        opened.append(path)
        return path

    def probe(session: Path) -> np.ndarray:
        probed.append(session)
        return outputs[session]

    def start() -> str:
        opened.clear()
        probed.clear()
        return choose(unsigned, open_session, probe)[1]

    expected = "s8" if same else "u8"
    assert start() == expected and len(probed) == 2 and len(opened) == 2
    assert start() == expected  # the same CPU: one form opened, no probe
    assert probed == [] and opened == [signed_path(unsigned) if same else unsigned]
    monkeypatch.setattr(int8_forms, "_cpu_model", lambda: "another CPU")
    assert start() == expected and len(probed) == 2  # another CPU checks again

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from ragnotes.index import late_products
from ragnotes.index.late_products import (
    DIGIT_BASE,
    DIGIT_LIMIT,
    IR_VERSION,
    OPSET,
    QUERY_LIMIT,
    digit_products,
    graph_bytes,
    numpy_products,
    products,
    query_digits,
)


def _extreme_rows(rng: np.random.Generator, shape: tuple[int, int], limit: int) -> np.ndarray:
    """Random codes, with whole rows at -limit and at limit and one mixing only the two: the
    largest sums, and the largest pairs of products a 16-bit kernel adds."""
    rows = rng.integers(-limit, limit + 1, shape).astype(np.int8)
    rows[0], rows[1] = limit, -limit
    rows[2] = np.where(rng.random(shape[1]) < 0.5, -limit, limit)
    return rows


def test_the_graph_bytes_are_the_graph_onnx_builds() -> None:
    def value(name: str, elem: int, dims: list[str]) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, elem, dims)  # type: ignore[arg-type]

    zero = helper.make_tensor("zero_point", TensorProto.UINT8, [], b"\x80", raw=True)
    node = helper.make_node("MatMulInteger", ["rows", "query", "zero_point"], ["products"])
    graph = helper.make_graph(
        [node],
        "late_interaction_products",
        [
            value("rows", TensorProto.UINT8, ["rows", "width"]),
            value("query", TensorProto.INT8, ["width", "query_rows"]),
        ],
        [value("products", TensorProto.INT32, ["rows", "query_rows"])],
        [zero],
    )
    built = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION
    )
    ours = onnx.load_model_from_string(graph_bytes())
    onnx.checker.check_model(ours, full_check=True)
    assert ours == built
    assert graph_bytes() == built.SerializeToString()


@pytest.mark.parametrize("width", [384, 1, 7])
def test_digit_products_are_the_exact_integer_products_and_numpys(width: int) -> None:
    rng = np.random.default_rng(width)
    rows = _extreme_rows(rng, (1400, width), 127)
    columns = np.ascontiguousarray(_extreme_rows(rng, (26, width), DIGIT_LIMIT).T)
    exact = rows.astype(np.int64) @ columns.astype(np.int64)
    blocks = [rows[:3], rows[3:700], rows[700:701], rows[701:]]
    assert late_products._session() is not None  # ONNX Runtime runs it here
    found = digit_products(blocks, columns)
    assert found.dtype == np.int32
    assert np.array_equal(found, exact)
    assert np.array_equal(numpy_products(blocks, columns), exact)
    # The chunk rows are read, never written (the unsigned form is a copy).
    assert np.array_equal(np.concatenate(blocks), rows)


def test_the_largest_sums_are_exact() -> None:
    # Every row at the extremes: 384 x 127 x 63 in one sum, and the pairs of 255 x 63 that an
    # AVX2 kernel adds in 16 bits (a chunk code of 127 goes in as 255).
    rows = np.array([[127] * 384, [-127] * 384, [127, -127] * 192], dtype=np.int8)
    digits = np.array([[63] * 384, [-63] * 384, [-63, 63] * 192], dtype=np.int8)
    assert digit_products([rows], np.ascontiguousarray(digits.T)).tolist() == [
        [3_072_384, -3_072_384, 0],
        [-3_072_384, 3_072_384, 0],
        [0, 0, -3_072_384],
    ]


def test_query_digits_are_13_bit_codes_within_half_a_step() -> None:
    rng = np.random.default_rng(2)
    query = rng.standard_normal((6, 384)).astype(np.float32)
    query[1] = 0.0  # an all-zero row stays zero
    query[2, :3] = [-7.0, 7.0, 3.5]  # the largest magnitude, either sign, and half of it
    columns, scales = query_digits(query)
    assert columns.shape == (384, 12) and columns.flags.c_contiguous
    high, low = columns.T[:6].astype(np.int64), columns.T[6:].astype(np.int64)
    assert columns.dtype == np.int8 and scales.dtype == np.float32
    assert np.abs(high).max() == DIGIT_LIMIT and np.abs(low).max() <= DIGIT_BASE // 2
    codes = DIGIT_BASE * high + low
    assert codes[2, :3].tolist() == [-QUERY_LIMIT, QUERY_LIMIT, QUERY_LIMIT // 2]
    assert not codes[1].any() and scales[1] == 1.0
    step = np.abs(query).max(axis=1) / QUERY_LIMIT
    assert (np.abs(codes * scales[:, None] - query) <= step[:, None] * 0.5001).all()


def test_products_are_the_chunk_codes_times_the_query_codes() -> None:
    rng = np.random.default_rng(4)
    rows = _extreme_rows(rng, (500, 384), 127)
    query = rng.standard_normal((13, 384)).astype(np.float32)
    query[0] = 1.0  # every code at 4032: with a chunk row all 127, the largest sum
    found, scales = products([rows[:250], rows[250:]], query)
    digits = query_digits(query)[0].T.astype(np.int64)
    codes = DIGIT_BASE * digits[:13] + digits[13:]
    assert found.dtype == np.int32 and found.shape == (500, 13)
    assert np.array_equal(found, rows @ codes.T)
    assert found[0, 0] == 384 * 127 * QUERY_LIMIT  # 196,632,576: int32 holds it
    # Each code is within half a step of its float, so each sum within 384 x 127 half steps.
    error = found * scales - rows.astype(np.float32) @ query.T
    assert (np.abs(error) <= scales * 384 * 127 / 2).all()


def test_without_onnx_runtime_numpy_gives_the_same_products(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    rows = _extreme_rows(rng, (300, 384), 127)
    query = rng.standard_normal((9, 384)).astype(np.float32)
    found, scales = products([rows], query)
    monkeypatch.setattr(late_products, "_sessions", [None])
    fallback, same_scales = products([rows], query)
    assert np.array_equal(fallback, found) and np.array_equal(same_scales, scales)


def test_threads_share_one_session_and_get_their_own_products(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(late_products, "_sessions", [])  # as in a fresh process
    rng = np.random.default_rng(6)
    tasks = [
        (_extreme_rows(rng, (int(n), 384), 127), rng.standard_normal((9, 384)).astype(np.float32))
        for n in rng.integers(3, 400, 32)
    ]
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda task: products([task[0]], task[1]), tasks))
    assert len(late_products._sessions) == 1 and late_products._sessions[0] is not None
    for (rows, query), (whole, scales) in zip(tasks, found, strict=True):
        columns, expected_scales = query_digits(query)
        digits = columns.T.astype(np.int64)
        assert np.array_equal(whole, rows @ (DIGIT_BASE * digits[:9] + digits[9:]).T)
        assert np.array_equal(scales, expected_scales)

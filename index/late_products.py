"""The integer product behind late-interaction scores: fast, and the same integers on every CPU.

Late interaction (index/late_interaction.py) multiplies the question's rows with the candidate
chunks' int8 rows. Here both sides are integers: the chunk rows as stored (int8 codes in
[-127, 127]) and the question's rows quantized per row to 13 bits (codes in [-4032, 4032],
`QUERY_LIMIT`), close enough to float32 that no ranking on our eval moves. ONNX Runtime's
`MatMulInteger` multiplies unsigned 8-bit rows by signed 8-bit columns fastest, so each chunk row
goes in as its code + 128 (the code with its sign bit flipped) with a zero point of 128, which
takes the 128 back off, and each query code as two 7-bit digits, code = 64 x high + low, with
high in [-63, 63] and low in [-32, 32]: one product per digit, added back together in int32.

Why digits: with VNNI (`vpdpbusd`, or AMX) ONNX Runtime adds every product into 32 bits, but the
AVX2 kernel of CPUs without it (`vpmaddubsw`) first adds pairs of products into 16 bits, which
saturate above 32,767. The largest pair here is 2 x 255 x 63 = 32,130, so nothing saturates and
every CPU computes the same integers (full 8-bit columns would reach 64,770: the reason
eval/CPU.md gives for the model's own weights). What late interaction does with them (scale,
take maxima, average over the query's rows) is float32 arithmetic in an order numpy fixes, not
the CPU, so its scores are the same bits everywhere; tests/integration/test_late_products.py
checks both under QEMU.

numpy computes the same integers: a float32 product of integer-valued arrays is exact while every
partial sum stays below 2**24, which a digit's product does for rows up to 2,096 wide (384 x 127 x
63 is 3.1 million). That is the fallback where ONNX Runtime cannot open the graph, and the
reference the tests compare against.

The graph is one node. It is written here as ONNX's protobuf bytes, because the runtime image
leaves the `onnx` package out (it is needed only for the model's one-time export);
tests/unit/test_late_products.py checks these bytes against the graph `onnx.helper` builds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DIGIT_BASE = 64  # a query code is DIGIT_BASE x high + low, both digits within 7 bits
DIGIT_LIMIT = 63  # the largest digit: no pair of AVX2 products saturates 16 bits
QUERY_LIMIT = DIGIT_LIMIT * DIGIT_BASE  # the largest query code, 4032: 13 bits
OPSET = 17  # the model export's opset (index/onnx_backend.py)
IR_VERSION = 8
# ONNX TensorProto data types.
_UINT8, _INT8, _INT32 = 2, 3, 6


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, value: int | str | bytes) -> bytes:
    """One protobuf field: a varint, or length-delimited bytes (a string, a nested message)."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _value_info(name: str, elem_type: int, dims: tuple[str, str]) -> bytes:
    """A graph input or output: a tensor of `elem_type` whose dimensions are named, not fixed."""
    shape = b"".join(_field(1, _field(2, dim)) for dim in dims)
    tensor = _field(1, elem_type) + _field(2, shape)
    return _field(1, name) + _field(2, _field(1, tensor))


def graph_bytes() -> bytes:
    """The serialized ONNX model: products = MatMulInteger(rows, query, 128), int32."""
    node = b"".join(_field(1, name) for name in ("rows", "query", "zero_point"))
    node += _field(2, "products") + _field(4, "MatMulInteger")
    zero_point = _field(2, _UINT8) + _field(8, "zero_point") + _field(9, bytes([128]))
    graph = (
        _field(1, node)
        + _field(2, "late_interaction_products")
        + _field(5, zero_point)
        + _field(11, _value_info("rows", _UINT8, ("rows", "width")))
        + _field(11, _value_info("query", _INT8, ("width", "query_rows")))
        + _field(12, _value_info("products", _INT32, ("rows", "query_rows")))
    )
    opset = _field(1, "") + _field(2, OPSET)  # the default domain's
    return _field(1, IR_VERSION) + _field(7, graph) + _field(8, opset)


_lock = threading.Lock()
_sessions: list[Any] = []  # the one session, once made; None in it when none can be


def _session() -> Any:
    """The process's one session of the graph (ONNX Runtime's `run` is thread-safe), made once
    (`open_session`, else on first use) with one thread: the product is far too small to share
    out."""
    if _sessions:
        return _sessions[0]
    with _lock:
        if not _sessions:
            _sessions.append(_open())
    return _sessions[0]


def open_session() -> None:
    """Make the session now: opening it takes about 4 ms, which a build's loading pays rather
    than its first question."""
    _session()


def _open() -> Any:
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        return ort.InferenceSession(graph_bytes(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # whatever the reason, numpy computes the same integers
        log.warning("late interaction uses numpy's product, ONNX Runtime failed: %s", exc)
        return None


def query_digits(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The query rows' 13-bit codes as digit columns, and one float32 scale per row.

    `codes * scale` is within half a step of `rows`; column j of the first half holds row j's
    high digits and of the second half its low digits, so code = DIGIT_BASE x high + low.
    """
    rows = np.asarray(rows, dtype=np.float32)
    top = np.abs(rows).max(axis=1)
    scales = np.where(top > 0, top / QUERY_LIMIT, 1.0).astype(np.float32)
    # Few, in-place steps: each costs a few microseconds of a request whatever its size.
    digits = np.empty((2 * len(rows), rows.shape[1]), dtype=np.float32)
    high, low = digits[: len(rows)], digits[len(rows) :]
    np.divide(rows, scales[:, None], out=low)
    np.rint(low, out=low)  # the codes, at most QUERY_LIMIT: the largest is the top
    np.multiply(low, 1 / DIGIT_BASE, out=high)
    np.rint(high, out=high)  # the nearest multiple, so that low is small
    low -= high * DIGIT_BASE
    return digits.T.astype(np.int8, order="C"), scales


def numpy_products(blocks: Sequence[np.ndarray], columns: np.ndarray) -> np.ndarray:
    """What `digit_products` returns, computed by numpy in float32 (exact for these ranges)."""
    exact = np.concatenate(blocks, dtype=np.float32) @ columns.astype(np.float32)
    return exact.astype(np.int32)


def digit_products(blocks: Sequence[np.ndarray], columns: np.ndarray) -> np.ndarray:
    """`rows @ columns` as int32, where `rows` stacks `blocks` (int8 codes in [-127, 127]) and
    `columns` holds int8 digits in [-DIGIT_LIMIT, DIGIT_LIMIT]."""
    session = _session()
    if session is None:
        return numpy_products(blocks, columns)
    unsigned = np.concatenate(blocks).view(np.uint8)
    np.bitwise_xor(unsigned, 0x80, out=unsigned)  # code + 128: the zero point takes 128 off
    found: np.ndarray = session.run(None, {"rows": unsigned, "query": columns})[0]
    return found


def products(blocks: Sequence[np.ndarray], query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chunk codes `blocks` stack times the 13-bit codes of the `query` rows, int32, one row
    per chunk row and one column per query row, and the query's scales: `rows @ query.T` is
    close to that times each chunk row's scale (a row) and each query row's scale (a column)."""
    columns, scales = query_digits(query)
    found = digit_products(blocks, columns)  # high digits' products, then the low ones'
    whole = found[:, : len(query)] * DIGIT_BASE
    whole += found[:, len(query) :]
    return whole, scales

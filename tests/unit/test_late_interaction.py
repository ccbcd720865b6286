from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ragnotes.index import late_products
from ragnotes.index.late_interaction import (
    CODES_FILE,
    LateInteractionIndex,
    LateInteractionParams,
    apply_late_interaction,
    content_positions,
    content_vectors,
    dequantize,
    maxsim,
    mix_late_interaction,
    quantize,
)
from ragnotes.index.late_products import DIGIT_BASE, query_digits


def test_content_positions_drop_special_tokens_stop_words_and_punctuation() -> None:
    tokens = ["[CLS]", "what", "is", "the", "lambda", "##mart", "?", "-", "2", "[SEP]"]
    assert content_positions(tokens) == [1, 4, 5, 8]


def test_content_positions_keep_the_first_row_of_a_repeated_piece() -> None:
    assert content_positions(["drift", "the", "drift", "##s", "drift", "##s", "psi"]) == [0, 3, 6]


def test_content_positions_read_other_tokenizers_word_marks_and_special_tokens() -> None:
    # Byte-level BPE (RoBERTa) marks a word's start with "Ġ", SentencePiece with "▁"; the
    # model's own special tokens are passed in.
    tokens = ["<s>", "Ġwhat", "Ġis", "\u2581the", "Ġlambda", "mart", "Ġ?", "</s>"]
    assert content_positions(tokens, {"<s>", "</s>", "<pad>"}) == [1, 4, 5]


def test_content_vectors_are_kept_at_unit_length() -> None:
    hidden = np.array([[9.0, 9.0], [3.0, 4.0], [1.0, 1.0], [0.0, 2.0]])
    rows = content_vectors(hidden, ["[CLS]", "drift", "the", "psi"])
    assert rows.dtype == np.float32
    assert np.allclose(rows, [[0.6, 0.8], [0.0, 1.0]])


def test_quantize_round_trip_is_within_half_a_step() -> None:
    rows = np.array([[0.5, -1.0, 0.25], [0.0, 0.0, 0.0]], dtype=np.float32)
    codes, scales = quantize(rows)
    assert codes.dtype == np.int8 and scales.dtype == np.float32
    # The largest absolute value maps to 127: steps of 1/127 in the first row.
    assert codes[0].tolist() == [64, -127, 32]
    assert codes[1].tolist() == [0, 0, 0] and scales[1] == 1.0  # an all-zero row stays zero
    assert np.abs(dequantize(codes, scales) - rows).max() <= 0.5 / 127 + 1e-7


def test_maxsim_matches_hand_computed_value() -> None:
    # q1 . d = 0.6, 1.0 -> 1.0 ; q2 . d = 0.8, 0.0 -> 0.8 ; mean 0.9
    query = np.array([[1.0, 0.0], [0.0, 1.0]])
    doc = np.array([[0.6, 0.8], [1.0, 0.0]])
    assert maxsim(query, doc) == pytest.approx(0.9)
    assert maxsim(query, np.zeros((0, 2))) == 0.0
    assert maxsim(np.zeros((0, 2)), doc) == 0.0


def test_mix_matches_hand_computed_scores() -> None:
    # The first three are re-ranked. fused 0.9, 0.7, 0.5 -> 1.0, 0.5, 0.0 ;
    # late 0.2, 0.8, 0.6 -> 0.0, 1.0, 0.6667. Weight 0.5:
    # 10: 0.5 ; 11: 0.25 + 0.5 = 0.75 ; 12: 0.3333 ; 13 stays below: 0.5 * (0.4 - 0.5) / 0.4
    fused = [(10, 0.9), (11, 0.7), (12, 0.5), (13, 0.4)]
    out = mix_late_interaction(fused, [0.2, 0.8, 0.6], weight=0.5)
    assert [(c, round(s, 7)) for c, s in out] == [
        (11, 0.75),
        (10, 0.5),
        (12, 0.3333333),
        (13, -0.125),
    ]


def test_mix_ties_keep_the_fused_order_and_no_scores_change_nothing() -> None:
    # Weight 1/3: 10 gets 2/3 * 1 + 0 and 11 gets 2/3 * 0.5 + 1/3 * 1, the same 0.6667.
    fused = [(10, 0.9), (11, 0.7), (12, 0.5)]
    assert [c for c, _ in mix_late_interaction(fused, [0.2, 0.8, 0.5])] == [10, 11, 12]
    assert mix_late_interaction(fused, []) == fused
    # All fused scores equal: the late-interaction scores alone decide.
    assert [c for c, _ in mix_late_interaction([(1, 0.3), (2, 0.3)], [0.1, 0.9])] == [2, 1]


def _index(
    rng: np.random.Generator, sizes: list[int]
) -> tuple[LateInteractionIndex, list[np.ndarray]]:
    chunks = []
    for n in sizes:
        rows = rng.standard_normal((n, 8)).astype(np.float32)
        chunks.append(rows / np.linalg.norm(rows, axis=1, keepdims=True) if n else rows)
    return LateInteractionIndex.pack([quantize(r) for r in chunks], 8), chunks


def test_index_scores_are_maxsim_of_each_chunk(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    index, chunks = _index(rng, [5, 0, 12, 1])
    query = rng.standard_normal((3, 8)).astype(np.float32)
    wanted = [3, 1, 0, 2]
    # The query's rows are quantized too, to 13 bits (index/late_products.py).
    digits, query_scales = query_digits(query)
    codes = DIGIT_BASE * digits.T[:3].astype(np.float32) + digits.T[3:]
    quantized = codes * query_scales[:, None]
    expected = [maxsim(quantized, index.chunk(c)) for c in wanted]
    assert expected[1] == 0.0  # the chunk without content tokens
    assert index.scores(query, wanted) == pytest.approx(expected, abs=1e-6)
    # Scores from int8 rows and 13-bit query rows stay close to the float rows they came from.
    exact = [maxsim(query, chunks[c]) for c in wanted]
    assert index.scores(query, wanted) == pytest.approx(exact, abs=0.02)

    index.save(tmp_path)
    loaded = LateInteractionIndex.load(tmp_path, 4)
    assert len(loaded) == 4 and loaded.vector_count == 18
    assert loaded.scores(query, wanted) == pytest.approx(expected, abs=1e-6)


def test_index_with_the_wrong_chunk_count_is_refused(tmp_path: Path) -> None:
    index, _ = _index(np.random.default_rng(0), [2, 3])
    index.save(tmp_path)
    with pytest.raises(ValueError, match="expected 3 chunks"):
        LateInteractionIndex.load(tmp_path, 3)


def test_apply_re_ranks_the_first_depth_candidates_by_their_maxsim() -> None:
    # Chunk 0 matches the query's one row with cosine 0, chunk 1 with 1, chunk 2 with 0.6.
    rows = [np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]), np.array([[0.6, 0.8]])]
    index = LateInteractionIndex.pack([quantize(r) for r in rows], 2)
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    fused = [(0, 0.9), (1, 0.7), (2, 0.5)]
    two = apply_late_interaction(fused, query, index, LateInteractionParams(depth=2, weight=0.5))
    # The head: 1 - 0 and 0 - 1 mixed half and half, 0.5 each; ties keep the fused order.
    assert two == mix_late_interaction(fused, index.scores(query, [0, 1]), 0.5)
    assert [c for c, _ in two] == [0, 1, 2]
    three = apply_late_interaction(fused, query, index, LateInteractionParams(depth=3, weight=0.5))
    assert [c for c, _ in three] == [1, 0, 2]  # 1: 0.25 + 0.5 ; 0: 0.5 + 0 ; 2: 0 + 0.3
    assert apply_late_interaction(fused, query, index, LateInteractionParams(depth=0)) == fused


def test_index_scores_are_the_same_bits_without_onnx_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index, chunks = _index(np.random.default_rng(8), [40, 3, 0, 17, 60])
    query = chunks[4][:9]
    with_runtime = index.scores(query, [4, 2, 0, 3, 1])
    monkeypatch.setattr(late_products, "_sessions", [None])  # as if no session could be made
    assert index.scores(query, [4, 2, 0, 3, 1]) == with_runtime
    assert with_runtime[0] == pytest.approx(1.0, abs=0.01)  # the chunk the query came from


def _resident_kb(file: Path) -> int:
    """Resident KB of this process's mappings of `file` (Linux /proc)."""
    resident, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
            inside = fields[-1] == str(file)
        elif inside and fields[0] == "Rss:":
            resident += int(fields[1])
    return resident


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc")
def test_touch_maps_every_page_of_the_rows_and_changes_no_score(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = [rng.standard_normal((n, 384)).astype(np.float32) for n in (3000, 2000, 1000)]
    per_chunk = [quantize(r / np.linalg.norm(r, axis=1, keepdims=True)) for r in rows]
    LateInteractionIndex.pack(per_chunk, 384).save(tmp_path)
    loaded = LateInteractionIndex.load(tmp_path, 3)
    query = rng.standard_normal((4, 384)).astype(np.float32)
    codes = (tmp_path / CODES_FILE).resolve()
    size_kb = codes.stat().st_size // 1024
    stop = threading.Event()
    stop.set()
    loaded.touch(stop)  # stopped: maps nothing
    assert _resident_kb(codes) < size_kb // 2
    loaded.touch()
    assert _resident_kb(codes) >= size_kb - 8
    assert loaded.scores(query, [0, 1, 2]) == LateInteractionIndex.pack(per_chunk, 384).scores(
        query, [0, 1, 2]
    )

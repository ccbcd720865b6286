from __future__ import annotations

import pytest

from index.fusion import reciprocal_rank_fusion


def test_rrf_matches_hand_computed_scores() -> None:
    # dense: 7, 3, 9   bm25: 3, 5
    # 3: 1/(60+2) + 1/(60+1) = 0.01612903 + 0.01639344 = 0.03252247
    # 7: 1/61 = 0.0163934 ; 5: 1/62 = 0.0161290 ; 9: 1/63 = 0.0158730
    fused = reciprocal_rank_fusion([[7, 3, 9], [3, 5]], k=60)
    assert [c for c, _ in fused] == [3, 7, 5, 9]
    assert [round(s, 7) for _, s in fused] == [0.0325225, 0.0163934, 0.016129, 0.015873]


def test_rrf_weights_and_small_k() -> None:
    # k=1, weights 2 and 1: a: 2/2 = 1.0 ; b: 2/3 + 1/2 = 1.1666667 ; c: 1/3
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=1, weights=[2, 1])  # type: ignore[list-item]
    assert [(c, round(s, 7)) for c, s in fused] == [("b", 1.1666667), ("a", 1.0), ("c", 0.3333333)]


def test_rrf_ties_keep_first_appearance() -> None:
    fused = reciprocal_rank_fusion([[1], [2]], k=60)
    assert [c for c, _ in fused] == [1, 2]


def test_rrf_empty_and_mismatched_weights() -> None:
    assert reciprocal_rank_fusion([[], []]) == []
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], weights=[1, 2])

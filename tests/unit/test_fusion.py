from __future__ import annotations

import random

import pytest

from ragnotes.index.fusion import FusionParams, convex_fusion, fuse, reciprocal_rank_fusion


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


def test_ties_go_to_the_lower_candidate_whatever_the_list_order() -> None:
    assert [c for c, _ in reciprocal_rank_fusion([[2], [1]], k=60)] == [1, 2]
    assert [c for c, _ in reciprocal_rank_fusion([[1], [2]], k=60)] == [1, 2]
    # Two identical passages (rows 4 and 9) score the same in each list; the other scores carry
    # noise that changes which of them a retriever lists first. The fused order stays 4, 9.
    for dense in ([(9, 0.8), (4, 0.8), (1, 0.2)], [(4, 0.8), (9, 0.8), (1, 0.201)]):
        fused = convex_fusion([dense, [(1, 3.0), (4, 1.0), (9, 1.0), (7, 0.5)]], [0.5, 0.5])
        assert [c for c, _ in fused][:3] == [4, 9, 1]


def test_rrf_empty_and_mismatched_weights() -> None:
    assert reciprocal_rank_fusion([[], []]) == []
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], weights=[1, 2])


def test_convex_fusion_matches_hand_computed_scores() -> None:
    # dense 7: 0.9, 3: 0.6, 9: 0.3 -> normalized 1.0, 0.5, 0.0
    # bm25  3: 12.0, 5: 4.0        -> normalized 1.0, 0.0
    # weights 0.5/0.5: 3: 0.25 + 0.5 = 0.75 ; 7: 0.5 ; 5: 0.0 ; 9: 0.0 (tie: lower candidate)
    fused = convex_fusion([[(7, 0.9), (3, 0.6), (9, 0.3)], [(3, 12.0), (5, 4.0)]], [0.5, 0.5])
    assert [(c, round(s, 7)) for c, s in fused] == [(3, 0.75), (7, 0.5), (5, 0.0), (9, 0.0)]


def test_convex_fusion_weights_and_flat_lists() -> None:
    # weights 0.3/0.7; a lone or all-tied list normalizes to 1 for each candidate.
    # 1: 0.3 * 1 = 0.3 ; 2: 0.3 * 0 + 0.7 * 1 = 0.7 ; 4: 0.7 * 1 = 0.7 (tie: lower candidate)
    fused = convex_fusion([[(1, 0.8), (2, 0.2)], [(2, 5.0), (4, 5.0)]], [0.3, 0.7])
    assert [(c, round(s, 7)) for c, s in fused] == [(2, 0.7), (4, 0.7), (1, 0.3)]
    assert convex_fusion([[], [(8, 3.0)]]) == [(8, 1.0)]
    with pytest.raises(ValueError):
        convex_fusion([[(1, 1.0)]], weights=[1, 2])


def test_fuse_dispatches_on_the_method() -> None:
    dense, bm25 = [(7, 0.9), (3, 0.6), (9, 0.3)], [(3, 12.0), (5, 4.0)]
    convex = fuse(dense, bm25, FusionParams("convex", dense_weight=0.5))
    assert [c for c, _ in convex] == [3, 7, 5, 9]
    # RRF with equal weights keeps the classic scores: 3 = 1/62 + 1/61
    rrf = fuse(dense, bm25, FusionParams("rrf", rrf_k=60, dense_weight=0.5))
    assert rrf[0] == (3, pytest.approx(0.0325225, abs=1e-7))
    # dense weight 0.75 -> list weights 1.5 and 0.5:
    # 3 = 1.5/62 + 0.5/61 = 0.0241935 + 0.0081967 = 0.0323903 ; 7 = 1.5/61 = 0.0245902
    # 9 = 1.5/63 = 0.0238095 ; 5 = 0.5/62 = 0.0080645
    weighted = fuse(dense, bm25, FusionParams("rrf", rrf_k=60, dense_weight=0.75))
    assert [(c, round(s, 7)) for c, s in weighted] == [
        (3, 0.0323903),
        (7, 0.0245902),
        (9, 0.0238095),
        (5, 0.0080645),
    ]


def test_the_first_top_are_the_whole_rankings_first_ties_and_all() -> None:
    """`top` orders only what it returns; it must be exactly the full ranking's first `top`,
    also when the `top`-th score is tied beyond it (ties still to the lower candidate)."""
    rng = random.Random(7)
    for _ in range(300):
        levels = [rng.random() for _ in range(rng.randint(1, 6))]  # few values: many ties
        dense = [(c, rng.choice(levels)) for c in rng.sample(range(60), rng.randint(0, 40))]
        bm25 = [(c, rng.choice(levels) * 9) for c in rng.sample(range(60), rng.randint(0, 40))]
        whole = fuse(dense, bm25)
        rrf = FusionParams(method="rrf")
        for top in (0, 1, 5, 20, 100):
            assert fuse(dense, bm25, top=top) == whole[:top]
            assert fuse(dense, bm25, rrf, top=top) == fuse(dense, bm25, rrf)[:top]

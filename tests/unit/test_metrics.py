"""Ranking metrics against values worked out by hand."""

from __future__ import annotations

import pytest

from ragnotes_eval.metrics import (
    dcg_at_k,
    hit_at_k,
    mean,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    single_target,
)

# Relevant items at ranks 2 and 4 (gains 1 and 2), nothing else.
GAINS = [0.0, 1.0, 0.0, 2.0, 0.0]


def test_single_target_keeps_only_the_first_relevant_passage() -> None:
    assert single_target([False, True, True, False]) == [0.0, 1.0, 0.0, 0.0]
    assert single_target([False, False]) == [0.0, 0.0]
    assert single_target([]) == []


@pytest.mark.parametrize(("k", "expected"), [(1, 0.0), (2, 1.0), (3, 1.0), (10, 1.0)])
def test_hit_at_k(k: int, expected: float) -> None:
    assert hit_at_k(GAINS, k) == expected


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(GAINS, 10) == 0.5  # first relevant at rank 2
    assert reciprocal_rank(GAINS, 1) == 0.0  # outside the cut-off
    assert reciprocal_rank([0, 0, 0, 1], 10) == 0.25
    assert reciprocal_rank([], 10) == 0.0


def test_dcg_and_ndcg_graded() -> None:
    # DCG@5 = 1/log2(3) + 2/log2(5) = 0.6309298 + 0.8613531 = 1.4922829
    assert dcg_at_k(GAINS, 5) == pytest.approx(1.4922829, abs=1e-7)
    # ideal order 2, 1: 2/log2(2) + 1/log2(3) = 2 + 0.6309298 = 2.6309298
    assert ndcg_at_k(GAINS, [1.0, 2.0], 5) == pytest.approx(1.4922829 / 2.6309298, abs=1e-7)
    # cut at 3: only the rank-2 item counts, ideal still 2.6309298 -> 0.6309298 / 2.6309298
    assert ndcg_at_k(GAINS, [1.0, 2.0], 3) == pytest.approx(0.2398124, abs=1e-7)
    assert ndcg_at_k([0.0, 0.0], [], 10) == 0.0


def test_ndcg_with_one_target_is_the_discount_of_its_rank() -> None:
    assert ndcg_at_k([1.0], [1.0], 10) == 1.0
    assert ndcg_at_k([0.0, 0.0, 1.0], [1.0], 10) == pytest.approx(0.5)  # 1/log2(4)
    assert ndcg_at_k([0.0] * 10 + [1.0], [1.0], 10) == 0.0


def test_recall_at_k() -> None:
    assert recall_at_k(GAINS, 2, 3) == 0.5
    assert recall_at_k(GAINS, 2, 5) == 1.0
    assert recall_at_k(GAINS, 4, 5) == 0.5  # two of four relevant documents were found
    assert recall_at_k(GAINS, 0, 5) == 0.0


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 40.0, 20.0, 30.0]
    assert percentile(values, 50) == 25.0  # halfway between 20 and 30
    assert percentile(values, 95) == pytest.approx(38.5)  # 30 + 0.85 * 10
    assert percentile(values, 0) == 10.0 and percentile(values, 100) == 40.0
    assert percentile([], 50) == 0.0
    assert mean([1.0, 2.0]) == 1.5 and mean([]) == 0.0

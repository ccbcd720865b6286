"""Fuse ranked candidate lists into one ranking. Pure functions, checked against hand-computed values.

Reciprocal rank fusion gives each candidate sum_i w_i / (k + rank_i), with 1-based ranks, over
the lists it appears in. Ties keep the order of first appearance (dense list first).
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """(candidate, fused score) pairs, best first."""
    weights = weights if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, candidate in enumerate(ranking, 1):
            scores[candidate] = scores.get(candidate, 0.0) + weight / (k + rank)
    order = {c: i for i, c in enumerate(dict.fromkeys(c for r in rankings for c in r))}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))

"""Ranking metrics as pure functions of a ranked list of gains.

A ranking is given as the gain of each returned item in rank order (0 for an irrelevant item;
BEIR qrels give graded gains). Every metric is "at k": only the first k items count.

Our eval set has exactly one relevant *target* per question: the labelled passage. Several
returned chunks may contain an anchor (the passage can be split, or repeated), but the
question is answered once, so `single_target` keeps only the first relevant item as gain 1.
With one target, recall@k equals hit@k and the ideal DCG is 1, so nDCG@10 is 1/log2(1 + rank)
of the first relevant passage (0 when it is not in the top 10).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def single_target(relevant: Sequence[bool]) -> list[float]:
    """Gains for a one-target question: 1 at the first relevant item, 0 everywhere else."""
    gains = [0.0] * len(relevant)
    for i, flag in enumerate(relevant):
        if flag:
            gains[i] = 1.0
            break
    return gains


def hit_at_k(gains: Sequence[float], k: int) -> float:
    """1.0 when a relevant item is among the first k, else 0.0."""
    return 1.0 if any(g > 0 for g in gains[:k]) else 0.0


def reciprocal_rank(gains: Sequence[float], k: int) -> float:
    """1 / rank of the first relevant item within the first k (0.0 when there is none)."""
    for rank, gain in enumerate(gains[:k], 1):
        if gain > 0:
            return 1.0 / rank
    return 0.0


def dcg_at_k(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain with linear gains: sum of gain / log2(1 + rank)."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains[:k], 1))


def ndcg_at_k(gains: Sequence[float], ideal: Sequence[float], k: int) -> float:
    """DCG of the ranking over the DCG of the best possible order of the `ideal` gains."""
    best = dcg_at_k(sorted(ideal, reverse=True), k)
    return dcg_at_k(gains, k) / best if best > 0 else 0.0


def recall_at_k(gains: Sequence[float], relevant: int, k: int) -> float:
    """Share of the `relevant` items that appear among the first k."""
    if relevant <= 0:
        return 0.0
    return sum(1 for g in gains[:k] if g > 0) / relevant


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (0.0 for no values)."""
    return sum(values) / len(values) if values else 0.0

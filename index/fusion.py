"""Fuse the dense and BM25 candidate lists into one ranking. Pure functions, checked against hand-computed values.

Two fusions are offered:

- reciprocal rank fusion (RRF): each candidate scores sum_i w_i / (k + rank_i), with 1-based
  ranks, over the lists it appears in;
- convex score fusion: each list's scores are min-max normalized over its own candidates
  (best 1, worst 0), and a candidate scores sum_i w_i * normalized_i, a list it is missing
  from adding 0.

Ties go to the lower candidate (the earlier chunk row of the build, an order fixed by the corpus
alone), never to the order a retriever happened to list them in: identical passages get identical
scores on any one machine, and which comes first must not depend on the CPU's rounding elsewhere.

The default, convex fusion with equal weights over 100 candidates a side, was chosen on our
eval set (eval/EXPERIMENTS.md): it ranked an answering passage first more often than RRF at
any constant from 2 to 100, and weights from 0.45 to 0.6 came within one question of its
hit@5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

FusionMethod = Literal["rrf", "convex"]
Scored = Sequence[tuple[int, float]]  # (candidate, retriever score), best first
RRF_K = 60


@dataclass(frozen=True)
class FusionParams:
    """How hybrid search fuses: the method, its constants, and how deep each retriever looks.

    Re-ranking the fused list is a step of its own, with its own record
    (index/late_interaction.py, `LateInteractionParams`)."""

    method: FusionMethod = "convex"
    rrf_k: int = RRF_K
    dense_weight: float = 0.5  # the BM25 list gets 1 - dense_weight
    depth: int = 100  # candidates taken from each retriever (at least k)


DEFAULT_FUSION = FusionParams()


def _weights(weights: Sequence[float] | None, n: int) -> Sequence[float]:
    weights = weights if weights is not None else [1.0] * n
    if len(weights) != n:
        raise ValueError("one weight per ranking")
    return weights


def _ranked(scores: dict[int, float], top: int | None = None) -> list[tuple[int, float]]:
    """Best first, ties to the lower candidate; with `top`, only the first `top` of that order.

    A search shows the first few of about two hundred fused candidates: those scoring at least
    the `top`-th best score (floats sorted in C, no key) are all that need ordering by the key.
    """
    if top is None or len(scores) <= top:
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if top <= 0:
        return []
    least = sorted(scores.values(), reverse=True)[top - 1]
    items = [item for item in scores.items() if item[1] >= least]  # ties at `least` included
    items.sort(key=lambda item: (-item[1], item[0]))
    return items[:top]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]],
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
    top: int | None = None,
) -> list[tuple[int, float]]:
    """(candidate, fused score) pairs, best first (the first `top` of them, when given)."""
    weights = _weights(weights, len(rankings))
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, candidate in enumerate(ranking, 1):
            scores[candidate] = scores.get(candidate, 0.0) + weight / (k + rank)
    return _ranked(scores, top)


def convex_fusion(
    scored: Sequence[Scored], weights: Sequence[float] | None = None, top: int | None = None
) -> list[tuple[int, float]]:
    """(candidate, fused score) pairs, best first, from min-max normalized retriever scores
    (the first `top` of them, when given)."""
    weights = _weights(weights, len(scored))
    fused: dict[int, float] = {}
    for candidates, weight in zip(scored, weights, strict=True):
        if not candidates:
            continue
        values = [s for _, s in candidates]
        low, span = min(values), max(values) - min(values)
        for candidate, score in candidates:
            # One candidate, or all tied: each is as good as the list's best.
            normalized = (score - low) / span if span > 0 else 1.0
            fused[candidate] = fused.get(candidate, 0.0) + weight * normalized
    return _ranked(fused, top)


def fuse(
    dense: Scored, bm25: Scored, params: FusionParams = DEFAULT_FUSION, top: int | None = None
) -> list[tuple[int, float]]:
    """The hybrid ranking of a dense and a BM25 candidate list; with `top`, its first `top`."""
    weights = (params.dense_weight, 1.0 - params.dense_weight)
    if params.method == "convex":
        return convex_fusion([dense, bm25], weights, top)
    rankings = [[c for c, _ in dense], [c for c, _ in bm25]]
    return reciprocal_rank_fusion(rankings, params.rrf_k, [2 * w for w in weights], top)

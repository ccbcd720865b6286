"""From per-query outcomes to the summary figures reported per mode and per tier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragnotes_eval.metrics import (
    hit_at_k,
    mean,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
)

HIT_KS = (1, 3, 5, 10)
RECALL_KS = (10, 100)


@dataclass(frozen=True)
class Outcome:
    """One query in one mode: gains of what came back, in rank order, and how long it took."""

    id: str
    group: str  # the tier for our set; "all" for a benchmark
    gains: tuple[float, ...]
    ideal: tuple[float, ...]  # gains of every relevant item, for the ideal DCG
    ms: float

    @property
    def relevant(self) -> int:
        return sum(1 for g in self.ideal if g > 0)

    @property
    def first_rank(self) -> int | None:
        """Rank of the first relevant item returned, or None."""
        return next((r for r, g in enumerate(self.gains, 1) if g > 0), None)


def summarize(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """Mean quality figures and latency percentiles over `outcomes`."""
    figures: dict[str, float] = {"queries": float(len(outcomes))}
    for k in HIT_KS:
        figures[f"hit@{k}"] = mean([hit_at_k(o.gains, k) for o in outcomes])
    figures["mrr@10"] = mean([reciprocal_rank(o.gains, 10) for o in outcomes])
    figures["ndcg@10"] = mean([ndcg_at_k(o.gains, o.ideal, 10) for o in outcomes])
    for k in RECALL_KS:
        figures[f"recall@{k}"] = mean([recall_at_k(o.gains, o.relevant, k) for o in outcomes])
    times = [o.ms for o in outcomes]
    figures["p50_ms"] = percentile(times, 50)
    figures["p95_ms"] = percentile(times, 95)
    return {name: round(value, 4) for name, value in figures.items()}


def summarize_groups(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    """`summarize` for each group (tier), in order of first appearance."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.group, []).append(outcome)
    return {name: summarize(members) for name, members in groups.items()}

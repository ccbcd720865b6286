"""Quality figures and latency percentiles summed over questions, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from ragnotes_eval.scoring import Outcome, summarize, summarize_groups


def test_summary_of_two_questions() -> None:
    first = Outcome("a", "keyword", (1.0,), (1.0,), 10.0)  # answered at rank 1
    third = Outcome("b", "howto", (0.0, 0.0, 1.0), (1.0,), 30.0)  # answered at rank 3
    figures = summarize([first, third])
    assert figures["hit@1"] == 0.5 and figures["hit@3"] == 1.0
    assert figures["mrr@10"] == pytest.approx(round((1 + 1 / 3) / 2, 4))
    assert figures["ndcg@10"] == pytest.approx(round((1 + 0.5) / 2, 4))
    assert figures["recall@100"] == 1.0 and figures["p50_ms"] == 20.0
    assert third.first_rank == 3 and Outcome("c", "x", (0.0,), (1.0,), 1).first_rank is None
    assert list(summarize_groups([first, third])) == ["keyword", "howto"]
    assert not math.isnan(summarize([])["mrr@10"])

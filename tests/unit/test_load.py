"""The load test's report: its latency percentiles are eval.metrics.percentile's."""

from __future__ import annotations

from ragnotes_eval.load import Reindex, Tally, summarize


def test_latency_percentiles_interpolate_between_ranks() -> None:
    tally = Tally(requests=4, latencies_ms=[10.0, 40.0, 20.0, 30.0])
    report = summarize(tally, Reindex(), 2.0, 1, ("a", "b"))
    assert report["latency_ms"] == {"p50": 25.0, "p95": 38.5, "p99": 39.7}  # 30 + 0.97 * 10
    assert report["queries_per_second"] == 2.0 and report["errors"] == 0
    assert summarize(Tally(), Reindex(), 1.0, 1, (None, None))["latency_ms"] == {}

"""Where a query's time goes, stage by stage, on the fixture index (figures are not judged)."""

from __future__ import annotations

import pytest

from ragnotes.index.embedding import Embedder
from ragnotes.index.searcher import Searcher
from ragnotes.service.settings import Settings
from ragnotes_eval.profile_query import STAGES, format_profile, profile


@pytest.fixture(scope="module")
def searcher(built_settings: Settings, embedder: Embedder) -> Searcher:
    return Searcher.load(built_settings.store(), embedder)


def test_profile_times_every_stage(searcher: Searcher) -> None:
    report = profile(searcher, ["batch inference", "feature store skew"], rounds=1)
    assert set(report["stages"]) == set(STAGES) and report["queries"] == 2
    assert all(v["mean_ms"] >= 0 for v in report["stages"].values())
    assert "total" in format_profile(report)

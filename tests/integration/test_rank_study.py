"""The ranking study rebuilds exactly the ranking hybrid search returns, so its rows mean what they say."""

from __future__ import annotations

import pytest

from ragnotes.index.embedding import Embedder
from ragnotes.index.searcher import Searcher
from ragnotes.service.settings import Settings
from ragnotes_eval.rank_signals import hybrid, load_study, measure
from ragnotes_eval.rank_study import variants


@pytest.fixture(scope="module")
def searcher(built_settings: Settings, embedder: Embedder) -> Searcher:
    return Searcher.load(built_settings.store(), embedder)


def test_the_shipped_row_is_the_search_ranking(
    searcher: Searcher, built_settings: Settings
) -> None:
    study = load_study(searcher, built_settings.model)
    assert searcher.late_interaction is not None and len(study.queries) >= 160
    for q in study.queries[::10]:
        replayed = [searcher.chunks[c].id for c, _ in hybrid(study, q)[:10]]
        searched = [hit.chunk.id for hit in searcher.search(q.question.question, 10)]
        assert replayed == searched, q.question.id


def test_every_variant_runs_and_gives_figures(searcher: Searcher, built_settings: Settings) -> None:
    study = load_study(searcher, built_settings.model)
    study.queries[:] = [q for q in study.queries if q.split == "dev"][:8]
    for name, variant in variants(study):
        assert all(0.0 <= x <= 1.0 for x in measure(study, variant, "dev")), name

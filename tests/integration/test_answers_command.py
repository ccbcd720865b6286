"""The answer eval's searcher: every answer's search re-ranks as `--late-depth` or `--no-rerank` say."""

from __future__ import annotations

from ragnotes.answers.answering import retrieve
from ragnotes.answers.requests import AnswerRequest
from ragnotes.index.embedding import Embedder
from ragnotes.index.late_interaction import NO_LATE_INTERACTION, LateInteractionParams
from ragnotes.index.searcher import Searcher
from ragnotes.service.settings import Settings
from ragnotes_eval.answers_command import Reranking

QUESTION = "when should I prefer batch inference over online inference?"


def test_answers_search_with_the_re_ranking_the_eval_was_given(
    built_settings: Settings, embedder: Embedder
) -> None:
    searcher = Searcher.load(built_settings.store(), embedder)
    request = AnswerRequest(question=QUESTION, k=8)
    seen = set()
    for params in (NO_LATE_INTERACTION, LateInteractionParams(depth=3), LateInteractionParams()):
        expected = searcher.search(QUESTION, 8, "hybrid", late_interaction=params, cosines=True)
        reranking = Reranking(searcher, params)
        passages = retrieve(reranking, request, None, None).response.passages
        assert [(p.citation.path, p.score) for p in passages] == [
            (h.chunk.path, round(h.score, 6)) for h in expected
        ]
        seen.add(tuple(h.chunk.id for h in expected))
        # A caller that names the re-ranking still gets it.
        named = reranking.search(QUESTION, 8, late_interaction=NO_LATE_INTERACTION)
        plain = searcher.search(QUESTION, 8, late_interaction=NO_LATE_INTERACTION)
        assert [h.chunk.id for h in named] == [h.chunk.id for h in plain]
    assert len(seen) > 1  # the settings rank differently here, so the check above can fail

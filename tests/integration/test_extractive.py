"""Extractive answers on the full index (the bundled notes and the curated READMEs, as `make run`
builds it): everyday interview-prep questions get the block that answers them, in plain text,
each unit cited to the exact lines of the file it is quoted from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ragnotes.answers.answering import extractive_answer, finish, retrieve
from ragnotes.answers.requests import AnswerRequest
from ragnotes.answers.responses import AnswerResponse, AnswerSentence
from ragnotes.index.embedding import Embedder
from ragnotes.index.searcher import Searcher
from ragnotes.service.settings import Settings
from ragnotes_eval.answers import quoted_from_file

NOTES = Path(__file__).resolve().parents[2] / "corpus" / "notes"
MARKDOWN = re.compile(r"\*\*|`|\]\(|\|")


@pytest.fixture(scope="module")
def full_searcher(full_index: Settings, embedder: Embedder) -> Searcher:
    return Searcher.load(full_index.store(), embedder)


def _answer(searcher: Searcher, question: str) -> AnswerResponse:
    request = AnswerRequest(question=question, generator="extractive")
    retrieved = retrieve(searcher, request, None, None)
    return finish(retrieved, extractive_answer(retrieved))


def _cited(response: AnswerResponse, s: AnswerSentence) -> tuple[str, str]:
    c = {p.rank: p.citation for p in response.passages}[s.citations[0]]
    return c.source, c.path


def _lines(note: str, first: str, last: str) -> tuple[int, int]:
    """The 1-based lines of a note from the one holding `first` to the one holding `last`."""
    lines = (NOTES / note).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines, 1) if first in line)
    end = next(i for i, line in enumerate(lines, 1) if i >= start and last in line)
    return start, end


def _plain_and_grounded(searcher: Searcher, response: AnswerResponse) -> None:
    answer = response.answer
    assert answer.answerable and answer.sentences
    by_rank = {p.rank: p.citation for p in response.passages}
    for s in answer.sentences:
        for text in [s.text, *s.items, *(c for row in s.rows for c in row)]:
            assert not MARKDOWN.search(text), text
        assert s.supported
        assert quoted_from_file(searcher, by_rank[s.citations[0]], s), s.text
    assert not MARKDOWN.search(answer.text)


def test_the_framework_question_answers_with_the_stages(full_searcher: Searcher) -> None:
    response = _answer(
        full_searcher, "what is the 4-step framework for ML system design interviews?"
    )
    _plain_and_grounded(full_searcher, response)
    (steps,) = [s for s in response.answer.sentences if s.kind == "list"]
    assert _cited(response, steps) == ("notes", "interview-framework.md")
    assert steps.numbers == [1, 2, 3, 4, 5, 6, 7]
    assert steps.items[0].startswith("Clarify requirements. What product surface")
    assert steps.items[-1].startswith("Serving and monitoring.")
    first, last = _lines("interview-framework.md", "1. **Clarify", "retraining cadence.")
    assert (steps.start_line, steps.end_line) == (first, last)
    assert "\n2. Frame the ML task." in response.answer.text  # one step a line
    assert response.answer.sentences.index(steps) == 1  # after one lead sentence


def test_the_cold_start_question_answers_with_the_methods(full_searcher: Searcher) -> None:
    response = _answer(full_searcher, "how do I handle cold start for new users?")
    _plain_and_grounded(full_searcher, response)
    lists = [s for s in response.answer.sentences if s.kind == "list"]
    assert lists, response.answer.text
    methods = lists[0]
    assert _cited(response, methods) == ("notes", "cold-start.md")
    assert any(item.startswith("Popularity priors.") for item in methods.items)
    assert any(item.startswith("Onboarding questions.") for item in methods.items)
    first, last = _lines("cold-start.md", "- **Context at the first", "deliberately diverse")
    assert (methods.start_line, methods.end_line) == (first, last)
    lead = response.answer.sentences[response.answer.sentences.index(methods) - 1]
    assert lead.kind == "sentence" and lead.text.endswith(":")  # the sentence introducing it
    assert not any("limited or no interaction history" in s.text for s in response.answer.sentences)


def test_the_ad_click_question_answers_with_the_notes_substance(full_searcher: Searcher) -> None:
    response = _answer(full_searcher, "how would you design ad click prediction?")
    _plain_and_grounded(full_searcher, response)
    texts = [s.text for s in response.answer.sentences]
    assert not any("This guide covers" in t for t in texts)
    from_note = [
        s
        for s in response.answer.sentences
        if _cited(response, s) == ("notes", "case-ad-click-prediction.md")
    ]
    assert any("the absolute value of the probability matters" in s.text for s in from_note)

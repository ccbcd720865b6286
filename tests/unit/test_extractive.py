"""Extractive selection answers from the passages without repeating itself."""

from __future__ import annotations

from service.extractive import Drawn, Selection, extract
from tests.unit.test_sentences import PASSAGE


def test_selection_prefers_answering_sentences_and_skips_repeats() -> None:
    first = (
        "Prefer batch inference when the inputs are known ahead of time. "
        "Prefer batch inference when the inputs are known ahead of time, really. "
        "The office has a nice coffee machine on the third floor."
    )
    second = "Online inference is needed when the inputs only exist at request time."
    picks = extract(
        "when should I prefer batch inference?",
        [Drawn(1, "Serving", first), Drawn(2, "Serving", second)],
        Selection(),
    )
    texts = [p.sentence.text for p in picks]
    assert texts[0] == "Prefer batch inference when the inputs are known ahead of time."
    assert "Prefer batch inference when the inputs are known ahead of time, really." not in texts
    assert "The office has a nice coffee machine on the third floor." not in texts
    assert 2 <= len(picks) <= 5
    assert [p.rank for p in picks] == sorted(p.rank for p in picks)  # reading order


def test_each_sentence_is_in_the_passage_it_cites() -> None:
    passages = [
        Drawn(1, "Batch", PASSAGE),
        Drawn(2, "Online", "Online inference runs the model inside the request path."),
    ]
    picks = extract("when is batch inference the right choice?", passages)
    assert 2 <= len(picks) <= 5
    for p in picks:
        assert p.sentence.text in passages[p.rank - 1].text


def test_a_heading_that_holds_the_question_lifts_the_sentences_under_it() -> None:
    under = "The inputs are known ahead of time and hours of staleness are fine."
    other = "Batch jobs are often written in Spark and read from the warehouse."
    picks = extract(
        "when should I prefer batch inference?",
        [Drawn(1, "Inference > When to prefer batch inference", under), Drawn(2, "Tools", other)],
        Selection(least=1, keep=0.9),
    )
    assert [p.sentence.text for p in picks] == [under]

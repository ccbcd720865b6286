"""Extractive selection answers from the passages without repeating itself."""

from __future__ import annotations

from ragnotes.answers.context import Context
from ragnotes.answers.extractive import DEFAULT_SELECTION, Picked, Selection, extract
from ragnotes.answers.units import grounded, units
from tests.unit.test_generated import passage
from tests.unit.test_units import PASSAGE


def _extract(
    question: str, given: list[tuple[str, str]], selection: Selection = DEFAULT_SELECTION
) -> list[Picked]:
    """`extract` from passages (heading, text) ranked from 1, each read alone."""
    passages = [passage(rank, heading, text) for rank, (heading, text) in enumerate(given, 1)]
    contexts = {}
    for p in passages:
        lines = p.text.count("\n") + 1
        contexts[p.rank] = Context(p.text, tuple(range(1, lines + 1)), (0, lines - 1))
    return extract(question, passages, contexts, selection)


def test_selection_prefers_answering_sentences_and_skips_repeats() -> None:
    first = (
        "Prefer batch inference when the inputs are known ahead of time. "
        "Prefer batch inference when the inputs are known ahead of time, really. "
        "The office has a nice coffee machine on the third floor."
    )
    second = "Online inference is needed when the inputs only exist at request time."
    picks = _extract(
        "when should I prefer batch inference?",
        [("Serving", first), ("Serving", second)],
        Selection(),
    )
    texts = [p.unit.pieces[0].text for p in picks]
    assert texts[0] == "Prefer batch inference when the inputs are known ahead of time."
    assert "Prefer batch inference when the inputs are known ahead of time, really." not in texts
    assert "The office has a nice coffee machine on the third floor." not in texts
    assert 2 <= len(picks) <= 5
    assert [p.rank for p in picks] == sorted(p.rank for p in picks)  # reading order


def test_each_sentence_is_in_the_passage_it_cites() -> None:
    passages = [
        ("Batch", PASSAGE),
        ("Online", "Online inference runs the model inside the request path."),
    ]
    picks = _extract("when is batch inference the right choice?", passages)
    assert 2 <= len(picks) <= 5
    for p in picks:
        assert grounded(p.unit, passages[p.rank - 1][1])


def test_a_heading_that_holds_the_question_lifts_the_sentences_under_it() -> None:
    under = "The inputs are known ahead of time and hours of staleness are fine."
    other = "Batch jobs are often written in Spark and read from the warehouse."
    picks = _extract(
        "when should I prefer batch inference?",
        [("Inference > When to prefer batch inference", under), ("Tools", other)],
        Selection(least=1, keep=0.9),
    )
    assert [p.unit.pieces[0].text for p in picks] == [under]


def test_a_question_for_steps_gets_the_list_whole_after_its_lead() -> None:
    picks = _extract("what are the steps to check before batch inference?", [("Batch", PASSAGE)])
    lists = [p.unit for p in picks if p.unit.kind == "list"]
    assert len(lists) == 1 and len(lists[0].pieces) == 2
    assert lists[0].lead is not None and lists[0].lead.text == "What I check, in order:"


def test_a_sentence_that_points_back_comes_with_the_one_before_it() -> None:
    text = "Batch jobs score every user at night for the feed. This is why batch jobs are cheap to run."
    picks = _extract("why are batch jobs cheap to run?", [("Batch", text)], Selection(least=1))
    texts = [p.unit.pieces[0].text for p in picks]
    assert texts[-1] == "This is why batch jobs are cheap to run."
    assert "Batch jobs score every user at night for the feed." in texts


def test_boilerplate_ranks_below_content() -> None:
    intro = "This guide covers everything you need to know about batch inference pipelines."
    content = (
        "Batch inference pipelines precompute scores so the product reads them in milliseconds."
    )
    picks = _extract(
        "batch inference pipelines",
        [("Guide", f"{intro} {content}")],
        Selection(least=1, most=1),
    )
    assert [p.unit.pieces[0].text for p in picks] == [content]
    assert units(intro)[0].pieces[0].boiler

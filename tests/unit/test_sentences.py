"""Sentences of a paragraph's plain lines, with the lines each spans."""

from __future__ import annotations

from ragnotes.answers.sentences import readable, split


def test_sentences_are_cut_at_stops_and_know_their_lines() -> None:
    lines = [
        "Batch inference runs the model on a schedule. The product",
        "reads them with a key lookup, e.g. from Redis, in a few milliseconds.",
    ]
    found = split(lines, first_line=10)
    assert [s.text for s in found] == [
        "Batch inference runs the model on a schedule.",
        "The product reads them with a key lookup, e.g. from Redis, in a few milliseconds.",
    ]
    assert [(s.first, s.last) for s in found] == [(10, 10), (10, 11)]


def test_sentences_that_point_back_are_dependent() -> None:
    found = split(["Batch jobs run at night. This is why they are cheap. The price: a day of lag."])
    assert [s.dependent for s in found] == [False, True, True]


def test_list_intros_and_fragments_are_not_readable() -> None:
    assert not readable("The options are as follows:")
    assert not readable("Too short.")
    assert readable("A nightly job scores every pair of interest and stores them.")

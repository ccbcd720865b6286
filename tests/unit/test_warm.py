"""Preparing a build's passages ahead of questions fills the caches `best_sentence` and
`coverage` read, gives the same sentences, and stops when asked."""

from __future__ import annotations

import threading

from ragnotes.answers import highlight
from ragnotes.answers.warm import prepare_passages
from ragnotes.index.chunking import Chunk

TEXTS = [
    f"Batch inference suits nightly scores {i}. Online serving answers within {i} ms."
    for i in range(5)
]


def _chunks() -> list[Chunk]:
    return [Chunk(f"c{i}", "notes", "a.md", "A", "A", i, i, t, t) for i, t in enumerate(TEXTS)]


def test_prepared_passages_are_parsed_before_any_question() -> None:
    highlight._words.cache_clear()
    assert prepare_passages(_chunks()) == len(TEXTS)
    info = highlight._words.cache_info()
    assert info.currsize == len(TEXTS)
    # A question now finds each passage parsed, and picks the sentence it picked unprepared.
    picked = [highlight.best_sentence(t, "when is online serving fast?") for t in TEXTS]
    assert highlight._words.cache_info().hits == info.hits + len(TEXTS)
    highlight._words.cache_clear()
    assert picked == [highlight.best_sentence(t, "when is online serving fast?") for t in TEXTS]
    assert all(p and p.startswith("Online serving") for p in picked)


def test_a_set_stop_ends_the_work() -> None:
    stop = threading.Event()
    stop.set()
    assert prepare_passages(_chunks(), stop) == 0

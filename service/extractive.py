"""Extractive answers: a few sentences taken verbatim from the best passages.

Each prose sentence of the passages drawn on (service/sentences.py) scores the share of the
question's words it holds, plus half the share its passage's headings hold (a list under "When
to prefer batch inference" answers that question without repeating it), more in better-ranked
passages; sentences are then chosen greedily
by maximal marginal relevance (that score less the word overlap with sentences already chosen),
so the answer does not say the same thing twice, and shown in reading order: by passage rank,
then where they stand in it.

Words alone, not sentence vectors: embedding every candidate sentence with the bundled model
found as many answers on the dev split (answer-hit 0.511 both) at about 200 ms a question
instead of about 5 (eval/EXPERIMENTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.evidence import coverage
from service.highlight import STOP_WORDS, query_terms, stem
from service.sentences import Sentence, sentences

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Picked:
    """A sentence chosen for the answer and the rank of the passage it comes from."""

    rank: int
    sentence: Sentence
    heading: str = ""  # the breadcrumb of the passage it is from


@dataclass(frozen=True)
class Drawn:
    """A passage answers are drawn from: its rank, heading breadcrumb and Markdown text."""

    rank: int
    heading: str
    text: str


@dataclass(frozen=True)
class Selection:
    """How sentences are scored and chosen (defaults chosen on the dev split)."""

    most: int = 5  # sentences at most
    least: int = 2  # sentences at least, when the passages hold that many
    passages: int = 3  # draw on this many of the best passages that are not weak
    rank_prior: float = 0.5  # a sentence of passage n scores (1 + rank_prior / n) times more
    heading: float = 0.5  # weight of the question words its passage's headings hold
    redundancy: float = 0.3  # how much word overlap with a chosen sentence costs
    keep: float = 0.5  # past `least`, keep sentences scoring at least this share of the best
    duplicate: float = 0.8  # never choose a sentence this like one already chosen


DEFAULT_SELECTION = Selection()


def candidates(passages: Sequence[Drawn]) -> list[Picked]:
    """Every readable sentence of the given passages."""
    return [Picked(p.rank, s, p.heading) for p in passages for s in sentences(p.text)]


def _content(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _WORD.findall(text) if w.lower() not in STOP_WORDS)


def _likeness(texts: Sequence[str]) -> np.ndarray:
    """Pairwise word overlap (Jaccard) of the sentences' content words."""
    words = [_content(t) for t in texts]
    n = len(words)
    out = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            union = len(words[i] | words[j])
            out[i, j] = out[j, i] = len(words[i] & words[j]) / union if union else 0.0
    return out


def _relevance(question: str, picks: Sequence[Picked], selection: Selection) -> np.ndarray:
    terms = query_terms(question)
    heads = {p.heading: coverage(terms, p.heading) for p in picks}
    held = np.array(
        [coverage(terms, p.sentence.text) + selection.heading * heads[p.heading] for p in picks]
    )
    prior = np.array([1.0 / p.rank for p in picks])
    return np.asarray(held * (1 + selection.rank_prior * prior))


def _choose(relevance: np.ndarray, likeness: np.ndarray, selection: Selection) -> list[int]:
    chosen: list[int] = []
    best = float(relevance.max())
    while len(chosen) < min(selection.most, len(relevance)):
        penalty = likeness[:, chosen].max(axis=1) if chosen else np.zeros(len(relevance))
        score = relevance - selection.redundancy * penalty
        score[chosen] = -np.inf
        score[penalty >= selection.duplicate] = -np.inf
        i = int(score.argmax())
        if score[i] == -np.inf:
            break
        if len(chosen) >= selection.least and relevance[i] < selection.keep * best:
            break
        chosen.append(i)
    return chosen


def extract(
    question: str, passages: Sequence[Drawn], selection: Selection = DEFAULT_SELECTION
) -> list[Picked]:
    """The sentences that best answer `question`, in reading order; [] when none holds a word
    of it (or of its passage's headings)."""
    picks = candidates(passages)
    relevance = _relevance(question, picks, selection) if picks else np.zeros(0)
    if not picks or relevance.max() <= 0:
        return []
    chosen = _choose(relevance, _likeness([p.sentence.text for p in picks]), selection)
    return sorted((picks[i] for i in chosen), key=lambda p: (p.rank, p.sentence.index))

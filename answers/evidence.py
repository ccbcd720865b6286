"""Whether a passage really bears on a question: the "not in your notes" decision.

Fused scores are min-max normalised per question, so the best passage always scores near 1
whatever was asked. These signals mean the same across questions instead:

- `dense`: the raw cosine between the question and the passage (the embedding model's own scale);
- `coverage`: the share of the question's content words (stop words out, lightly stemmed) that
  the passage contains, the evidence BM25 ranks by, read without its per-query scale;
- `agreed`: both retrievers put the passage in their top `AGREEMENT_DEPTH`.

A passage is weak unless its signals pass `Thresholds`; a question is answerable when any passage
drawn on is not weak. The thresholds were chosen on the dev split (the labelled eval questions and
the off-topic dev half) and are reported on the off-topic test half by `ragnotes eval --answers`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ragnotes.answers.highlight import matches, query_terms, stem
from ragnotes.index.searcher import Hit

AGREEMENT_DEPTH = 10
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Evidence:
    """How strongly one passage bears on the question."""

    dense: float  # raw cosine; 0 when the passage was not among the dense candidates
    coverage: float  # share of the question's content words found in the passage
    agreed: bool  # in both retrievers' top AGREEMENT_DEPTH


@dataclass(frozen=True)
class Thresholds:
    """A passage is strong with `dense >= alone`, or `dense >= paired` and coverage or agreement."""

    # The middle of the values that gave the least dev error (none: every eval question answered,
    # every off-topic dev question refused): alone 0.40-0.45, paired 0.33-0.35, coverage any of
    # 0.3-0.7 (`python -m ragnotes_eval.answer_tuning`).
    alone: float = 0.42
    paired: float = 0.34
    coverage: float = 0.5


DEFAULT_THRESHOLDS = Thresholds()


@functools.lru_cache(maxsize=1 << 12)  # the same passages answer many questions
def _stems(text: str) -> tuple[frozenset[str], str]:
    """The stems of `text`'s words, as a set and joined one a line (for prefix searches)."""
    stems = frozenset(stem(w) for w in _WORD.findall(text))
    return stems, "\n" + "\n".join(stems) + "\n"


def coverage(terms: Sequence[str], text: str) -> float:
    """The share of `terms` (from `query_terms`) that some word of `text` matches."""
    if not terms:
        return 0.0
    stems, joined = _stems(text)
    return sum(1 for t in terms if _found(t, stems, joined)) / len(terms)


def _found(term: str, stems: frozenset[str], joined: str) -> bool:
    """`matches(s, term)` for some stem s; a prefix is found by one substring search."""
    if term in stems:
        return True
    at = joined.find("\n" + term)
    return at >= 0 and matches(joined[at + 1 : joined.index("\n", at + 1)], term)


def evidence(hit: Hit, terms: Sequence[str]) -> Evidence:
    """The signals of one hit for a question whose `query_terms` are `terms`."""
    agreed = (
        hit.dense_rank is not None
        and hit.bm25_rank is not None
        and max(hit.dense_rank, hit.bm25_rank) <= AGREEMENT_DEPTH
    )
    return Evidence(hit.dense_score or 0.0, coverage(terms, hit.chunk.text), agreed)


def is_weak(signals: Evidence, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether a passage says too little about the question to answer from."""
    if signals.dense >= thresholds.alone:
        return False
    lexical = signals.coverage >= thresholds.coverage or signals.agreed
    return not (signals.dense >= thresholds.paired and lexical)


def weak_flags(hits: Sequence[Hit], question: str) -> list[bool]:
    """`is_weak` for each hit."""
    terms = query_terms(question)
    return [is_weak(evidence(hit, terms)) for hit in hits]


def prepare(text: str) -> None:
    """Stem a passage's words ahead of any question (what `coverage` then reads from its cache)."""
    _stems(text)

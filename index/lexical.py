"""BM25 over the chunks' embedded text (bm25s, English stop words, Snowball stemming).

Contract: BM25 document i is chunk i, the same row as in the FAISS index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_STEMMER = Stemmer.Stemmer("english")
# Lucene's defaults; on our eval set k1 in 0.9-2.0 and b in 0.4-0.9 moved hybrid MRR@10 by
# less than one question's worth, so the usual values stay.
BM25_K1 = 1.2
BM25_B = 0.75
TOKENIZATION = "bm25s word tokens, lower-cased, English stop words removed, Snowball stemming"


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens for each text."""
    tokens = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )
    return [list(t) for t in tokens]


# What `tokenize` does to one text, without its per-call set-up (a new stop-word set, a
# vocabulary, progress bars), which cost more than the work for a question of ten words.
_WORDS = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default pattern
_STOP_WORDS = frozenset(STOPWORDS_EN)  # what bm25s reads stopwords="en" as


def query_tokens(text: str) -> list[str]:
    """`tokenize([text])[0]`, faster for one short text."""
    words = [w for w in _WORDS.findall(text.lower()) if w not in _STOP_WORDS]
    return list(_STEMMER.stemWords(words))


class LexicalIndex:
    """A BM25 index whose document i is chunk i."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], k1: float = BM25_K1, b: float = BM25_B) -> LexicalIndex:
        """Index `texts` in order."""
        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder))

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder)), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query` (all zero when no query term survives)."""
        tokens = query_tokens(query)
        if not tokens or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

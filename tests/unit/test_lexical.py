"""A question's BM25 tokens: the fast path for one text gives exactly what bm25s's tokenizer does."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import pytest

from ragnotes.index.lexical import LexicalIndex, query_tokens, tokenize

ROOT = Path(__file__).resolve().parents[2]
ODD = [
    "",
    "the and of",  # stop words only
    "a b c x y z",  # one-letter words are not tokens
    "What's the p99 of GPT-4's KV-cache? Über-fast naïve ranking, 100M users; ranking ranked ranks",
    "ÉLÉPHANT straße İstanbul ﬁne œuvre ½ 東京 snake_case CamelCase",
]


def _texts() -> list[str]:
    """Every eval question and every line of the bundled notes, plus odd cases."""
    texts = list(ODD)
    for jsonl in sorted((ROOT / "eval" / "questions").rglob("*.jsonl")):
        texts += jsonl.read_text(encoding="utf-8").splitlines()
    for note in sorted((ROOT / "corpus" / "notes").glob("*.md")):
        texts += note.read_text(encoding="utf-8").splitlines()
    return texts


def test_query_tokens_are_bm25s_tokens() -> None:
    texts = _texts()
    assert len(texts) > 1000
    for text in texts:
        assert query_tokens(text) == tokenize([text])[0], text


def _bm25s_scores(retriever: bm25s.BM25, text: str, size: int) -> np.ndarray:
    """What bm25s itself scores `text` at, as `LexicalIndex.scores` answers an empty query."""
    tokens = query_tokens(text)
    if not tokens:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(retriever.get_scores(tokens), dtype=np.float32)


@pytest.mark.parametrize("method", ["lucene", "bm25l"])
def test_scores_are_bm25s_scores_to_the_last_bit(method: str) -> None:
    """The index adds the stored columns itself; every score must be bm25s's, rounded alike."""
    notes = sorted((ROOT / "corpus" / "notes").glob("*.md"))
    docs = [p for note in notes for p in note.read_text(encoding="utf-8").split("\n\n")]
    retriever = bm25s.BM25(method=method)
    retriever.index(tokenize(docs), show_progress=False)
    index = LexicalIndex(retriever, len(docs))
    repeated = "ranking ranking model serving serving serving feature store nonexistentword"
    questions = [*ODD, repeated, *(t for t in _texts()[len(ODD) :] if '"question"' in t)]
    assert len(questions) > 200
    for text in questions:
        ours = index.scores(text)
        assert ours.dtype == np.float32
        assert ours.tobytes() == _bm25s_scores(retriever, text, len(docs)).tobytes(), text

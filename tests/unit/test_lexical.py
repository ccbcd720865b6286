"""A question's BM25 tokens: the fast path for one text gives exactly what bm25s's tokenizer does."""

from __future__ import annotations

from pathlib import Path

from ragnotes.index.lexical import query_tokens, tokenize

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

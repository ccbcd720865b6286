"""The searcher's own steps without the model: restricted FAISS search, candidates to Hits."""

from __future__ import annotations

import numpy as np

from ragnotes.index.ann import build_dense, nearest
from ragnotes.index.chunking import Chunk
from ragnotes.index.searcher import Candidates, Hit


def test_restricted_search_returns_only_allowed_rows_flat_and_ivf() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(20_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::7] = True
    for approximate_above in (10_000, 100_000):  # IVF, then exact
        index, _ = build_dense(vectors, approximate_above)
        _, ids = nearest(index, vectors[:1], 50, allowed)
        found = [i for i in ids[0] if i >= 0]
        assert len(found) == 50 and all(allowed[i] for i in found)
        _, unrestricted = nearest(index, vectors[:1], 50)
        assert unrestricted[0][0] == 0  # the row itself, allowed or not


def test_hits_carry_each_retrievers_rank_and_raw_score() -> None:
    chunks = [Chunk(f"c{i}", "notes", "a.md", "A", "A", i, i, "t", "t") for i in range(4)]
    found = Candidates(dense=[(2, 0.9), (0, 0.7)], bm25=[(0, 5.0), (3, 2.0)])
    hits = found.hits(chunks, [(0, 0.8), (3, 0.5), (2, 0.4)])
    assert hits == [
        Hit(chunks[0], 0.8, dense_rank=2, bm25_rank=1, dense_score=0.7, bm25_score=5.0),
        Hit(chunks[3], 0.5, dense_rank=None, bm25_rank=2, dense_score=None, bm25_score=2.0),
        Hit(chunks[2], 0.4, dense_rank=1, bm25_rank=None, dense_score=0.9, bm25_score=None),
    ]


def test_bm25_hits_take_cosines_from_the_nearest_chunks_without_a_dense_rank() -> None:
    chunks = [Chunk(f"c{i}", "notes", "a.md", "A", "A", i, i, "t", "t") for i in range(4)]
    found = Candidates(dense=[], bm25=[(0, 5.0), (3, 2.0)], cosines=[(3, 0.6), (1, 0.5)])
    hits = found.hits(chunks, [(0, 5.0), (3, 2.0)])
    assert hits == [
        Hit(chunks[0], 5.0, dense_rank=None, bm25_rank=1, dense_score=None, bm25_score=5.0),
        Hit(chunks[3], 2.0, dense_rank=None, bm25_rank=2, dense_score=0.6, bm25_score=2.0),
    ]

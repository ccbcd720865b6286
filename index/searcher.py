"""Answer a query from one immutable build: candidates, fusion, re-ranking, as Hits.

`Searcher.search` is the query flow's middle, and its one call to the index: the question's
vector (index/embedding.py, computed at most once) finds the dense candidates in FAISS, BM25
(index/lexical.py) the lexical ones, both oversampled to `FusionParams.depth`; hybrid search fuses
them (index/fusion.py) and re-ranks the fused top by late interaction (index/late_interaction.py).
Every Hit comes back with each retriever's rank and raw score; in bm25 mode, asked for
`cosines`, the question's nearest chunks are looked up for their cosines alone, so an answer can
judge a keyword hit on the model's scale without searching again. Candidates and Hits name
chunks by their row, which is the same in FAISS, BM25 and chunks.jsonl.

A Searcher is a snapshot: it never changes after loading, so a request that took it keeps a
consistent view while a newer build is published beside it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from ragnotes.index import ann
from ragnotes.index.chunking import Chunk
from ragnotes.index.embedding import Embedder
from ragnotes.index.fusion import DEFAULT_FUSION, FusionParams, fuse
from ragnotes.index.late_interaction import (
    CODES_FILE,
    DEFAULT_LATE_INTERACTION,
    LATE_INTERACTION_VERSION,
    LateInteractionIndex,
    LateInteractionParams,
    apply_late_interaction,
)
from ragnotes.index.lexical import LexicalIndex
from ragnotes.index.manifest import Manifest
from ragnotes.index.store import BuildStore, DocInfo, damaged, load_part, read_docs, read_jsonl

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
ChunkFilter = Callable[[Chunk], bool]
Ranking = list[tuple[int, float]]  # (chunk row, score), best first
# bm25 mode: the question's nearest chunks whose cosines its hits carry; a hit beyond them has none.
COSINE_DEPTH = 100
ALLOWED_MASKS = 32  # the filters whose chunk masks a searcher keeps, a byte a chunk each


@dataclass(frozen=True)
class Hit:
    """One ranked chunk with its fused score and per-retriever ranks and raw scores.

    None: not a candidate of that retriever (in bm25 mode asked for cosines, `dense_score` is
    the cosine when the chunk is among the question's `COSINE_DEPTH` nearest; `dense_rank` stays
    None). The raw scores (cosine, BM25) mean the same across questions, unlike the fused score,
    so answers judge from them whether anything answers.
    """

    chunk: Chunk
    score: float
    dense_rank: int | None
    bm25_rank: int | None
    dense_score: float | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class Candidates:
    """What the retrievers found for one question, each list best first."""

    dense: Ranking  # (chunk row, cosine)
    bm25: Ranking  # (chunk row, BM25 score)
    query_rows: np.ndarray | None = None  # the question's late-interaction rows, when asked for
    cosines: Ranking | None = None  # bm25 mode: the nearest chunks, for their cosines only

    def hits(self, chunks: Sequence[Chunk], ranked: Ranking) -> list[Hit]:
        """`ranked` as Hits, each with its rank and raw score in either list."""
        # A few rows are asked of lists of about a hundred: each list is read into its scores
        # and rows in C, and a row's rank found by a scan in C, not every rank put in a dict.
        dense_rows, dense_scores = _unzip(self.dense)
        bm25_rows, bm25_scores = _unzip(self.bm25)
        cosines = dense_scores if self.cosines is None else dict(self.cosines)
        return [
            Hit(
                chunks[c],
                score,
                dense_rows.index(c) + 1 if c in dense_scores else None,
                bm25_rows.index(c) + 1 if c in bm25_scores else None,
                cosines.get(c),
                bm25_scores.get(c),
            )
            for c, score in ranked
        ]


def _unzip(ranking: Ranking) -> tuple[list[int], dict[int, float]]:
    """A ranking's rows in order, and each row's score (its rows are distinct)."""
    return list(map(operator.itemgetter(0), ranking)), dict(ranking)


class Searcher:
    """Search over one loaded build."""

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        chunks: list[Chunk],
        docs: dict[tuple[str, str], DocInfo],
        dense: faiss.Index,
        lexical: LexicalIndex,
        embedder: Embedder,
        late_interaction: LateInteractionIndex | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.chunks = chunks
        self.docs = docs
        self._dense = dense
        self._lexical = lexical
        self._embedder = embedder
        self._late_interaction = late_interaction
        # Per searcher, so a build's masks go with it; a lambda never repeats, and only ages out.
        self._allowed = functools.lru_cache(maxsize=ALLOWED_MASKS)(self._compute_allowed)

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def dense(self) -> faiss.Index:
        return self._dense

    @property
    def lexical(self) -> LexicalIndex:
        return self._lexical

    @property
    def late_interaction(self) -> LateInteractionIndex | None:
        """Every chunk's late-interaction rows, when the build keeps them."""
        return self._late_interaction

    @functools.cached_property
    def tags(self) -> frozenset[str]:
        """Every tag of the indexed notes, and each parent of a nested one, in lower case."""
        found: set[str] = set()
        for chunk in self.chunks:
            for tag in chunk.tags:
                parts = tag.lower().split("/")
                found.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        return frozenset(found)

    def allowed(self, where: ChunkFilter) -> np.ndarray:
        """Which chunks `where` accepts, one bool a row (read-only); computed once per build for
        filters that compare equal (frozen dataclasses), since a filter is a chunk's property."""
        return self._allowed(where)

    def _compute_allowed(self, where: ChunkFilter) -> np.ndarray:
        mask = np.fromiter((where(c) for c in self.chunks), dtype=bool, count=len(self.chunks))
        mask.flags.writeable = False  # shared by every request with an equal filter
        return mask

    @property
    def build_id(self) -> str:
        return self.manifest.build_id

    @classmethod
    def load(cls, store: BuildStore, embedder: Embedder) -> Searcher:
        """The live build, checked against this embedder."""
        folder = store.live_dir()
        manifest = Manifest.read(folder)
        mismatch = manifest.compatible_with(embedder)
        if mismatch is not None:
            raise mismatch.error()
        chunks = load_part(folder, "chunks.jsonl", lambda p: [Chunk(**r) for r in read_jsonl(p)])
        docs = load_part(folder, "docs.jsonl", lambda p: read_docs(p, store.data_dir))
        dense = load_part(folder, "vectors.faiss", lambda p: faiss.read_index(str(p)))
        ann.configure(dense, manifest.dense_index)
        lexical = load_part(folder, "bm25", lambda p: LexicalIndex.load(p, len(chunks)))
        if len(chunks) != manifest.chunk_count or dense.ntotal != len(chunks):
            raise damaged(
                folder,
                f"chunks.jsonl holds {len(chunks)} chunks and vectors.faiss {dense.ntotal} "
                f"vectors, but the manifest says {manifest.chunk_count}",
            )
        late_interaction = (
            load_part(folder, CODES_FILE, lambda _: LateInteractionIndex.load(folder, len(chunks)))
            if manifest.late_interaction == LATE_INTERACTION_VERSION
            else None
        )
        return cls(folder, manifest, chunks, docs, dense, lexical, embedder, late_interaction)

    def search(
        self,
        query: str,
        k: int = 5,
        mode: Mode = "hybrid",
        *,
        fusion: FusionParams = DEFAULT_FUSION,
        late_interaction: LateInteractionParams = DEFAULT_LATE_INTERACTION,
        where: ChunkFilter | None = None,
        cosines: bool = False,
    ) -> list[Hit]:
        """The best `k` chunks for `query`; `where` keeps only chunks it accepts. With `cosines`,
        every hit has each score an answer judges it by, in bm25 mode too (`candidates`).

        Each retriever contributes `max(k, fusion.depth)` candidates, so for any `k` up to the
        depth the ranking is the same and `k` only says how much of it to return. Hybrid search
        then re-ranks the first `late_interaction.depth` fused candidates by late interaction,
        whatever `k` is, when the build holds its rows.
        """
        rows = self._late_interaction if mode == "hybrid" and late_interaction.depth > 0 else None
        found = self.candidates(query, max(k, fusion.depth), mode, rows is not None, where, cosines)
        if mode == "hybrid":
            # Only what is re-ranked or shown is ordered; the rest of the fused list never is.
            needed = k if rows is None else max(k, late_interaction.depth)
            ranked = fuse(found.dense, found.bm25, fusion, top=needed)
        else:
            ranked = found.dense or found.bm25
        if rows is not None and found.query_rows is not None:
            # It re-orders only its first `depth`, so what follows them beyond `k` is never shown.
            shown = ranked[: max(k, late_interaction.depth)]
            ranked = apply_late_interaction(shown, found.query_rows, rows, late_interaction)
        return found.hits(self.chunks, ranked[:k])

    def candidates(
        self,
        query: str,
        depth: int,
        mode: Mode,
        with_rows: bool,
        where: ChunkFilter | None,
        cosines: bool = False,
    ) -> Candidates:
        """The best `depth` chunks of each retriever `mode` uses; with `with_rows`, also the
        question's late-interaction rows, from the same run of the model as its vector. With
        `cosines`, in bm25 mode when BM25 finds anything, the question's `COSINE_DEPTH` nearest
        chunks (whatever `where` says) for their cosines: the question is embedded for those
        alone, so a search runs the model at most once."""
        allowed = None if where is None else self.allowed(where)
        query_rows = None
        dense: Ranking = []
        if mode in ("hybrid", "dense"):
            if with_rows:
                vector, query_rows = self._embedder.embed_query_with_late_interaction(query)
            else:
                vector = self._embedder.embed_query(query)
            dense = self._dense_ranking(vector, depth, allowed)
        bm25 = self.bm25_ranking(query, depth, allowed) if mode in ("hybrid", "bm25") else []
        looked_up = None
        if cosines and mode == "bm25" and bm25:
            looked_up = self.dense_ranking(query, COSINE_DEPTH, None)
        return Candidates(dense, bm25, query_rows, looked_up)

    def dense_ranking(self, query: str, depth: int, allowed: np.ndarray | None) -> Ranking:
        """The `depth` chunks nearest to the question's vector, among those `allowed`."""
        return self._dense_ranking(self._embedder.embed_query(query), depth, allowed)

    def _dense_ranking(self, vector: np.ndarray, depth: int, allowed: np.ndarray | None) -> Ranking:
        if self._dense.ntotal == 0:
            return []
        scores, ids = ann.nearest(self._dense, vector, min(depth, self._dense.ntotal), allowed)
        found = ids[0] >= 0
        ids, scores = ids[0][found], scores[0][found]
        order = np.lexsort((ids, -scores))  # FAISS orders ties its own way: best, then lower row
        return list(zip(ids[order].tolist(), scores[order].tolist(), strict=True))

    def bm25_ranking(self, query: str, depth: int, allowed: np.ndarray | None) -> Ranking:
        """The `depth` chunks of highest positive BM25 score, among those `allowed`."""
        scores = self._lexical.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if positive.size > depth:
            positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
        ordered = positive[np.lexsort((positive, -scores[positive]))]
        return list(zip(ordered.tolist(), scores[ordered].tolist(), strict=True))

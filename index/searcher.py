"""Answer a query from one immutable build: dense and BM25 candidates, fused, as Hits.

A Searcher is a snapshot: it never changes after loading, so a request that took it keeps a
consistent view while a newer build is published beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np

from corpus.errors import IndexMismatch
from index import ann
from index.build import first_mismatch
from index.chunking import Chunk
from index.embedding import Embedder
from index.fusion import DEFAULT_FUSION, FusionParams, fuse
from index.late import LATE_VERSION, TOKENS_FILE, TokenStore, rerank
from index.lexical import LexicalIndex
from index.store import BuildStore, damaged, load_part, read_jsonl

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
ChunkFilter = Callable[[Chunk], bool]


@dataclass(frozen=True)
class Hit:
    """One ranked chunk with its fused score and per-retriever ranks and raw scores.

    None: not a candidate of that retriever. The raw scores (cosine, BM25) mean the same across
    questions, unlike the fused score, so answers judge from them whether anything answers.
    """

    chunk: Chunk
    score: float
    dense_rank: int | None
    bm25_rank: int | None
    dense_score: float | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class DocInfo:
    source: str
    path: str
    file: str
    sha256: str
    commit: str | None
    license: str | None


def check_compatible(manifest: dict[str, Any], embedder: Embedder) -> None:
    """Refuse an index made with another model, dimension, chunker or format."""
    mismatch = first_mismatch(manifest, embedder)
    if mismatch is not None:
        key, built, now = mismatch
        if key == "format":
            age = "an older" if isinstance(built, int) and built < now else "another"
            raise IndexMismatch(
                f"the index was made by {age} version of ragnotes (build format {built!r}, "
                f"this one reads {now!r}); run `ragnotes index` to rebuild it"
            )
        raise IndexMismatch(
            f"the index was built with {key} {built!r} but this server uses {now!r}; "
            "re-index with `ragnotes index --full`"
        )


class Searcher:
    """Search over one loaded build."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        chunks: list[Chunk],
        docs: dict[tuple[str, str], DocInfo],
        dense: faiss.Index,
        lexical: LexicalIndex,
        embedder: Embedder,
        tokens: TokenStore | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.chunks = chunks
        self.docs = docs
        self._dense = dense
        self._lexical = lexical
        self._embedder = embedder
        self._tokens = tokens

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
    def tokens(self) -> TokenStore | None:
        """Every chunk's late-interaction rows, when the build keeps them."""
        return self._tokens

    @property
    def build_id(self) -> str:
        return str(self.manifest["build_id"])

    @classmethod
    def load(cls, store: BuildStore, embedder: Embedder) -> Searcher:
        """The live build, checked against this embedder."""
        folder = store.live_dir()
        manifest = store.read_manifest(folder)
        check_compatible(manifest, embedder)
        chunks = load_part(folder, "chunks.jsonl", lambda p: [Chunk(**r) for r in read_jsonl(p)])
        docs = load_part(
            folder,
            "docs.jsonl",
            lambda p: {(r["source"], r["path"]): DocInfo(**r) for r in read_jsonl(p)},
        )
        dense = load_part(folder, "vectors.faiss", lambda p: faiss.read_index(str(p)))
        ann.configure(dense, manifest.get("dense_index"))
        lexical = load_part(folder, "bm25", lambda p: LexicalIndex.load(p, len(chunks)))
        if len(chunks) != manifest.get("chunk_count") or dense.ntotal != len(chunks):
            raise damaged(
                folder,
                f"chunks.jsonl holds {len(chunks)} chunks and vectors.faiss {dense.ntotal} "
                f"vectors, but the manifest says {manifest.get('chunk_count')}",
            )
        tokens = (
            load_part(folder, TOKENS_FILE, lambda _: TokenStore.load(folder, len(chunks)))
            if manifest.get("late_interaction") == LATE_VERSION
            else None
        )
        return cls(folder, manifest, chunks, docs, dense, lexical, embedder, tokens)

    @property
    def reranks(self) -> bool:
        """Whether this build holds the token rows that late-interaction re-ranking needs."""
        return self._tokens is not None

    def rerank(
        self,
        fused: list[tuple[int, float]],
        query_rows: np.ndarray,
        fusion: FusionParams = DEFAULT_FUSION,
    ) -> list[tuple[int, float]]:
        """`fused` with its first `fusion.rerank_depth` re-ranked by late interaction."""
        if self._tokens is None or fusion.rerank_depth <= 0:
            return fused
        head = [c for c, _ in fused[: fusion.rerank_depth]]
        return rerank(fused, self._tokens.scores(query_rows, head), fusion.late_weight)

    def dense_ranking(
        self, query: str, depth: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        return self._dense_ranking(self._embedder.embed_query(query), depth, allowed)

    def _dense_ranking(
        self, vector: np.ndarray, depth: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        if self._dense.ntotal == 0:
            return []
        scores, ids = ann.search(self._dense, vector, min(depth, self._dense.ntotal), allowed)
        found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        return sorted(found, key=lambda hit: (-hit[1], hit[0]))  # FAISS orders ties its own way

    def bm25_ranking(
        self, query: str, depth: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        scores = self._lexical.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if positive.size > depth:
            positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
        ordered = positive[np.lexsort((positive, -scores[positive]))]
        return [(int(i), float(scores[i])) for i in ordered]

    def search(
        self,
        query: str,
        k: int = 5,
        mode: Mode = "hybrid",
        *,
        fusion: FusionParams = DEFAULT_FUSION,
        where: ChunkFilter | None = None,
    ) -> list[Hit]:
        """The best `k` chunks for `query`; `where` keeps only chunks it accepts.

        Each retriever contributes `max(k, fusion.depth)` candidates, so for any `k` up to the
        depth the ranking is the same and `k` only says how much of it to return. Hybrid search
        then re-ranks the first `fusion.rerank_depth` fused candidates by late interaction
        (index/late.py), whatever `k` is, when the build holds token rows.
        """
        depth = max(k, fusion.depth)
        allowed = None if where is None else np.array([where(c) for c in self.chunks], dtype=bool)
        reranking = self.reranks and mode == "hybrid" and fusion.rerank_depth > 0
        query_rows = None
        dense: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense"):
            if reranking:
                vector, query_rows = self._embedder.embed_query_with_tokens(query)
            else:
                vector = self._embedder.embed_query(query)
            dense = self._dense_ranking(vector, depth, allowed)
        bm25 = self.bm25_ranking(query, depth, allowed) if mode in ("hybrid", "bm25") else []
        dense_rank = {c: r for r, (c, _) in enumerate(dense, 1)}
        bm25_rank = {c: r for r, (c, _) in enumerate(bm25, 1)}
        dense_score, bm25_score = dict(dense), dict(bm25)
        fused = fuse(dense, bm25, fusion) if mode == "hybrid" else dense or bm25
        if query_rows is not None:
            fused = self.rerank(fused, query_rows, fusion)
        return [
            Hit(
                self.chunks[c],
                score,
                dense_rank.get(c),
                bm25_rank.get(c),
                dense_score.get(c),
                bm25_score.get(c),
            )
            for c, score in fused[:k]
        ]

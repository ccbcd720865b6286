"""Run a BEIR dataset through our chunking, indexing and search, scoring documents by their best chunk.

Each document becomes a Markdown file, "# title" then the text, and is indexed with
`build_index` into its own data directory, so the embedding cache there makes a second run
fast. With `whole_docs`, each document is instead one passage, `title + " " + text`, embedded
whole (the model truncates it at its window), as published dense figures on BEIR were made.
Both go through `Searcher.search`; a document's rank is the rank of its best passage.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ragnotes.corpus.documents import Document, fingerprint
from ragnotes.errors import RagnotesError
from ragnotes.index.ann import build_dense
from ragnotes.index.build import BuildOptions, build_index
from ragnotes.index.chunking import Chunk
from ragnotes.index.embedding import Embedder, Progress
from ragnotes.index.late_interaction import (
    DEFAULT_LATE_INTERACTION,
    LATE_INTERACTION_VERSION,
    LateInteractionIndex,
    LateInteractionParams,
)
from ragnotes.index.lexical import LexicalIndex
from ragnotes.index.manifest import Manifest
from ragnotes.index.searcher import Hit, Mode, Searcher
from ragnotes.index.store import BuildStore
from ragnotes.index.vector_cache import VectorCache, embed_with_cache
from ragnotes_eval.beir_data import BeirDataset
from ragnotes_eval.runner import EVAL_MODES
from ragnotes_eval.scoring import Outcome

RANKED_DOCS = 100  # enough for recall@100


def beir_documents(dataset: BeirDataset, corpus_file: Path) -> list[Document]:
    """Every corpus document as a Markdown Document whose path is its id."""
    documents = []
    for doc in dataset.docs:
        text = f"# {doc.title}\n\n{doc.text}\n" if doc.title else f"{doc.text}\n"
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        documents.append(Document(dataset.name, doc.id, text, corpus_file, digest))
    return documents


def _is_current(
    store: BuildStore, documents: Sequence[Document], embedder: Embedder, target: int
) -> bool:
    """Whether the live build already indexes exactly these documents this way."""
    if store.current_id() is None:
        return False
    try:
        manifest = Manifest.read(store.live_dir())
    except RagnotesError:
        return False  # unreadable or of another format: build it again
    return (
        manifest.fingerprint == fingerprint(documents)
        and manifest.compatible_with(embedder, target, late_interaction=True) is None
    )


def chunked_searcher(
    documents: Sequence[Document],
    embedder: Embedder,
    data_dir: Path,
    target_tokens: int,
    progress: Progress | None = None,
) -> Searcher:
    """A searcher over our chunks of `documents`, built in `data_dir` unless already there."""
    store = BuildStore(data_dir)
    if not _is_current(store, documents, embedder, target_tokens):
        options = BuildOptions(target_tokens=target_tokens)
        build_index(documents, embedder, store, options, progress)
    return Searcher.load(store, embedder)


def whole_doc_searcher(
    dataset: BeirDataset, embedder: Embedder, data_dir: Path, progress: Progress | None = None
) -> Searcher:
    """An in-memory searcher with one passage per document, `title + " " + text`."""
    texts = [f"{d.title} {d.text}".strip() for d in dataset.docs]
    chunks = [
        Chunk(d.id, dataset.name, d.id, d.title, d.title, 1, 1, text, text)
        for d, text in zip(dataset.docs, texts, strict=True)
    ]
    cache = VectorCache(
        data_dir / "cache" / "vectors.sqlite",
        embedder.vectors_id,
        embedder.dim,
        embedder.late_interaction_dim,
    )
    try:
        embedded = embed_with_cache(texts, embedder, cache, progress, late_interaction=True)
    finally:
        cache.close()
    dense, spec = build_dense(embedded.vectors)  # as a build of this many chunks would have it
    rows = LateInteractionIndex.pack(embedded.late_interaction or [], embedder.dim)
    manifest = Manifest.new(
        embedder,
        build_id=f"{dataset.name}-whole-docs",
        chunker_version="whole-docs",  # no chunker: one passage per document
        target_tokens=None,
        file_count=len(texts),
        chunk_count=len(texts),
        sources=(dataset.name,),
    )
    manifest = replace(manifest, dense_index=spec, late_interaction=LATE_INTERACTION_VERSION)
    lexical = LexicalIndex.build(texts)
    return Searcher(data_dir, manifest, chunks, {}, dense, lexical, embedder, rows)


def passages_per_query(searcher: Searcher) -> int:
    """Passages to ask for so that about RANKED_DOCS distinct documents come back."""
    per_doc = len(searcher.chunks) / max(1, searcher.manifest.file_count)
    return RANKED_DOCS * max(1, math.ceil(per_doc))


def rank_documents(hits: Sequence[Hit], limit: int = RANKED_DOCS) -> list[str]:
    """Document ids in the order of their best passage."""
    return list(dict.fromkeys(h.chunk.path for h in hits))[:limit]


def run_beir(
    searcher: Searcher,
    dataset: BeirDataset,
    modes: Sequence[Mode] = EVAL_MODES,
    late_interaction: LateInteractionParams = DEFAULT_LATE_INTERACTION,
) -> dict[Mode, list[Outcome]]:
    """Every judged query in every mode, scored against the graded qrels at document level."""
    k = passages_per_query(searcher)
    warm_up = next(iter(dataset.queries.values()))
    searcher.search(warm_up, k, "hybrid", late_interaction=late_interaction)
    results: dict[Mode, list[Outcome]] = {}
    for mode in modes:
        outcomes = []
        for qid, query in dataset.queries.items():
            started = time.perf_counter()
            hits = searcher.search(query, k, mode, late_interaction=late_interaction)
            ms = (time.perf_counter() - started) * 1000
            judged = dataset.qrels[qid]
            gains = tuple(float(judged.get(doc, 0)) for doc in rank_documents(hits))
            ideal = tuple(float(g) for g in judged.values())
            outcomes.append(Outcome(qid, "all", gains, ideal, ms))
        results[mode] = outcomes
    return results

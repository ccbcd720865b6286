"""Build an index from documents and publish it atomically.

Flow: chunk every document → look up vectors by content hash, embed only the missing texts →
FAISS row i and BM25 doc i are chunk i → write everything into a temporary build folder →
manifest last → rename into place → replace the CURRENT pointer → prune old builds.
Every build is computed from all documents, with vectors reused from the cache, so an
incremental build and a full rebuild give the same chunks, ids and results.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from corpus.documents import Document, fingerprint
from corpus.errors import BuildFailed, RagnotesError
from index.ann import APPROXIMATE_ABOVE, build_dense
from index.chunking import DEFAULT_TARGET_TOKENS, Chunk, chunk_document
from index.embedding import Embedder, Progress
from index.late_interaction import LATE_INTERACTION_VERSION, LateInteractionIndex
from index.lexical import LexicalIndex
from index.manifest import Manifest
from index.store import BuildStore, fsync_path, read_jsonl
from index.vector_cache import Embedded, RowCodes, VectorCache, embed_with_cache

KEEP_BUILDS = 3


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, for the summary line and the API."""

    build_id: str
    files: int
    chunks: int
    embedded: int  # chunks whose vectors were computed, not taken from the cache
    seconds: float
    manifest: Manifest
    reused_files: int = 0  # files whose chunks were taken from the previous build unchanged
    full_reason: str | None = None  # why nothing could be reused from the previous build


ChunkKey = tuple[str, str, str]  # (source, path, sha256 of the text)


def chunk_all(
    documents: Sequence[Document],
    embedder: Embedder,
    target_tokens: int,
    previous: dict[ChunkKey, list[Chunk]] | None = None,
) -> tuple[list[Chunk], int]:
    """Chunks of every document, in document order, and how many files reused `previous` chunks.

    Chunking is a pure function of (source, path, text, settings), so a file whose text is
    unchanged takes its chunks from the previous build of the same settings as they were.
    """
    chunks: list[Chunk] = []
    reused = 0
    for doc in documents:
        known = (previous or {}).get((doc.source, doc.path, doc.sha256))
        if known is not None:
            chunks.extend(known)
            reused += 1
        else:
            chunks.extend(
                chunk_document(doc, embedder.count_tokens, embedder.max_tokens, target_tokens)
            )
    return chunks, reused


def previous_chunks(
    store: BuildStore, embedder: Embedder, target_tokens: int, late_interaction: bool = False
) -> tuple[dict[ChunkKey, list[Chunk]], str | None]:
    """The live build's chunks by file, when it was made the same way; else why not."""
    if store.current_id() is None:
        return {}, "no previous build"
    try:
        folder = store.live_dir()
        manifest = Manifest.read(folder)
    except RagnotesError as exc:
        return {}, f"the previous build is unusable ({exc})"
    mismatch = manifest.compatible_with(embedder, target_tokens, late_interaction)
    if mismatch is not None:
        return {}, mismatch.reason()
    try:
        sha = {(d["source"], d["path"]): d["sha256"] for d in read_jsonl(folder / "docs.jsonl")}
        grouped: dict[ChunkKey, list[Chunk]] = {}
        rows = read_jsonl(folder / "chunks.jsonl")
        for row in rows:
            chunk = Chunk(**row)
            grouped.setdefault(
                (chunk.source, chunk.path, sha[(chunk.source, chunk.path)]), []
            ).append(chunk)
    except (OSError, ValueError, TypeError, KeyError):
        return {}, "the previous build is unreadable"
    if len(rows) != manifest.chunk_count:  # a truncated file would drop a file's last chunks
        return {}, f"the previous build's chunks.jsonl is truncated ({len(rows)} chunks listed)"
    return grouped, None


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _doc_row(doc: Document) -> dict[str, Any]:
    return {
        "source": doc.source,
        "path": doc.path,
        "file": str(doc.file),
        "sha256": doc.sha256,
        "commit": doc.commit,
        "license": doc.license,
    }


def new_build_id() -> str:
    """Sortable by time, unique across processes."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def write_build(
    folder: Path,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    documents: Sequence[Document],
    manifest: Manifest,
    approximate_above: int = APPROXIMATE_ABOVE,
    late_interaction: Sequence[RowCodes] | None = None,
) -> Manifest:
    """Every file of a build, manifest last, all flushed to disk; the manifest as written.

    With `late_interaction` (chunk i's rows), the build can re-rank by late interaction.
    """
    index, spec = build_dense(vectors, approximate_above)
    version = LATE_INTERACTION_VERSION if late_interaction is not None else None
    manifest = replace(manifest, dense_index=spec, late_interaction=version)
    faiss.write_index(index, str(folder / "vectors.faiss"))
    written = [folder / "vectors.faiss"]
    if late_interaction is not None:
        written += LateInteractionIndex.pack(late_interaction, vectors.shape[1]).save(folder)
    LexicalIndex.build([c.embed_text for c in chunks]).save(folder / "bm25")
    _write_jsonl(
        folder / "chunks.jsonl", [vars(c) for c in chunks]
    )  # flat records: vars() is asdict without the deep copy
    _write_jsonl(folder / "docs.jsonl", [_doc_row(d) for d in documents])
    for path in [*written, *(folder / "bm25").iterdir()]:
        fsync_path(path)
    manifest.write(folder)
    return manifest


def build_index(
    documents: Sequence[Document],
    embedder: Embedder,
    store: BuildStore,
    *,
    target_tokens: int = DEFAULT_TARGET_TOKENS,
    progress: Progress | None = None,
    full: bool = False,
    approximate_above: int = APPROXIMATE_ABOVE,
    late_interaction: bool = True,
) -> BuildResult:
    """Build from `documents`, publish, prune; the live index is untouched until the last step.

    `full` re-chunks and re-embeds everything instead of reusing the previous build and cache.
    `late_interaction` keeps every chunk's rows for re-ranking by late interaction.
    """
    started = time.perf_counter()
    with store.build_lock():
        store.prune(KEEP_BUILDS)
        previous, full_reason = (
            ({}, "--full asked for")
            if full
            else previous_chunks(store, embedder, target_tokens, late_interaction)
        )
        chunks, reused = chunk_all(documents, embedder, target_tokens, previous)
        embedded = _embed_all(
            store, chunks, embedder, progress, reuse=not full, late_interaction=late_interaction
        )
        build_id = new_build_id()
        manifest = Manifest.new(
            embedder,
            build_id=build_id,
            target_tokens=target_tokens,
            file_count=len(documents),
            chunk_count=len(chunks),
            fingerprint=fingerprint(documents),
            sources=tuple(sorted({d.source for d in documents})),
        )
        manifest = _write_and_publish(
            store, build_id, chunks, embedded, documents, manifest, approximate_above
        )
        store.prune(KEEP_BUILDS)
    seconds = time.perf_counter() - started
    return BuildResult(
        build_id,
        len(documents),
        len(chunks),
        embedded.computed,
        seconds,
        manifest,
        reused,
        full_reason,
    )


def _embed_all(
    store: BuildStore,
    chunks: Sequence[Chunk],
    embedder: Embedder,
    progress: Progress | None,
    reuse: bool,
    late_interaction: bool,
) -> Embedded:
    """Vectors of every chunk through the cache; a cache that cannot be written fails the build."""
    path = store.data_dir / "cache" / "vectors.sqlite"
    try:
        cache = VectorCache(path, embedder.vectors_id, embedder.dim, embedder.token_dim)
        try:
            return embed_with_cache(
                [c.embed_text for c in chunks], embedder, cache, progress, reuse, late_interaction
            )
        finally:
            cache.close()
    except sqlite3.Error as exc:  # "database or disk is full", or a damaged cache file
        raise BuildFailed(
            f"the vector cache {path} could not be used ({exc}); the live index is untouched. "
            "Free some space (or delete that file: it only saves time), then run `ragnotes index`"
        ) from exc


def _write_and_publish(
    store: BuildStore,
    build_id: str,
    chunks: Sequence[Chunk],
    embedded: Embedded,
    documents: Sequence[Document],
    manifest: Manifest,
    approximate_above: int,
) -> Manifest:
    """Write the build beside the live one and flip the pointer; on failure leave no trace."""
    tmp = store.new_tmp_dir(build_id)
    try:
        manifest = write_build(
            tmp,
            chunks,
            embedded.vectors,
            documents,
            manifest,
            approximate_above,
            embedded.late_interaction,
        )
        store.commit(tmp, build_id)
        return manifest
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        why = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise BuildFailed(
            f"could not write the new build ({why}); the live index is untouched. "
            "Free some space or fix the data directory, then run `ragnotes index` again"
        ) from exc

"""Build an index from source folders and publish it atomically.

Flow (`index_sources`): discover the documents (corpus/documents.py) → each one's sections
(corpus/sections.py) packed into chunks (index/chunking.py) → look up vectors by content hash,
embed only the missing texts (index/vector_cache.py) → write the build folder beside the live
one, manifest last, and flip the CURRENT pointer (index/write.py) → prune old builds. Every
build is computed from all documents, with vectors reused from the cache, so an incremental
build and a full rebuild give the same chunks, ids and results.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ragnotes.corpus.documents import NOTES_SOURCE, Discovery, Document, Sources, fingerprint
from ragnotes.corpus.sections import document_sections
from ragnotes.errors import BuildFailed, ConfigError, RagnotesError
from ragnotes.index.ann import APPROXIMATE_ABOVE
from ragnotes.index.chunking import DEFAULT_TARGET_TOKENS, Chunk, chunk_sections
from ragnotes.index.embedding import Embedder, Progress
from ragnotes.index.manifest import Manifest
from ragnotes.index.store import BuildStore, read_jsonl
from ragnotes.index.vector_cache import Embedded, FanOut, VectorCache, embed_with_cache
from ragnotes.index.write import write_and_publish

KEEP_BUILDS = 3
ChunkKey = tuple[str, str, str]  # (source, path, sha256 of the text)


@dataclass(frozen=True)
class BuildOptions:
    """How a build is made, decided once from the settings (`Settings.build_options`)."""

    target_tokens: int = DEFAULT_TARGET_TOKENS  # chunk size the packer aims for
    approximate_above: int = APPROXIMATE_ABOVE  # more chunks than this: an IVF dense index
    late_interaction: bool = True  # keep every chunk's, to re-rank the hybrid top by it
    full: bool = False  # re-chunk and re-embed everything, reusing no previous build or cache


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, for the summary line and the API."""

    manifest: Manifest
    embedded: int  # chunks whose vectors were computed, not taken from the cache
    seconds: float
    reused_files: int = 0  # files whose chunks were taken from the previous build unchanged
    full_reason: str | None = None  # why nothing could be reused from the previous build

    @property
    def build_id(self) -> str:
        return self.manifest.build_id

    @property
    def files(self) -> int:
        return self.manifest.file_count

    @property
    def chunks(self) -> int:
        return self.manifest.chunk_count


def index_sources(
    sources: Sources,
    embedder: Embedder,
    store: BuildStore,
    options: BuildOptions = BuildOptions(),
    progress: Progress | None = None,
    fan_out: FanOut | None = None,
) -> tuple[BuildResult, Discovery]:
    """Discover the documents of `sources` and publish a new build of them (the missing vectors
    computed by `fan_out` when given, else by `embedder`)."""
    found = sources.discover()
    if not found.documents:
        raise ConfigError(
            "found no Markdown files to index; check --notes / RAGNOTES_NOTES_DIR, "
            "or sync the curated READMEs with `ragnotes readmes sync`"
        )
    return build_index(found.documents, embedder, store, options, progress, fan_out), found


def build_index(
    documents: Sequence[Document],
    embedder: Embedder,
    store: BuildStore,
    options: BuildOptions = BuildOptions(),
    progress: Progress | None = None,
    fan_out: FanOut | None = None,
) -> BuildResult:
    """Build from `documents`, publish, prune; the live index is untouched until the last step.

    `progress` hears each stage in turn: chunk (files), embed (chunks), write.
    """
    started = time.perf_counter()
    with store.build_lock():
        store.prune(KEEP_BUILDS)
        previous, full_reason = (
            ({}, "--full asked for") if options.full else previous_chunks(store, embedder, options)
        )
        chunks, reused = chunk_all(documents, embedder, options.target_tokens, previous)
        _stage(progress, "chunk", len(documents))
        embedded = _embed_all(store, chunks, embedder, progress, options, fan_out)
        _stage(progress, "write", 0)
        manifest = Manifest.new(
            embedder,
            build_id=new_build_id(),
            target_tokens=options.target_tokens,
            file_count=len(documents),
            chunk_count=len(chunks),
            fingerprint=fingerprint(documents),
            sources=tuple(sorted({d.source for d in documents})),
        )
        manifest = write_and_publish(
            store, manifest, chunks, embedded, documents, options.approximate_above
        )
        _stage(progress, "write", 1)
        store.prune(KEEP_BUILDS)
    seconds = time.perf_counter() - started
    return BuildResult(manifest, embedded.computed, seconds, reused, full_reason)


def _stage(progress: Progress | None, stage: str, done: int) -> None:
    """Report a stage that is not counted piece by piece: `done` of `done` (0: starting)."""
    if progress is not None:
        progress(stage, done, max(done, 1))


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
            sections = document_sections(doc)
            chunks.extend(
                chunk_sections(sections, embedder.count_tokens, embedder.max_tokens, target_tokens)
            )
    return chunks, reused


def previous_chunks(
    store: BuildStore, embedder: Embedder, options: BuildOptions
) -> tuple[dict[ChunkKey, list[Chunk]], str | None]:
    """The live build's chunks by file, when it was made the same way; else why not."""
    if store.current_id() is None:
        return {}, "no previous build"
    try:
        folder = store.live_dir()
        manifest = Manifest.read(folder)
    except RagnotesError as exc:
        return {}, f"the previous build is unusable ({exc})"
    mismatch = manifest.compatible_with(embedder, options.target_tokens, options.late_interaction)
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


def live_notes(store: BuildStore) -> list[tuple[str, str]]:
    """(file, path) of every note the live build holds; none when there is no readable build."""
    try:
        rows = read_jsonl(store.live_dir() / "docs.jsonl") if store.current_id() else []
    except (RagnotesError, OSError, ValueError):
        return []
    return [
        (str(store.data_dir.absolute() / r["file"]), r["path"])
        for r in rows
        if r.get("source") == NOTES_SOURCE
    ]


def _embed_all(
    store: BuildStore,
    chunks: Sequence[Chunk],
    embedder: Embedder,
    progress: Progress | None,
    options: BuildOptions,
    fan_out: FanOut | None = None,
) -> Embedded:
    """Vectors of every chunk through the cache; a cache that cannot be written fails the build."""
    path = store.data_dir / "cache" / "vectors.sqlite"
    texts = [c.embed_text for c in chunks]
    try:
        cache = VectorCache(path, embedder.vectors_id, embedder.dim, embedder.late_interaction_dim)
        try:
            return embed_with_cache(
                texts,
                embedder,
                cache,
                progress,
                reuse=not options.full,
                late_interaction=options.late_interaction,
                fan_out=fan_out,
            )
        finally:
            cache.close()
    except sqlite3.Error as exc:  # "database or disk is full", or a damaged cache file
        raise BuildFailed(
            f"the vector cache {path} could not be used ({exc}); the live index is untouched. "
            "Free some space (or delete that file: it only saves time), then run `ragnotes index`"
        ) from exc


def new_build_id() -> str:
    """Sortable by time, unique across processes."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]

"""Write one build's files into a folder beside the live build, manifest last, and publish it.

    <build folder>/vectors.faiss     FAISS row i is chunk i (index/ann.py)
    <build folder>/bm25/             BM25 doc i is chunk i (index/lexical.py)
    <build folder>/tokens.npy, ...   chunk i's late interaction (index/late_interaction.py)
    <build folder>/chunks.jsonl      chunk i, as a record
    <build folder>/docs.jsonl        the documents built from
    <build folder>/manifest.json     written last (index/manifest.py)

Every file is flushed to disk before the folder is renamed into place and the pointer moves
(index/store.py), so a crash leaves the live build as it was.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss

from ragnotes.corpus.documents import Document
from ragnotes.errors import BuildFailed
from ragnotes.index.ann import APPROXIMATE_ABOVE, build_dense
from ragnotes.index.chunking import Chunk
from ragnotes.index.late_interaction import LATE_INTERACTION_VERSION, LateInteractionIndex
from ragnotes.index.lexical import LexicalIndex
from ragnotes.index.manifest import Manifest
from ragnotes.index.store import BuildStore, fsync_path
from ragnotes.index.vector_cache import Embedded


def write_build(
    folder: Path,
    manifest: Manifest,
    chunks: Sequence[Chunk],
    embedded: Embedded,
    documents: Sequence[Document],
    approximate_above: int = APPROXIMATE_ABOVE,
    data_dir: Path | None = None,
) -> Manifest:
    """Every file of a build, manifest last, all flushed to disk; the manifest as written.

    With late-interaction vectors in `embedded` (chunk i's), the build can re-rank by late
    interaction. A source file inside `data_dir` (the synced READMEs) is recorded relative to
    it, any other by its absolute path, so the build reads the same from every directory.
    """
    index, spec = build_dense(embedded.vectors, approximate_above)
    late = embedded.late_interaction
    version = LATE_INTERACTION_VERSION if late is not None else None
    manifest = replace(manifest, dense_index=spec, late_interaction=version)
    faiss.write_index(index, str(folder / "vectors.faiss"))
    written = [folder / "vectors.faiss"]
    if late is not None:
        written += LateInteractionIndex.pack(late, embedded.vectors.shape[1]).save(folder)
    LexicalIndex.build([c.embed_text for c in chunks]).save(folder / "bm25")
    # Flat records: vars() is asdict without the deep copy.
    _write_jsonl(folder / "chunks.jsonl", [vars(c) for c in chunks])
    _write_jsonl(folder / "docs.jsonl", [_doc_row(d, data_dir) for d in documents])
    for path in [*written, *(folder / "bm25").iterdir()]:
        fsync_path(path)
    manifest.write(folder)
    return manifest


def write_and_publish(
    store: BuildStore,
    manifest: Manifest,
    chunks: Sequence[Chunk],
    embedded: Embedded,
    documents: Sequence[Document],
    approximate_above: int = APPROXIMATE_ABOVE,
) -> Manifest:
    """Write the build beside the live one and flip the pointer; on failure leave no trace."""
    tmp = store.new_tmp_dir(manifest.build_id)
    try:
        written = write_build(
            tmp, manifest, chunks, embedded, documents, approximate_above, store.data_dir
        )
        store.commit(tmp, manifest.build_id)
        return written
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        why = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise BuildFailed(
            f"could not write the new build ({why}); the live index is untouched. "
            "Free some space or fix the data directory, then run `ragnotes index` again"
        ) from exc


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _doc_row(doc: Document, data_dir: Path | None) -> dict[str, Any]:
    file = doc.file.absolute()
    if data_dir is not None and file.is_relative_to(data_dir.absolute()):
        file = file.relative_to(data_dir.absolute())
    return {
        "source": doc.source,
        "path": doc.path,
        "file": str(file),
        "sha256": doc.sha256,
        "commit": doc.commit,
        "license": doc.license,
    }

"""Embedding vectors cached by content hash, so unchanged text is never embedded twice.

Keys are (model name, sha256 of the embedded text): a renamed or moved chunk with the same
text reuses its vector, and vectors from different models never mix. A second table holds each
text's late-interaction vectors (int8 codes and per-row scales, index/late_interaction.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ragnotes.index.embedding import Embedder, Progress
from ragnotes.index.late_interaction import LATE_INTERACTION_VERSION, quantize

LateCodes = tuple[np.ndarray, np.ndarray]  # late-interaction vectors: int8 codes, float32 scales
# Texts embedded elsewhere (index/ray_embed.py): given the texts and whether late interaction is
# wanted, it yields, in any order, (positions in the texts, their vectors, their late-interaction
# vectors or None).
FannedOut = Iterator[tuple[Sequence[int], np.ndarray, list[np.ndarray] | None]]
FanOut = Callable[[Sequence[str], bool], FannedOut]


def text_key(text: str) -> str:
    """The cache key for one embedded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    """A small SQLite table of vectors; safe to share between processes."""

    def __init__(
        self, path: Path, model: str, dim: int, late_interaction_dim: int | None = None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors "
            "(model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))"
        )
        # The table and the "+late" tag are the names cached vectors were written under: renaming
        # them would throw every cached row away.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS tokens "
            "(model TEXT, key TEXT, codes BLOB, scales BLOB, PRIMARY KEY (model, key))"
        )
        self._model = model
        self._late_model = f"{model}+late{LATE_INTERACTION_VERSION}"  # they change with it
        self._dim = dim
        self._late_interaction_dim = (
            late_interaction_dim or dim
        )  # wider than `dim` when a Dense layer follows
        # Rows this model made under an earlier format (the first one carried no "+late" tag)
        # can never be read again: drop them, and new ones reuse their pages.
        with self._db:
            self._db.execute(
                "DELETE FROM tokens WHERE (model = ? OR substr(model, 1, ?) = ?) AND model != ?",
                (model, len(model) + 5, f"{model}+late", self._late_model),
            )

    def _select(
        self, columns: str, table: str, model: str, keys: Sequence[str]
    ) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(keys), 500):
            part = list(keys[start : start + 500])
            marks = ",".join("?" * len(part))
            yield from self._db.execute(
                f"SELECT key, {columns} FROM {table} WHERE model = ? AND key IN ({marks})",
                [model, *part],
            )

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `keys`."""
        found: dict[str, np.ndarray] = {}
        for key, blob in self._select("vector", "vectors", self._model, keys):
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape == (self._dim,):
                found[key] = vector
        return found

    def get_late_interaction_many(self, keys: Sequence[str]) -> dict[str, LateCodes]:
        """The cached late-interaction vectors among `keys`, as (int8 codes, float32 scales)."""
        found: dict[str, LateCodes] = {}
        for key, codes_blob, scales_blob in self._select(
            "codes, scales", "tokens", self._late_model, keys
        ):
            scales = np.frombuffer(scales_blob, dtype=np.float32)
            codes = np.frombuffer(codes_blob, dtype=np.int8)
            if codes.size == scales.size * self._late_interaction_dim:
                found[key] = (codes.reshape(scales.size, self._late_interaction_dim), scales)
        return found

    def put_many(
        self, items: dict[str, np.ndarray], late: dict[str, LateCodes] | None = None
    ) -> None:
        """Store vectors (float32), and any late-interaction vectors, under their keys."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(self._model, k, np.asarray(v, np.float32).tobytes()) for k, v in items.items()],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)",
                [
                    (
                        self._late_model,
                        k,
                        np.asarray(c, np.int8).tobytes(),
                        np.asarray(s, np.float32).tobytes(),
                    )
                    for k, (c, s) in (late or {}).items()
                ],
            )

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True)
class Embedded:
    """Vectors of a list of texts (row i for text i), and how many had to be computed."""

    vectors: np.ndarray
    computed: int
    late_interaction: list[LateCodes] | None = None  # text i's, when asked for


def embed_with_cache(
    texts: Sequence[str],
    embedder: Embedder,
    cache: VectorCache,
    progress: Progress | None = None,
    reuse: bool = True,
    late_interaction: bool = False,
    fan_out: FanOut | None = None,
) -> Embedded:
    """Vectors for `texts` through the cache, and with `late_interaction` their vectors for it.

    With `late_interaction`, a text counts as cached only when its vector and its late
    interaction both are.
    With `fan_out`, the missing texts are embedded by it (on a cluster) instead of `embedder`.
    """
    keys = [text_key(t) for t in texts]
    known = cache.get_many(keys) if reuse else {}
    known_late = cache.get_late_interaction_many(keys) if reuse and late_interaction else {}
    if late_interaction:
        known = {k: v for k, v in known.items() if k in known_late}
    by_key = dict(zip(keys, texts, strict=True))
    # Similar lengths share a batch, so little time goes into padding.
    missing = sorted(dict.fromkeys(k for k in keys if k not in known), key=lambda k: len(by_key[k]))
    tick = _ticker(progress, len(missing))
    missing_texts = [by_key[k] for k in missing]
    parts = (
        _in_process(missing_texts, embedder, late_interaction, tick)
        if fan_out is None
        else _counted(fan_out(missing_texts, late_interaction), tick)
    )
    _keep(parts, missing, cache, known, known_late)
    matrix = np.stack([known[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)
    return Embedded(
        matrix.astype(np.float32),
        len(missing),
        [known_late[k] for k in keys] if late_interaction else None,
    )


def _ticker(progress: Progress | None, total: int) -> Callable[[int], None]:
    """Counts texts as they are embedded into `progress` ("embed", done, total), from 0."""
    done = 0
    if progress is not None:
        progress("embed", 0, total)

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("embed", done, total)

    return tick


def _keep(
    parts: FannedOut,
    keys: Sequence[str],
    cache: VectorCache,
    known: dict[str, np.ndarray],
    known_late: dict[str, LateCodes],
) -> None:
    """Each part's vectors (and late interaction) into `known` and the cache, as it arrives."""
    for positions, vectors, late in parts:
        part = [keys[i] for i in positions]
        fresh_late = (
            {} if late is None else {k: quantize(r) for k, r in zip(part, late, strict=True)}
        )
        known_late.update(fresh_late)
        fresh = dict(zip(part, vectors, strict=True))
        cache.put_many(fresh, fresh_late)  # saved as we go, so a crash mid-way keeps finished work
        known.update(fresh)


def _in_process(
    texts: Sequence[str], embedder: Embedder, late_interaction: bool, tick: Callable[[int], None]
) -> FannedOut:
    """`texts` embedded here, 128 at a time."""
    for start in range(0, len(texts), 128):
        part = texts[start : start + 128]
        positions = range(start, start + len(part))
        if late_interaction:
            vectors, late = embedder.embed_with_late_interaction(part, progress=tick)
            yield positions, vectors, late
        else:
            yield positions, embedder.embed(part, progress=tick), None


def _counted(parts: FannedOut, tick: Callable[[int], None]) -> FannedOut:
    for positions, vectors, late in parts:
        tick(len(positions))
        yield positions, vectors, late

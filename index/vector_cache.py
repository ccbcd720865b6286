"""Embedding vectors cached by content hash, so unchanged text is never embedded twice.

Keys are (model name, sha256 of the embedded text): a renamed or moved chunk with the same
text reuses its vector, and vectors from different models never mix. A second table holds each
text's content-token rows for late interaction (int8 codes and per-row scales, index/late.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.late import LATE_VERSION

TokenCodes = tuple[np.ndarray, np.ndarray]  # int8 rows and their float32 scales


def text_key(text: str) -> str:
    """The cache key for one embedded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    """A small SQLite table of vectors; safe to share between processes."""

    def __init__(self, path: Path, model: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors "
            "(model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS tokens "
            "(model TEXT, key TEXT, codes BLOB, scales BLOB, PRIMARY KEY (model, key))"
        )
        self._model = model
        self._tokens_model = f"{model}+late{LATE_VERSION}"  # rows change with the kept tokens
        self._dim = dim

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

    def get_tokens_many(self, keys: Sequence[str]) -> dict[str, TokenCodes]:
        """The cached content-token rows among `keys`, as (int8 codes, float32 scales)."""
        found: dict[str, TokenCodes] = {}
        for key, codes_blob, scales_blob in self._select(
            "codes, scales", "tokens", self._tokens_model, keys
        ):
            scales = np.frombuffer(scales_blob, dtype=np.float32)
            codes = np.frombuffer(codes_blob, dtype=np.int8)
            if codes.size == scales.size * self._dim:
                found[key] = (codes.reshape(scales.size, self._dim), scales)
        return found

    def put_many(
        self, items: dict[str, np.ndarray], tokens: dict[str, TokenCodes] | None = None
    ) -> None:
        """Store vectors (float32), and any token rows, under their keys."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(self._model, k, np.asarray(v, np.float32).tobytes()) for k, v in items.items()],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)",
                [
                    (
                        self._tokens_model,
                        k,
                        np.asarray(c, np.int8).tobytes(),
                        np.asarray(s, np.float32).tobytes(),
                    )
                    for k, (c, s) in (tokens or {}).items()
                ],
            )

    def close(self) -> None:
        self._db.close()

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ragnotes.index.embedding import Embedder
from ragnotes.index.late_interaction import LATE_INTERACTION_VERSION, quantize
from ragnotes.index.vector_cache import FannedOut, VectorCache, embed_with_cache


def _models(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {model for (model,) in db.execute("SELECT model FROM tokens")}


def test_rows_of_an_earlier_format_are_dropped_for_the_opening_model_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vectors.sqlite"
    for model in ("m", "other"):
        cache = VectorCache(path, model, 4)
        cache.put_many({"k": np.ones(4, np.float32)}, {"k": quantize(np.ones((2, 4)))})
        cache.close()
    with sqlite3.connect(path) as db:  # the same rows, as earlier formats would have kept them
        for model in ("m", "other"):
            for old in (model, f"{model}+late{LATE_INTERACTION_VERSION - 1}"):
                db.execute(
                    "INSERT INTO tokens SELECT ?, key, codes, scales FROM tokens WHERE model = ?",
                    (old, f"{model}+late{LATE_INTERACTION_VERSION}"),
                )

    cache = VectorCache(path, "m", 4)
    assert _models(path) == {
        f"m+late{LATE_INTERACTION_VERSION}",
        "other",
        f"other+late{LATE_INTERACTION_VERSION - 1}",
        f"other+late{LATE_INTERACTION_VERSION}",
    }
    assert set(cache.get_late_interaction_many(["k"])) == {"k"} and set(cache.get_many(["k"])) == {
        "k"
    }
    cache.close()


def test_a_fan_out_returning_parts_out_of_order_gives_the_local_result(
    tmp_path: Path, embedder: Embedder
) -> None:
    """What `index --ray` relies on: parts may come back in any order and are cached as they do."""
    texts = [f"note {i}: " + "feature store " * (i % 7) for i in range(12)] + ["note 0: "]
    local = embed_with_cache(
        texts,
        embedder,
        VectorCache(tmp_path / "a.sqlite", "m", embedder.dim),
        late_interaction=True,
    )
    asked: list[int] = []

    def backwards(missing: Sequence[str], late: bool) -> FannedOut:
        asked.append(len(missing))
        for start in reversed(range(0, len(missing), 5)):
            positions = list(range(start, min(start + 5, len(missing))))
            vectors, rows = embedder.embed_with_late_interaction([missing[i] for i in positions])
            yield positions, vectors, rows if late else None

    cache = VectorCache(tmp_path / "b.sqlite", "m", embedder.dim)
    fanned = embed_with_cache(texts, embedder, cache, late_interaction=True, fan_out=backwards)
    assert asked == [12]  # the repeated text is embedded once
    assert fanned.vectors.tobytes() == local.vectors.tobytes() and fanned.computed == 12
    assert local.late_interaction is not None and fanned.late_interaction is not None
    for (codes, scales), (codes_b, scales_b) in zip(
        local.late_interaction, fanned.late_interaction, strict=True
    ):
        assert codes.tobytes() == codes_b.tobytes() and scales.tobytes() == scales_b.tobytes()
    again = embed_with_cache(texts, embedder, cache, late_interaction=True, fan_out=backwards)
    assert asked == [12, 0] and again.computed == 0  # all cached: nothing sent

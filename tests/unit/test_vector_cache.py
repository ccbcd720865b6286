from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from index.late_interaction import LATE_INTERACTION_VERSION, quantize
from index.vector_cache import VectorCache


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
    assert set(cache.get_rows_many(["k"])) == {"k"} and set(cache.get_many(["k"])) == {"k"}
    cache.close()

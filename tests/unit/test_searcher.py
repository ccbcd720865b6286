"""The searcher's own steps without the model: FAISS search restricted to allowed rows."""

from __future__ import annotations

import numpy as np

from index.ann import build_dense
from index.searcher import nearest


def test_restricted_search_returns_only_allowed_rows_flat_and_ivf() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(20_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::7] = True
    for approximate_above in (10_000, 100_000):  # IVF, then exact
        index, _ = build_dense(vectors, approximate_above)
        _, ids = nearest(index, vectors[:1], 50, allowed)
        found = [i for i in ids[0] if i >= 0]
        assert len(found) == 50 and all(allowed[i] for i in found)
        _, unrestricted = nearest(index, vectors[:1], 50)
        assert unrestricted[0][0] == 0  # the row itself, allowed or not

"""The IVF dense index: recall against exact search, and the build switch."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from ragnotes.index.ann import build_dense, configure, nearest, probe_queries, recall_at_10


def clustered(n: int, dim: int = 32, centres: int = 50, seed: int = 1) -> np.ndarray:
    """Unit vectors around random centres, shaped like sentence embeddings rather than noise."""
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, dim))
    points = middle[rng.integers(0, centres, n)] + 0.6 * rng.normal(size=(n, dim))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_recall_at_10_counts_the_shared_share() -> None:
    exact = np.array([list(range(10)), list(range(10))])
    approximate = np.array([list(range(10)), [0, 1, 2, 3, 4, 90, 91, 92, 93, 94]])
    assert recall_at_10(exact, approximate) == 0.75


def test_small_corpora_stay_exact_over_float16_vectors() -> None:
    vectors = clustered(500)
    index, spec = build_dense(vectors, approximate_above=1000)
    assert spec.kind == "flat_fp16" and isinstance(index, faiss.IndexScalarQuantizer)
    assert index.code_size == 2 * vectors.shape[1]  # two bytes a dimension: half of float32's
    # Every vector is scored: the ranking is the exact one over the vectors rounded to float16.
    queries = probe_queries(vectors, 50, seed=3)
    scores, ids = index.search(queries, 10)
    rounded = vectors.astype(np.float16).astype(np.float32) @ queries.T
    for q in range(len(queries)):
        assert np.allclose(scores[q], rounded[ids[q], q], atol=1e-5)
        assert scores[q][-1] >= np.sort(rounded[:, q])[-10] - 1e-5  # nothing better left out
    exact = vectors @ queries.T  # and close to the float32 cosines
    assert np.abs(scores - np.take_along_axis(exact.T, ids, axis=1)).max() < 1e-3


def test_ivf_reaches_the_recall_target_on_unseen_queries() -> None:
    vectors = clustered(20_000)
    index, spec = build_dense(vectors, approximate_above=10_000)
    assert spec.kind == "ivf" and spec.recall_at_10 >= 0.98 and spec.nprobe < spec.nlist
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    queries = probe_queries(vectors, 200, seed=7)  # not the queries nprobe was tuned on
    truth = exact.search(queries, 10)[1]
    assert recall_at_10(truth, index.search(queries, 10)[1]) >= 0.97


def test_a_reloaded_ivf_index_probes_as_built(tmp_path: Path) -> None:
    vectors = clustered(20_000)
    index, spec = build_dense(vectors, approximate_above=10_000)
    faiss.write_index(index, str(tmp_path / "v.faiss"))
    loaded = faiss.read_index(str(tmp_path / "v.faiss"))
    loaded.nprobe = 1
    configure(loaded, spec)
    assert loaded.nprobe == spec.nprobe


def test_recall_ignores_missing_results() -> None:
    exact = np.array([[3, 1, 2, -1, -1, -1, -1, -1, -1, -1]])
    assert recall_at_10(exact, np.array([[1, 2, 3, -1, -1, -1, -1, -1, -1, -1]])) == 1.0
    assert recall_at_10(exact, np.array([[1, 9, -1, -1, -1, -1, -1, -1, -1, -1]])) == 1 / 3


def test_nearest_searches_on_one_thread_and_puts_the_callers_limit_back() -> None:
    vectors = clustered(300)
    index, _ = build_dense(vectors)
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(before + 1)
    try:
        scores, ids = nearest(index, vectors[:1], 5)
        assert ids[0][0] == 0 and scores.shape == (1, 5)
        assert faiss.omp_get_max_threads() == before + 1
    finally:
        faiss.omp_set_num_threads(before)

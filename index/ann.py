"""The dense index: exact inner product for ordinary corpora, IVF above a chunk count.

Up to `APPROXIMATE_ABOVE` vectors a flat index answers exactly in a few milliseconds: every
stored vector is scored. It keeps them as float16 (FAISS's scalar quantizer, `QT_fp16`), half
the memory a question's scan reads after the model has emptied the caches: 229 against 299 µs a
search, cosines within 5e-5 of float32's, and every retrieval and answer figure of both eval
splits the same (eval/BENCHMARKS.md). Builds made before keep their float32 index (kind "flat").
Above it,
an inverted-file index (IVF, flat lists) scans only the `nprobe` nearest lists; `nprobe` is
chosen at build time, by measuring recall@10 against exact search on a sample of queries, as the
smallest value reaching `TARGET_RECALL` plus a small margin. The choice and the measured recall
go in the manifest, and a loaded index is set back to that `nprobe`. `nearest` searches it for
one question, as the searcher (index/searcher.py) asks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import faiss
import numpy as np

APPROXIMATE_ABOVE = 50_000  # exact search over this many vectors takes about 5 ms
TARGET_RECALL = 0.98
_PROBES = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
_SAMPLE_QUERIES = 500
_MARGIN = 0.005  # tuned a little above target, so queries it was not tuned on stay above it


@dataclass(frozen=True)
class DenseSpec:
    """How the dense index was made, as the manifest records it."""

    kind: Literal["flat", "flat_fp16", "ivf"]  # "flat": float32 vectors, builds made before
    nlist: int = 0
    nprobe: int = 0
    recall_at_10: float = 1.0


def probe_queries(vectors: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """Queries that look like real ones: normalized midpoints of random pairs of stored vectors."""
    rng = np.random.default_rng(seed)
    a = vectors[rng.integers(0, len(vectors), count)]
    b = vectors[rng.integers(0, len(vectors), count)]
    mid = a + b
    mid /= np.maximum(np.linalg.norm(mid, axis=1, keepdims=True), 1e-12)
    return np.asarray(mid, dtype=np.float32)


def recall_at_10(exact: np.ndarray, approximate: np.ndarray) -> float:
    """Mean share of the exact top 10 that the approximate search also returned.

    Rows are FAISS id lists; -1 marks "no result" (fewer than 10 vectors) and is not a neighbour.
    """
    shares = []
    for e, a in zip(exact, approximate, strict=True):
        truth = {int(i) for i in e[:10] if i >= 0}
        shares.append(len(truth & {int(i) for i in a[:10]}) / len(truth) if truth else 1.0)
    return float(np.mean(shares)) if shares else 1.0


def build_ivf(vectors: np.ndarray, target: float = TARGET_RECALL) -> tuple[faiss.Index, DenseSpec]:
    """An IVF index over `vectors`, probed just widely enough to reach `target` recall@10."""
    n, dim = vectors.shape
    nlist = min(n, max(16, int(2 * math.sqrt(n))))  # never more lists than vectors
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 10  # enough for list centres; the recall check below guards the result
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
    index.train(sample)
    index.add(vectors)
    queries = probe_queries(vectors, _SAMPLE_QUERIES)
    exact = faiss.IndexFlatIP(dim)
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    del exact
    recall = 0.0
    for nprobe in _PROBES:
        index.nprobe = min(nprobe, nlist)
        recall = recall_at_10(truth, index.search(queries, 10)[1])
        if recall >= target + _MARGIN or nprobe >= nlist:
            break
    return index, DenseSpec("ivf", nlist, int(index.nprobe), round(recall, 4))


def build_dense(
    vectors: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE
) -> tuple[faiss.Index, DenseSpec]:
    """The dense index for `vectors`: exact up to `approximate_above` rows, IVF beyond."""
    if len(vectors) > approximate_above:
        return build_ivf(vectors)
    return exact_index(vectors), DenseSpec("flat_fp16")


def exact_index(vectors: np.ndarray) -> faiss.Index:
    """Every vector scored by inner product, each kept as float16."""
    index = faiss.IndexScalarQuantizer(
        vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    index.train(vectors)  # float16 needs no training; FAISS asks for the call all the same
    index.add(vectors)
    return index


def configure(index: faiss.Index, spec: DenseSpec | None) -> None:
    """Set a loaded index back to the search parameters chosen when it was built."""
    if spec is not None and spec.kind == "ivf" and isinstance(index, faiss.IndexIVF):
        index.nprobe = spec.nprobe


def nearest(
    index: faiss.Index, query: np.ndarray, n: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the `n` nearest rows, only among rows `allowed` marks when given.

    One thread: FAISS would share a float16 index's scan for one question among OpenMP threads
    that spin on the cores the other requests need (8 clients on 2 workers: 140 against 425
    queries/s). The limit is the calling thread's own, and is put back after the search.
    """
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return _search(index, query, n, allowed)
    finally:
        faiss.omp_set_num_threads(threads)


def _search(
    index: faiss.Index, query: np.ndarray, n: int, allowed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    if allowed is None:
        scores, ids = index.search(query, n)
        return scores, ids
    selector = faiss.IDSelectorBatch(np.flatnonzero(allowed).astype(np.int64))
    params = faiss.SearchParameters()
    if isinstance(index, faiss.IndexIVF):
        params = faiss.SearchParametersIVF()
        params.nprobe = index.nprobe  # what the build chose (index/ann.py)
    params.sel = selector
    scores, ids = index.search(query, n, params=params)
    del selector  # kept alive until here: the parameters hold only a raw pointer to it
    return scores, ids

"""Synthetic corpora of 100,000 and 1,000,000 chunks: search latency, memory, size and recall.

Nothing is embedded: vectors are made by blending pairs of the real corpus's chunk vectors and
adding a little noise (so they cluster like sentence embeddings, not like uniform noise), and
texts by splicing windows of real chunk text (so BM25 sees a real vocabulary and Zipf-shaped
term counts). Queries are the eval set's real questions, embedded by the real model. Embedding
time at that size is extrapolated from the rate measured on the real corpus.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ragnotes.index import ann
from ragnotes.index.ann import nearest
from ragnotes.index.fusion import DEFAULT_FUSION, fuse
from ragnotes.index.lexical import LexicalIndex
from ragnotes.index.manifest import Manifest
from ragnotes.index.searcher import Searcher
from ragnotes_eval.metrics import percentile
from ragnotes_eval.questions import load_questions


def synthetic_vectors(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """`n` unit vectors, each a blend of two real ones plus noise."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        w = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        v = w * base[rng.integers(0, len(base), m)] + (1 - w) * base[rng.integers(0, len(base), m)]
        v += rng.normal(0, 0.04, v.shape).astype(np.float32)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def synthetic_texts(base: list[str], n: int, words: int = 80, seed: int = 0) -> list[str]:
    """`n` texts of about `words` words, each two windows of real chunk text spliced together."""
    rng = np.random.default_rng(seed)
    split = [t.split() for t in base if t.split()]
    half = words // 2
    out = []
    for a, b in rng.integers(0, len(split), (n, 2)):
        first, second = split[a], split[b]
        i = int(rng.integers(0, max(len(first) - half, 0) + 1))
        j = int(rng.integers(0, max(len(second) - half, 0) + 1))
        out.append(" ".join(first[i : i + half] + second[j : j + half]))
    return out


_LOAD_AND_MEASURE = """
import sys
from pathlib import Path
import faiss
from ragnotes.index.lexical import LexicalIndex
from ragnotes.index.manifest import Manifest

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

folder, n = Path(sys.argv[1]), int(sys.argv[2])
before = rss()
dense = faiss.read_index(str(folder / "vectors.faiss"))
after_dense = rss()
lexical = LexicalIndex.load(folder / "bm25", n)
print(after_dense - before, rss() - after_dense)
"""


def loaded_memory_mb(folder: Path, n: int) -> dict[str, float]:
    """Resident memory the saved indexes take once loaded, measured in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_MEASURE, str(folder), str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    dense, lexical = (float(x) for x in done.stdout.split())
    return {"vectors": round(dense, 1), "bm25": round(lexical, 1)}


def _latency(fn: Any, queries: list[Any]) -> dict[str, float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2)}


def _measure(
    searcher: Searcher, exact: faiss.Index, questions: list[str], vectors: np.ndarray
) -> dict[str, Any]:
    depth = DEFAULT_FUSION.depth
    dense = searcher.dense
    rows = list(vectors)

    def hybrid(question: str) -> None:
        fuse(
            searcher.dense_ranking(question, depth, None),
            searcher.bm25_ranking(question, depth, None),
        )

    _latency(hybrid, questions[:5])  # warm up
    truth = exact.search(vectors, 10)[1]
    probes = ann.probe_queries(vectors, 300, seed=11)
    return {
        "embed_query": _latency(lambda q: searcher.embedder.embed_query(q), questions),
        "dense_exact": _latency(lambda v: exact.search(v[None, :], depth), rows),
        "dense_approx": _latency(lambda v: nearest(dense, v[None, :], depth), rows),
        "bm25": _latency(lambda q: searcher.bm25_ranking(q, depth, None), questions),
        "hybrid": _latency(hybrid, questions),
        "recall_at_10_questions": ann.recall_at_10(truth, nearest(dense, vectors, 10)[1]),
        "recall_at_10_probes": ann.recall_at_10(
            exact.search(probes, 10)[1], nearest(dense, probes, 10)[1]
        ),
    }


def synthetic_bench(
    n: int, base: Searcher, chunks_per_s: float, approximate_above: int
) -> dict[str, Any]:
    """Build, save, reload and query a synthetic corpus of `n` chunks like `base`'s."""
    embedder = base.embedder
    questions = [q.question for q in load_questions()]
    base_vectors = base.dense.reconstruct_n(0, base.dense.ntotal)
    vectors = synthetic_vectors(base_vectors, n)
    texts = synthetic_texts([c.embed_text for c in base.chunks], n)
    report: dict[str, Any] = {"chunks": n, "embed_s_extrapolated": round(n / chunks_per_s, 1)}
    with tempfile.TemporaryDirectory(prefix="ragnotes-synthetic-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        dense, spec = ann.build_dense(vectors, approximate_above)
        report["dense_build_s"] = round(time.perf_counter() - started, 1)
        report["dense_index"] = vars(spec)
        faiss.write_index(dense, str(folder / "vectors.faiss"))
        del dense
        started = time.perf_counter()
        LexicalIndex.build(texts).save(folder / "bm25")
        report["bm25_build_s"] = round(time.perf_counter() - started, 1)
        del texts
        report["disk_mb"] = {
            "vectors": round((folder / "vectors.faiss").stat().st_size / 1e6, 1),
            "bm25": round(sum(p.stat().st_size for p in (folder / "bm25").iterdir()) / 1e6, 1),
        }
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        del vectors
        report["memory_mb"] = loaded_memory_mb(folder, n)
        dense = faiss.read_index(str(folder / "vectors.faiss"))
        ann.configure(dense, spec)
        lexical = LexicalIndex.load(folder / "bm25", n)
        manifest = Manifest.new(
            embedder, build_id=f"synthetic-{n}", file_count=0, chunk_count=n, target_tokens=None
        )
        searcher = Searcher(folder, manifest, [], {}, dense, lexical, embedder)
        query_vectors = np.vstack([embedder.embed_query(q) for q in questions])
        report.update(_measure(searcher, exact, questions, query_vectors))
    return report


def format_synthetic(reports: list[dict[str, Any]]) -> str:
    """One block per synthetic size."""
    lines = []
    for r in reports:
        spec, disk = r["dense_index"], r["disk_mb"]
        lines += [
            f"synthetic {r['chunks']:,} chunks: dense index {spec['kind']}"
            + (
                f" (nlist {spec['nlist']}, nprobe {spec['nprobe']})"
                if spec["kind"] == "ivf"
                else ""
            ),
            f"  build: vectors {r['dense_build_s']} s, BM25 {r['bm25_build_s']} s; "
            f"embedding would take {r['embed_s_extrapolated']:,.0f} s at the measured rate",
            f"  on disk: vectors {disk['vectors']} MB, BM25 {disk['bm25']} MB; "
            f"in memory once loaded: vectors {r['memory_mb']['vectors']:.0f} MB, "
            f"BM25 {r['memory_mb']['bm25']:.0f} MB",
            f"  recall@10 vs exact: {r['recall_at_10_questions']:.3f} (eval questions), "
            f"{r['recall_at_10_probes']:.3f} (300 probe queries)",
        ]
        for key in ("embed_query", "dense_exact", "dense_approx", "bm25", "hybrid"):
            lines.append(
                f"  {key:<12} p50 {r[key]['p50_ms']:>7.2f} ms   p95 {r[key]['p95_ms']:>7.2f} ms"
            )
    return "\n".join(lines)

"""Where one query's time goes, stage by stage, in process.

Each stage is timed on its own over the same questions, in the order a request runs them:
tokenizing the question, the embedding model (which also gives the question's late-interaction
rows when the build keeps them), the FAISS search, BM25 scoring and selection, fusion, the
re-ranking of the fused top by late interaction, turning hits into cited passages, and serialising the response to
JSON. What the HTTP
layer adds is the difference between these and the latency a client sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from ragnotes.answers.passages import index_info, to_passages
from ragnotes.answers.responses import AskResponse
from ragnotes.answers.warm import prepare_build
from ragnotes.index.ann import nearest
from ragnotes.index.freshness import FileHashes
from ragnotes.index.fusion import DEFAULT_FUSION, fuse
from ragnotes.index.late_interaction import DEFAULT_LATE_INTERACTION, apply_late_interaction
from ragnotes.index.searcher import Searcher
from ragnotes_eval.metrics import percentile

K = 5  # passages a profiled question asks for
# "rerank" is the late-interaction stage, under the key earlier bench reports have it.
STAGES = ("tokenize", "model", "faiss", "bm25", "fusion", "rerank", "passages", "serialise")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return (time.perf_counter() - start) * 1000, value


def _one(searcher: Searcher, question: str, hashes: FileHashes) -> dict[str, float]:
    depth = DEFAULT_FUSION.depth
    embedder, took = searcher.embedder, {}
    took["tokenize"], _ = _timed(lambda: embedder.count_tokens(question))
    rows_index = searcher.late_interaction
    if rows_index is not None:
        embed_ms, (vector, rows) = _timed(
            lambda: embedder.embed_query_with_late_interaction(question)
        )
    else:
        embed_ms, vector = _timed(lambda: embedder.embed_query(question))
    took["model"] = max(embed_ms - took["tokenize"], 0.0)
    took["faiss"], (scores, ids) = _timed(lambda: nearest(searcher.dense, vector, depth))
    dense = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
    took["bm25"], bm25 = _timed(lambda: searcher.bm25_ranking(question, depth, None))
    shown = max(K, DEFAULT_LATE_INTERACTION.depth)  # what a search re-ranks, or shows
    took["fusion"], fused = _timed(lambda: fuse(dense, bm25, DEFAULT_FUSION, top=shown))
    took["rerank"] = 0.0
    if rows_index is not None:
        took["rerank"], _ = _timed(lambda: apply_late_interaction(fused, rows, rows_index))
    hits = searcher.search(question, K, "hybrid")

    def respond() -> AskResponse:
        passages = to_passages(hits, searcher, hashes, question)  # weak flags and citations too
        return AskResponse(
            question=question,
            mode="hybrid",
            passages=passages,
            index=index_info(searcher.manifest),
            took_ms=0,
        )

    took["passages"], response = _timed(respond)
    took["serialise"], _ = _timed(response.model_dump_json)
    return took


def profile(searcher: Searcher, questions: Sequence[str], rounds: int = 3) -> dict[str, Any]:
    """p50 and mean milliseconds per stage, and their sum, over `rounds` passes of `questions`."""
    hashes = FileHashes()
    # As the server does before its first request, so the passages stage is not each chunk's
    # first parsing (which made its mean twice its p50).
    prepare_build(searcher, hashes)
    for question in questions[:5]:  # warm caches and lazy initialisation
        _one(searcher, question, hashes)
    samples = [_one(searcher, q, hashes) for _ in range(rounds) for q in questions]
    stages = {
        stage: {
            "p50_ms": round(percentile([s[stage] for s in samples], 50), 3),
            "mean_ms": round(sum(s[stage] for s in samples) / len(samples), 3),
        }
        for stage in STAGES
    }
    total = round(sum(v["mean_ms"] for v in stages.values()), 3)
    return {"queries": len(samples), "stages": stages, "total_mean_ms": total}


def format_profile(report: dict[str, Any]) -> str:
    """The profile as a small table."""
    total = report["total_mean_ms"] or 1.0
    lines = [f"{'stage':<10} {'p50 ms':>8} {'mean ms':>8} {'share':>6}"]
    for stage, v in report["stages"].items():
        share = 100 * v["mean_ms"] / total
        lines.append(f"{stage:<10} {v['p50_ms']:>8.2f} {v['mean_ms']:>8.2f} {share:>5.0f}%")
    lines.append(f"{'total':<10} {'':>8} {report['total_mean_ms']:>8.2f}")
    return "\n".join(lines)

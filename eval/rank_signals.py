"""What the ranking study (eval/rank_study.py) works from: every eval question's signals.

For each question of both splits, against the live build: its dense cosine and BM25 score for
every chunk (and BM25 over the breadcrumb and the body apart), its late-interaction vectors, and
the shipped hybrid ranking rebuilt from them (`hybrid`), with any part replaceable.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ragnotes.index.embedding import resolve_model
from ragnotes.index.fusion import convex_fusion
from ragnotes.index.late_interaction import content_positions, mix_late_interaction
from ragnotes.index.lexical import LexicalIndex
from ragnotes.index.searcher import Searcher
from ragnotes_eval.metrics import hit_at_k, mean, reciprocal_rank, single_target
from ragnotes_eval.questions import SPLITS, Question, is_relevant, load_questions, split_dir

DEPTH = 100
Ranking = list[tuple[int, float]]


@dataclass
class Query:
    """One question with every signal a variant may use, over all chunks."""

    question: Question
    split: str
    vector: np.ndarray
    rows: np.ndarray  # late-interaction vectors of the question
    idf: np.ndarray  # rarity of each of those word pieces in the corpus
    cos: np.ndarray
    bm25: np.ndarray
    bm25_body: np.ndarray
    bm25_head: np.ndarray
    late_interaction: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    searcher: Searcher
    vectors: np.ndarray
    queries: list[Query]
    link_share: np.ndarray  # share of a chunk's lines that hold a link


def _top(scores: np.ndarray, n: int = DEPTH) -> Ranking:
    keep = np.flatnonzero(scores > 0) if scores.min() >= 0 else np.arange(len(scores))
    order = keep[np.argsort(-scores[keep], kind="stable")][:n]
    return [(int(i), float(scores[i])) for i in order]


def load_study(searcher: Searcher, model: str) -> Study:
    """Every question of both splits against `searcher`'s build, its signals precomputed."""
    chunks = searcher.chunks
    heads = LexicalIndex.build([c.heading for c in chunks])
    bodies = LexicalIndex.build([c.embed_text.partition("\n")[2] for c in chunks])
    pieces_of = _word_pieces(model)
    df = Counter(t for c in chunks for t in set(pieces_of(c.embed_text)))
    vectors = searcher.dense.reconstruct_n(0, searcher.dense.ntotal)
    queries = []
    for split in SPLITS:
        for q in load_questions(split_dir(split), strict=True):
            vector, rows = searcher.embedder.embed_query_with_late_interaction(q.question)
            pieces = pieces_of(q.question)
            idf = [
                math.log(1 + (len(chunks) - df[p] + 0.5) / (df[p] + 0.5))
                for p in (pieces[i] for i in content_positions(pieces))
            ]
            queries.append(
                Query(
                    q, split, vector.reshape(-1), rows, np.array(idf),
                    vectors @ vector.reshape(-1),
                    searcher.lexical.scores(q.question),
                    bodies.scores(q.question), heads.scores(q.question),
                )
            )  # fmt: skip
    links = np.array([_link_share(c.text) for c in chunks])
    return Study(searcher, vectors, queries, links)


def _word_pieces(model: str) -> Callable[[str], list[str]]:
    """The model's own word pieces of a text, special tokens included (as late interaction sees)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(resolve_model(model)) / "tokenizer.json"))
    return lambda text: list(tokenizer.encode(text).tokens)


def min_max(values: np.ndarray) -> np.ndarray:
    """Scaled to [0, 1] over the values given (all 1 when they are equal)."""
    span = values.max() - values.min()
    out: np.ndarray = (values - values.min()) / span if span > 0 else np.ones_like(values)
    return out


def _link_share(text: str) -> float:
    lines = [line for line in text.split("\n") if line.strip()]
    return sum("](" in line for line in lines) / max(1, len(lines))


def late_interaction_scores(study: Study, q: Query, head: Sequence[int]) -> list[float]:
    """MaxSim of the question against each chunk in `head`, cached per question."""
    need = [c for c in head if c not in q.late_interaction]
    if need and study.searcher.late_interaction is not None:
        q.late_interaction.update(
            zip(need, study.searcher.late_interaction.scores(q.rows, need), strict=True)
        )
    return [q.late_interaction.get(c, 0.0) for c in head]


def hybrid(
    study: Study,
    q: Query,
    *,
    dense_weight: float = 0.5,
    depth: int = 20,
    late_interaction_weight: float = 1 / 3,
    cos: np.ndarray | None = None,
    bm25: np.ndarray | None = None,
) -> Ranking:
    """The shipped ranking, with any of its parts replaced."""
    dense_list = _top(q.cos if cos is None else cos)
    bm25_list = _top(q.bm25 if bm25 is None else bm25)
    fused = convex_fusion([dense_list, bm25_list], (dense_weight, 1 - dense_weight))
    if depth <= 0:
        return fused
    head = [c for c, _ in fused[:depth]]
    return mix_late_interaction(
        fused, late_interaction_scores(study, q, head), late_interaction_weight
    )


def relevant(study: Study, q: Query, ids: Sequence[int]) -> list[bool]:
    chunks = study.searcher.chunks
    return [is_relevant(q.question, chunks[c].source, chunks[c].path, chunks[c].text) for c in ids]


def first_ranks(study: Study, q: Query, ranking: Ranking) -> list[float]:
    """Gains of the top 10: 1 at the first passage that answers, 0 elsewhere."""
    return single_target(relevant(study, q, [c for c, _ in ranking[:10]]))


def figures(gains: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    """hit@1, hit@5 and MRR@10 over a split."""
    return (
        mean([hit_at_k(g, 1) for g in gains]),
        mean([hit_at_k(g, 5) for g in gains]),
        mean([reciprocal_rank(g, 10) for g in gains]),
    )


Variant = Callable[[Study, Query], Ranking]


def measure(study: Study, variant: Variant, split: str) -> tuple[float, float, float]:
    """The figures of one variant on one split."""
    queries = [q for q in study.queries if q.split == split]
    return figures([first_ranks(study, q, variant(study, q)) for q in queries])

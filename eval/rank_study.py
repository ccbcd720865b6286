"""Ranking variants measured on the dev split, and reported on test only when asked.

Each variant re-ranks the candidates the shipped hybrid search sees (eval/rank_signals.py),
changing one thing. The first row replays the shipped ranking and matches `ragnotes eval`. A
learned variant is scored on dev by 5-fold cross-validation (three shuffles); its test row uses
weights fitted on all of dev. eval/EXPERIMENTS.md section 12 holds the figures and the choices.

    python -m ragnotes_eval.rank_study            # dev only: what choices are made on
    python -m ragnotes_eval.rank_study --test     # the same rows with test beside them, for the record
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from ragnotes.index.late_interaction import mix_late_interaction
from ragnotes.index.lexical import tokenize
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import BuildStore
from ragnotes.service.settings import Settings
from ragnotes_eval.rank_signals import (
    Query,
    Ranking,
    Study,
    Variant,
    figures,
    first_ranks,
    hybrid,
    late_interaction_scores,
    load_study,
    measure,
    min_max,
    relevant,
)


def diversified(key: Callable[[int], object], cap: int, window: int) -> Variant:
    """The shipped ranking, with a passage pushed below the first `window` when `cap` passages
    of its group (its section, or its file) already stand above it."""

    def variant(study: Study, q: Query) -> Ranking:
        ranking = hybrid(study, q)
        seen: Counter[object] = Counter()
        kept: Ranking = []
        pushed: Ranking = []
        for item in ranking[:window]:
            group = key(item[0])
            (pushed if seen[group] >= cap else kept).append(item)
            seen[group] += 1
        return kept + pushed + ranking[window:]

    return variant


def mixed_head(extra: Callable[[Study, Query, list[int]], np.ndarray], weight: float) -> Variant:
    """Re-rank the fused top 20 by fusion, late interaction and `weight` x another signal."""

    def variant(study: Study, q: Query) -> Ranking:
        fused = hybrid(study, q, depth=0)
        head = [c for c, _ in fused[:20]]
        maxsim_scores = min_max(np.array(late_interaction_scores(study, q, head)))
        base = min_max(np.array([s for _, s in fused[:20]]))
        score = (2 / 3 - weight) * base + maxsim_scores / 3 + weight * extra(study, q, head)
        order = np.argsort(-score, kind="stable")
        return [(head[i], float(score[i])) for i in order] + [(c, -1.0) for c, _ in fused[20:]]

    return variant


def heading_overlap(study: Study, q: Query, head: list[int]) -> np.ndarray:
    words = set(tokenize([q.question.question])[0])
    return np.array(
        [len(words & set(tokenize([study.searcher.chunks[c].heading])[0])) for c in head]
    ) / max(1, len(words))


def link_penalty(study: Study, q: Query, head: list[int]) -> np.ndarray:
    return -study.link_share[head]


def adaptive(keyword_weight: float) -> Variant:
    """Dense weight `keyword_weight` for a keyword-like question (no question word, <= 8
    words), the shipped 0.5 otherwise."""
    question_words = {"how", "what", "why", "when", "which", "should", "can", "does", "do", "is"}

    def variant(study: Study, q: Query) -> Ranking:
        words = q.question.question.lower().replace("?", " ").split()
        keywordish = not set(words) & question_words and len(words) <= 8
        return hybrid(study, q, dense_weight=keyword_weight if keywordish else 0.5)

    return variant


def bm25_fields(heading_weight: float) -> Variant:
    """BM25 over the body, plus `heading_weight` x BM25 over the breadcrumb, as the BM25 side."""

    def variant(study: Study, q: Query) -> Ranking:
        return hybrid(study, q, bm25=q.bm25_body + heading_weight * q.bm25_head)

    return variant


def rocchio(alpha: float, feedback: int) -> Variant:
    """Dense side re-run with the question vector moved toward the first fused passages."""

    def variant(study: Study, q: Query) -> Ranking:
        top = [c for c, _ in hybrid(study, q, depth=0)[:feedback]]
        moved = q.vector + alpha * study.vectors[top].mean(axis=0)
        return hybrid(study, q, cos=study.vectors @ (moved / np.linalg.norm(moved)))

    return variant


def idf_late_interaction(power: float, late_interaction_weight: float) -> Variant:
    """Late interaction whose question word pieces count by idf**power instead of equally."""

    def variant(study: Study, q: Query) -> Ranking:
        fused = hybrid(study, q, depth=0)
        head = [c for c, _ in fused[:20]]
        rows_index = study.searcher.late_interaction
        weights = q.idf**power if len(q.idf) == len(q.rows) else np.ones(len(q.rows))
        scores = [
            float((q.rows @ rows_index.chunk(c).T).max(axis=1) @ weights / weights.sum())
            if rows_index is not None and len(rows_index.chunk(c)) and len(q.rows)
            else 0.0
            for c in head
        ]
        return mix_late_interaction(fused, scores, late_interaction_weight)

    return variant


LEARNED_HEAD = 30


def signals(study: Study, q: Query, head: list[int], names: Sequence[str]) -> np.ndarray:
    """Per-question normalized signals of the fused head, one column per name."""

    def column(name: str) -> np.ndarray:
        if name == "dense":
            return min_max(q.cos[head])
        if name == "bm25":
            return min_max(q.bm25[head])
        if name == "late_interaction":
            return min_max(np.array(late_interaction_scores(study, q, head)))
        if name == "heading":
            return heading_overlap(study, q, head)
        return np.log1p([len(study.searcher.chunks[c].text) for c in head])

    return np.stack([column(name) for name in names], axis=1)


def fit(study: Study, queries: Sequence[Query], names: Sequence[str]) -> np.ndarray:
    """Weights of a linear pairwise ranker (logistic loss on answer-minus-other differences)."""
    pairs = []
    for q in queries:
        head = [c for c, _ in hybrid(study, q, depth=0)[:LEARNED_HEAD]]
        x = signals(study, q, head, names)
        good = np.array(relevant(study, q, head))
        if good.any() and not good.all():
            pairs.append((x[good][:, None, :] - x[~good][None, :, :]).reshape(-1, x.shape[1]))
    diffs = np.concatenate(pairs)
    weights = np.zeros(diffs.shape[1])
    for _ in range(300):
        margin = diffs @ weights
        grad = -(diffs * (1 / (1 + np.exp(margin)))[:, None]).mean(axis=0) + 1e-3 * weights
        weights -= 0.5 * grad
    return weights


def learned(weights: np.ndarray, names: Sequence[str]) -> Variant:
    def variant(study: Study, q: Query) -> Ranking:
        fused = hybrid(study, q, depth=0)
        head = [c for c, _ in fused[:LEARNED_HEAD]]
        score = signals(study, q, head, names) @ weights
        order = np.argsort(-score, kind="stable")
        rest = [(c, float(score.min()) - 1) for c, _ in fused[LEARNED_HEAD:]]
        return [(head[i], float(score[i])) for i in order] + rest

    return variant


def cross_validated(study: Study, names: Sequence[str], folds: int = 5) -> tuple[float, ...]:
    """Dev figures of the learned ranker, each question scored by weights fitted without it."""
    dev = [q for q in study.queries if q.split == "dev"]
    runs = []
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(dev))
        gains = []
        for fold in range(folds):
            held = {int(i) for i in order[fold::folds]}
            weights = fit(study, [q for i, q in enumerate(dev) if i not in held], names)
            variant = learned(weights, names)
            gains += [first_ranks(study, dev[i], variant(study, dev[i])) for i in sorted(held)]
        runs.append(figures(gains))
    return tuple(float(x) for x in np.mean(runs, axis=0))


def variants(study: Study) -> list[tuple[str, Variant]]:
    """Every variant tried, one change from the shipped ranking each."""
    chunks = study.searcher.chunks
    rows: list[tuple[str, Variant]] = [("shipped", hybrid)]
    rows.append(("fusion alone", partial(hybrid, depth=0)))
    for depth, weight in (
        (10, 1 / 3),
        (30, 1 / 3),
        (50, 1 / 3),
        (100, 1 / 3),
        (20, 0.5),
        (30, 0.5),
    ):
        name = f"re-rank top {depth}, late weight {weight:.2f}"
        rows.append((name, partial(hybrid, depth=depth, late_interaction_weight=weight)))
    for weight in (0.4, 0.45, 0.55, 0.6):
        rows.append((f"dense weight {weight}", partial(hybrid, dense_weight=weight)))
    rows.append(("keyword-like questions: dense weight 0.3", adaptive(0.3)))
    for cap, window in ((1, 5), (1, 10), (2, 10)):
        section = diversified(
            lambda c: (chunks[c].source, chunks[c].path, chunks[c].heading), cap, window
        )
        rows.append((f"at most {cap} per section in the top {window}", section))
        same_file = diversified(lambda c: (chunks[c].source, chunks[c].path), cap, window)
        rows.append((f"at most {cap} per file in the top {window}", same_file))
    for weight in (0.1, 0.2):
        rows.append(
            (f"heading overlap x {weight} in the head", mixed_head(heading_overlap, weight))
        )
        rows.append((f"link-list penalty x {weight} in the head", mixed_head(link_penalty, weight)))
    rows.append(("BM25 over the body alone", bm25_fields(0.0)))
    for weight in (0.25, 0.5, 1.0):
        rows.append((f"BM25 body + {weight} x BM25 breadcrumb", bm25_fields(weight)))
    for alpha, feedback in ((0.5, 3), (1.0, 3), (0.5, 5)):
        rows.append((f"dense feedback {alpha} x top {feedback}", rocchio(alpha, feedback)))
    for power, weight in ((1.0, 1 / 3), (1.0, 0.5)):
        rows.append(
            (
                f"late interaction idf^{power}, weight {weight:.2f}",
                idf_late_interaction(power, weight),
            )
        )
    return rows


LEARNED = {
    "learned: dense, bm25, late": ("dense", "bm25", "late_interaction"),
    "learned: + heading overlap": ("dense", "bm25", "late_interaction", "heading"),
    "learned: + passage length": ("dense", "bm25", "late_interaction", "length"),
}


def _row(name: str, dev: Sequence[float], test: Sequence[float] | None) -> str:
    line = f"{name:44s}" + "".join(f" {x:6.3f}" for x in dev)
    return line + ("" if test is None else " |" + "".join(f" {x:6.3f}" for x in test))


def main(argv: Sequence[str] | None = None) -> int:
    """Print hit@1, hit@5 and MRR@10 of every variant on dev (and test with --test)."""
    parser = argparse.ArgumentParser(prog="python -m ragnotes_eval.rank_study", description=__doc__)
    parser.add_argument("--test", action="store_true", help="also report the test split")
    args = parser.parse_args(argv)
    settings = Settings()
    searcher = Searcher.load(BuildStore(settings.data_dir), settings.load_embedder())
    study = load_study(searcher, settings.model)
    header = "  hit@1  hit@5 mrr@10"
    print(f"{'variant':44s}{header} (dev)" + (f" |{header} (test)" if args.test else ""))
    for name, variant in variants(study):
        test = measure(study, variant, "test") if args.test else None
        print(_row(name, measure(study, variant, "dev"), test), flush=True)
    dev = [q for q in study.queries if q.split == "dev"]
    for name, names in LEARNED.items():
        test = measure(study, learned(fit(study, dev, names), names), "test") if args.test else None
        print(_row(name + " (dev: 5-fold CV)", cross_validated(study, names), test), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

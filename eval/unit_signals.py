"""What each signal adds to choosing an extractive answer's units: `python -m ragnotes_eval.unit_signals`.

Every question of both splits is searched once; its answer is then chosen again under each
variant, and answer-hit is counted per split (dev is what the shipped weights were chosen on;
test is reported). The variants take one signal out at a time (the heading breadcrumb, the lead
sentence of a list, the boilerplate penalty, the many-things block) or add one: MaxSim between
the question's late-interaction token vectors and each piece's own (the model run on every
candidate piece, which is what it would cost the product), mixed in at a weight.

A second table asks whether passages themselves should be reordered: the hybrid top 10 with
passages about the document (a housekeeping heading, or most of their units marked by
answers/boilerplate.py) moved below the others, scored as `ragnotes eval` scores the ranking.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

import ragnotes.answers.answering as answering
import ragnotes.answers.extractive as extractive
from ragnotes.answers.boilerplate import housekeeping_heading
from ragnotes.answers.extractive import DEFAULT_SELECTION, Selection
from ragnotes.answers.requests import AnswerRequest
from ragnotes.answers.units import units
from ragnotes.index.chunking import Chunk
from ragnotes.index.embedding import Embedder, load_embedder
from ragnotes.index.late_interaction import maxsim
from ragnotes.index.searcher import Searcher
from ragnotes.index.store import BuildStore
from ragnotes.service.settings import Settings
from ragnotes_eval.answers import answer_hit
from ragnotes_eval.metrics import single_target
from ragnotes_eval.questions import QUESTIONS_DIR, Question, is_relevant, load_questions
from ragnotes_eval.scoring import Outcome, summarize

Relevance = Callable[..., np.ndarray]
VARIANTS = {
    "shipped": DEFAULT_SELECTION,
    "no heading": replace(DEFAULT_SELECTION, heading=0.0),
    "no lead": replace(DEFAULT_SELECTION, lead=0.0),
    "no boilerplate penalty": replace(DEFAULT_SELECTION, boiler=1.0),
    "no block for many-things questions": replace(DEFAULT_SELECTION, block=99.0),
}
MAXSIM_WEIGHTS = (0.25, 0.5, 1.0)


def _with_maxsim(embedder: Embedder, weight: float, base: Relevance) -> Relevance:
    """`_relevance` plus `weight` times each piece's MaxSim with the question (min-max scaled)."""
    rows = functools.lru_cache(maxsize=1 << 14)(
        lambda text: embedder.embed_query_with_late_interaction(text)[1]
    )

    def relevance(terms: Sequence[str], cands: Sequence[object], s: Selection) -> np.ndarray:
        words = base(terms, cands, s)
        query = rows(_QUESTION[0])
        sims = np.array([maxsim(query, rows(c.piece.text)) for c in cands])  # type: ignore[attr-defined]
        span = sims.max() - sims.min() if len(sims) else 0.0
        scaled = (sims - sims.min()) / span if span > 0 else np.zeros_like(sims)
        return np.asarray(words + weight * scaled * (words > 0))

    return relevance


_QUESTION = [""]  # the question being answered, for the MaxSim variant


def hits(searcher: Searcher, questions: Sequence[Question], selection: Selection) -> float:
    """Answer-hit of the extractive answers chosen with `selection`."""
    found = 0
    for q in questions:
        _QUESTION[0] = q.question
        request = AnswerRequest(question=q.question, generator="extractive")
        retrieved = answering.retrieve(searcher, request, None, None)
        response = answering.finish(retrieved, answering.extractive_answer(retrieved, selection))
        found += answer_hit(q, response)
    return found / len(questions)


def _about_the_document(chunk: Chunk, share: float) -> bool:
    if housekeeping_heading(chunk.heading):
        return True
    pieces = [p for u in units(chunk.text) for p in u.pieces]
    return share <= 1 and bool(pieces) and sum(p.boiler for p in pieces) >= share * len(pieces)


def passage_order(searcher: Searcher, splits: dict[str, list[Question]]) -> None:
    """hit@5 and mrr@10 of the hybrid ranking with passages about the document demoted."""
    variants = {"as ranked": None, "housekeeping headings down": 2.0, "half boilerplate down": 0.5}
    print(f"\n{'passages':40} {'dev hit@5':>10} {'mrr@10':>7} {'test hit@5':>11} {'mrr@10':>7}")
    found = {
        s: {q.id: searcher.search(q.question, 100, "hybrid") for q in qs}
        for s, qs in splits.items()
    }
    for name, share in variants.items():
        row = []
        for split, qs in splits.items():
            outcomes = []
            for q in qs:
                hits = found[split][q.id]
                if share is not None:
                    down = [_about_the_document(h.chunk, share) for h in hits[:10]]
                    top = [h for h, d in zip(hits, down, strict=False) if not d]
                    hits = top + [h for h, d in zip(hits, down, strict=False) if d] + hits[10:]
                flags = [is_relevant(q, h.chunk.source, h.chunk.path, h.chunk.text) for h in hits]
                outcomes.append(Outcome(q.id, q.tier, tuple(single_target(flags)), (1.0,), 0.0))
            figures = summarize(outcomes)
            row += [figures["hit@5"], figures["mrr@10"]]
        print(f"{name:40} {row[0]:10.3f} {row[1]:7.3f} {row[2]:11.3f} {row[3]:7.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
    embedder = load_embedder(settings.model, settings.backend, settings.models_path)
    searcher = Searcher.load(BuildStore(settings.data_dir), embedder)
    splits = {s: load_questions(QUESTIONS_DIR / s, strict=True) for s in ("dev", "test")}
    base = extractive._relevance
    print(f"{'variant':40} {'dev':>6} {'test':>6}")
    for name, selection in VARIANTS.items():
        row = [hits(searcher, qs, selection) for qs in splits.values()]
        print(f"{name:40} {row[0]:6.3f} {row[1]:6.3f}")
    for weight in MAXSIM_WEIGHTS:
        extractive._relevance = _with_maxsim(embedder, weight, base)
        row = [hits(searcher, qs, DEFAULT_SELECTION) for qs in splits.values()]
        print(f"{'+ MaxSim of each piece, weight ' + str(weight):40} {row[0]:6.3f} {row[1]:6.3f}")
    extractive._relevance = base
    passage_order(searcher, splits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

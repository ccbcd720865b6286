"""Run our eval set against a loaded index, every mode, through `Searcher.search`.

Each question asks for the top `EVAL_DEPTH` passages (enough for recall@100); because the
candidate depth never falls below the fusion depth, the top 10 are the same passages a user
asking for 5 or 10 would see.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from ragnotes.index.late_interaction import DEFAULT_LATE_INTERACTION, LateInteractionParams
from ragnotes.index.searcher import Mode, Searcher
from ragnotes_eval.metrics import single_target
from ragnotes_eval.questions import Question, is_relevant
from ragnotes_eval.scoring import Outcome

EVAL_DEPTH = 100
EVAL_MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")


def ask(
    searcher: Searcher,
    question: Question,
    mode: Mode,
    late_interaction: LateInteractionParams,
    depth: int,
) -> Outcome:
    """Search one question, timed, and judge each passage against its label."""
    started = time.perf_counter()
    hits = searcher.search(question.question, depth, mode, late_interaction=late_interaction)
    ms = (time.perf_counter() - started) * 1000
    flags = [is_relevant(question, h.chunk.source, h.chunk.path, h.chunk.text) for h in hits]
    return Outcome(question.id, question.tier, tuple(single_target(flags)), (1.0,), ms)


def run_questions(
    searcher: Searcher,
    questions: Sequence[Question],
    modes: Sequence[Mode] = EVAL_MODES,
    late_interaction: LateInteractionParams = DEFAULT_LATE_INTERACTION,
    depth: int = EVAL_DEPTH,
) -> dict[Mode, list[Outcome]]:
    """Outcomes of every question in every mode, after one untimed warm-up query."""
    if questions:
        searcher.search(questions[0].question, depth, "hybrid", late_interaction=late_interaction)
    return {
        mode: [ask(searcher, q, mode, late_interaction, depth) for q in questions] for mode in modes
    }

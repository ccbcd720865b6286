"""`ragnotes eval --compare-backends`: how far the int8 model's rankings stray from the fp32 model's.

The fp32 PyTorch model is the reference: its rankings are the same on every x86 CPU up to float
rounding. The int8 ONNX export (the default backend) is built beside it from the same sources, in
`<data dir>/compare/<backend>`, each with its own vector cache, and both answer every question of both
splits in every mode. Printed per mode: each backend's figures, the mean overlap of their top 5, and the
questions whose first passage, or the rank of their first answering passage, moved.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragnotes.corpus.documents import Sources
from ragnotes.index.build import BuildOptions, index_sources
from ragnotes.index.embedding import Backend, load_embedder
from ragnotes.index.searcher import Mode, Searcher
from ragnotes.index.store import BuildStore
from ragnotes_eval.machine import cpu, describe
from ragnotes_eval.questions import SPLITS, Question, is_relevant, load_questions, split_dir
from ragnotes_eval.report import table, write_report
from ragnotes_eval.runner import EVAL_MODES, run_questions
from ragnotes_eval.scoring import summarize

if TYPE_CHECKING:
    from ragnotes.service.settings import Settings

BACKENDS: tuple[Backend, ...] = ("onnx", "torch")
OVERLAP_AT = 5


@dataclass(frozen=True)
class Agreement:
    """How two backends' rankings of one question set compare in one mode."""

    mode: Mode
    overlap: float  # mean share of the top 5 both return
    first_moved: tuple[str, ...]  # questions whose first passage differs
    answer_moved: tuple[str, ...]  # questions whose first answering passage changed rank


def build_for(
    backend: Backend, sources: Sources, model: str, root: Path, target_tokens: int, models: Path
) -> Searcher:
    """An index of `sources` made with `backend` in `root/<backend>`, and a searcher over it."""
    folder = root / backend
    embedder = load_embedder(model, backend, models)
    store = BuildStore(folder)
    print(f"indexing with the {backend} backend into {folder}", file=sys.stderr)
    index_sources(sources, embedder, store, BuildOptions(target_tokens=target_tokens))
    return Searcher.load(store, embedder)


def _first_answer(searcher: Searcher, question: Question, mode: Mode) -> tuple[list[str], int]:
    hits = searcher.search(question.question, 10, mode)
    ids = [h.chunk.id for h in hits]
    rank = next(
        (
            r
            for r, h in enumerate(hits, 1)
            if is_relevant(question, h.chunk.source, h.chunk.path, h.chunk.text)
        ),
        0,
    )
    return ids, rank


def agreement(a: Searcher, b: Searcher, questions: Sequence[Question], mode: Mode) -> Agreement:
    """Top-5 overlap and moved questions between two searchers over the same sources."""
    overlaps, first, answer = [], [], []
    for q in questions:
        ids_a, rank_a = _first_answer(a, q, mode)
        ids_b, rank_b = _first_answer(b, q, mode)
        overlaps.append(len(set(ids_a[:OVERLAP_AT]) & set(ids_b[:OVERLAP_AT])) / OVERLAP_AT)
        if ids_a[:1] != ids_b[:1]:
            first.append(q.id)
        if rank_a != rank_b:
            answer.append(q.id)
    return Agreement(mode, sum(overlaps) / max(len(overlaps), 1), tuple(first), tuple(answer))


def compare_backends(
    sources: Sources, model: str, data_dir: Path, target_tokens: int, models: Path
) -> dict[str, Any]:
    """Both backends' figures and their agreement, as a JSON-ready dict."""
    root = data_dir / "compare"
    searchers = {b: build_for(b, sources, model, root, target_tokens, models) for b in BACKENDS}
    questions = [q for split in SPLITS for q in load_questions(split_dir(split), strict=True)]
    figures = {
        b: {m: summarize(o) for m, o in run_questions(s, questions).items()}
        for b, s in searchers.items()
    }
    agreements = [
        agreement(searchers["onnx"], searchers["torch"], questions, m) for m in EVAL_MODES
    ]
    return {
        "cpu": cpu(),
        "figures": figures,
        "vectors": {b: s.manifest.vectors for b, s in searchers.items()},
        "agreement": [a.__dict__ for a in agreements],
    }


def format_comparison(report: dict[str, Any]) -> str:
    """The tables: figures per backend and mode, then the agreement per mode."""
    rows = [
        (f"{backend} / {mode}", figures)
        for backend, by_mode in report["figures"].items()
        for mode, figures in by_mode.items()
    ]
    lines = [
        f"cpu: {describe(report['cpu'])}",
        table(rows, ("queries", "hit@1", "hit@5", "mrr@10"), label="backend / mode"),
        "",
    ]
    lines.append(f"mode    top-{OVERLAP_AT} overlap  first passage moved  first answer moved")
    for a in report["agreement"]:
        n = int(report["figures"]["onnx"][a["mode"]]["queries"])
        lines.append(
            f"{a['mode']:<7} {a['overlap']:>14.3f}  {len(a['first_moved']):>12} of {n:<5}"
            f"  {len(a['answer_moved']):>11} of {n}"
        )
        if a["answer_moved"]:
            lines.append(f"        answer moved: {', '.join(a['answer_moved'])}")
    return "\n".join(lines)


def run_comparison(sources: Sources, settings: Settings, out: Path | None, as_json: bool) -> int:
    """The command: compare, write the JSON report, print the tables (or the JSON)."""
    report = compare_backends(
        sources, settings.model, settings.data_dir, settings.target_tokens, settings.models_path
    )
    path = out or settings.data_dir / "compare" / "report.json"
    write_report(report, path)
    print(json.dumps(report, indent=2) if as_json else format_comparison(report))
    print(f"report written to {path}", file=sys.stderr)
    return 0

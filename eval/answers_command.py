"""`ragnotes eval --answers`: answer every eval and off-topic question, print the table, save JSON.

Extractive answers are always measured; generated ones too when an LLM server is configured
(RAGNOTES_LLM_URL). `--limit N` answers only the first N questions of each split with the LLM (small
local models take many seconds a question); the extractive figures always cover every question.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragnotes.answers.llm import LLMConfig
from ragnotes.errors import ConfigError
from ragnotes.index.embedding import Backend, load_embedder
from ragnotes.index.fusion import DEFAULT_FUSION, FusionParams
from ragnotes.index.int8_forms import Form
from ragnotes.index.late_interaction import DEFAULT_LATE_INTERACTION, LateInteractionParams
from ragnotes.index.searcher import ChunkFilter, Hit, Mode, Searcher
from ragnotes.index.store import BuildStore
from ragnotes.service.settings import Settings
from ragnotes_eval.answers import load_offtopic, outcome_rows, run_answers, summarize_answers
from ragnotes_eval.command import late_interaction_params
from ragnotes_eval.key_points import load_key_points
from ragnotes_eval.questions import QUESTIONS_DIR, load_questions
from ragnotes_eval.report import table, write_report

COLUMNS = (
    "queries", "answer_hit", "key_points", "citations_held", "sentences", "wrongly_refused",
    "offtopic_answered", "answer_p50_ms", "answer_p95_ms", "search_p50_ms",
)  # fmt: skip
SPLITS = ("dev", "test")  # thresholds and selection were chosen on dev only


@dataclass(frozen=True)
class AnswerEvalOptions:
    """Where the index is, the LLM server if any, and where the report goes."""

    data_dir: Path
    model: str
    backend: Backend
    models_dir: Path
    llm: LLMConfig | None = None
    limit: int | None = None  # eval questions answered by the LLM
    out: Path | None = None
    as_json: bool = False
    late_interaction: LateInteractionParams = DEFAULT_LATE_INTERACTION
    int8_form: Form = "auto"  # RAGNOTES_INT8_FORM: the same answers, the timings not


class Reranking(Searcher):
    """A searcher whose searches re-rank by `reranking` unless a caller says otherwise: answers
    search without naming the re-ranking, so this is how the eval sets it for all of them."""

    def __init__(self, searcher: Searcher, reranking: LateInteractionParams) -> None:
        super().__init__(
            searcher.folder, searcher.manifest, searcher.chunks, searcher.docs, searcher.dense,
            searcher.lexical, searcher.embedder, searcher.late_interaction,
        )  # fmt: skip
        self.reranking = reranking

    def search(
        self,
        query: str,
        k: int = 5,
        mode: Mode = "hybrid",
        *,
        fusion: FusionParams = DEFAULT_FUSION,
        late_interaction: LateInteractionParams | None = None,
        where: ChunkFilter | None = None,
        cosines: bool = False,
    ) -> list[Hit]:
        params = self.reranking if late_interaction is None else late_interaction
        return super().search(
            query, k, mode, fusion=fusion, late_interaction=params, where=where, cosines=cosines
        )


def run_answer_eval(options: AnswerEvalOptions) -> int:
    """Measure the answers, save the report, print the table (or the JSON); 0 on success."""
    embedder = load_embedder(options.model, options.backend, options.models_dir, options.int8_form)
    searcher = Reranking(
        Searcher.load(BuildStore(options.data_dir), embedder), options.late_interaction
    )
    labelled = {split: load_questions(QUESTIONS_DIR / split, strict=True) for split in SPLITS}
    offtopic = load_offtopic()
    counts = ", ".join(f"{len(qs)} {split}" for split, qs in labelled.items())
    print(
        f"answering {counts} and {len(offtopic)} off-topic questions from build "
        f"{searcher.build_id}",
        file=sys.stderr,
    )
    points = {split: load_key_points(split) for split in SPLITS}
    results = {"extractive": run_answers(searcher, labelled, offtopic, key_points=points)}
    if options.llm is not None:
        few = {split: qs[: options.limit] for split, qs in labelled.items()}
        print(f"generating with {options.llm.url}", file=sys.stderr)
        results["llm"] = run_answers(searcher, few, offtopic, options.llm, points)
    report: dict[str, Any] = {
        "kind": "answers",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generators": {
            name: {split: summarize_answers(o, split) for split in SPLITS}
            for name, o in results.items()
        },
        "outcomes": {name: outcome_rows(o) for name, o in results.items()},
        "index": searcher.manifest.to_json(),
        "late_interaction": asdict(options.late_interaction),
        "llm": {"url": options.llm.url, "model": options.llm.model} if options.llm else None,
    }
    path = options.out or options.data_dir / "eval-answers.json"
    write_report(report, path)
    if options.as_json:
        print(json.dumps(report, indent=2))
    else:
        rows = [
            (f"{name} / {split}", figures)
            for name, by_split in report["generators"].items()
            for split, figures in by_split.items()
        ]
        print(table(rows, COLUMNS, label="generator / split"))
    print(f"report written to {path}", file=sys.stderr)
    return 0


def cli(args: argparse.Namespace, settings: Settings) -> int:
    """`ragnotes eval --answers`, as the CLI parsed it."""
    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    options = AnswerEvalOptions(
        settings.data_dir,
        settings.model,
        settings.backend,
        settings.models_path,
        settings.llm(),
        args.limit,
        args.out,
        args.json,
        late_interaction_params(not args.no_rerank, args.late_depth),
        settings.int8_form,
    )
    return run_answer_eval(options)

"""`ragnotes eval --answers`: how good the answers are, per generator.

- answer-hit: the sentences that cite the labelled file (or a passage judged equivalent) contain
  one of its anchor phrases;
- key-point recall: the share of the question's key points the answer states (eval/key_points.py);
- citations held: the share of answer units their citations back (extractive: each sentence,
  list item and table cell is, as plain text, in the cited file's lines, read from disk;
  generated: ragnotes' support check);
- wrongly refused: eval questions answered "not in your notes";
- off-topic answered: everyday questions (eval/questions/offtopic.jsonl) given an answer, on the
  dev half the thresholds were chosen on and on the test half nobody tuned on;
- the milliseconds the answer adds to the search, and the search itself.

Answers are made by the product's own functions (answers/answering.py), timed in two parts.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from ragnotes.answers import generated, llm
from ragnotes.answers.answering import (
    Retrieved,
    extractive_answer,
    finish,
    generated_answer,
    refusal,
    retrieve,
    shown_to_llm,
)
from ragnotes.answers.llm import LLMConfig
from ragnotes.answers.requests import AnswerRequest, Generator
from ragnotes.answers.responses import Answer, AnswerResponse, AnswerSentence, Citation
from ragnotes.answers.support import is_supported
from ragnotes.answers.units import plain
from ragnotes.corpus.sections import clean_prose_line
from ragnotes.index.searcher import Searcher
from ragnotes_eval.jsonl import read_objects
from ragnotes_eval.key_points import KeyPoints, key_point_recall
from ragnotes_eval.metrics import mean, percentile
from ragnotes_eval.questions import OFFTOPIC_FILE, QUESTIONS_DIR, Question, normalize

Answerer = Callable[[Retrieved], Answer]


@dataclass(frozen=True)
class OffTopic:
    """An everyday question the notes do not answer."""

    id: str
    question: str
    split: str  # "dev": thresholds were chosen on it; "test": reported only


@dataclass(frozen=True)
class AnswerOutcome:
    """One question's answer, judged."""

    id: str
    group: str  # "dev" or "test" (labelled), "offtopic-dev" or "offtopic-test"
    answerable: bool
    hit: bool  # labelled questions only: the answer holds an anchor and cites its file
    sentences: int
    held: int  # sentences whose citations back them
    search_ms: float
    answer_ms: float
    key_points: float | None = None  # recall of the question's key points, None without them


def load_offtopic(path: Path = QUESTIONS_DIR / OFFTOPIC_FILE) -> list[OffTopic]:
    """The off-topic questions, each with its split."""
    return [
        OffTopic(str(r["id"]), str(r["question"]), str(r["split"])) for _, r in read_objects(path)
    ]


def answer_hit(question: Question, response: AnswerResponse) -> bool:
    """Whether sentences citing a labelled file contain one of that label's anchors."""
    by_rank = {p.rank: p.citation for p in response.passages}
    for label in question.labels:
        citing = [
            s.text
            for s in response.answer.sentences
            if any(
                (by_rank[n].source, by_rank[n].path) == (label.source, label.path)
                for n in s.citations
            )
        ]
        body = normalize(" ".join(citing))
        if citing and any(normalize(a) in body for a in label.anchors):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _file_lines(file: str) -> tuple[str, ...]:
    return tuple(Path(file).read_text(encoding="utf-8").split("\n"))


def quoted_from_file(searcher: Searcher, citation: Citation, sentence: AnswerSentence) -> bool:
    """Whether every sentence, item and cell of an extractive unit is, as plain text, in the
    lines of the file it cites (read from disk, not from the index; HTML tags, images and badges
    left out, as the index leaves them out)."""
    doc = searcher.docs.get((citation.source, citation.path))
    if doc is None or sentence.start_line is None or sentence.end_line is None:
        return False
    lines = _file_lines(doc.file)[sentence.start_line - 1 : sentence.end_line]
    # HTML out, as indexed; indents out, so a nested item read alone is not a code block
    body = plain("\n".join(clean_prose_line(line).lstrip() for line in lines))
    parts = {"sentence": [sentence.text], "list": sentence.items}.get(sentence.kind)
    parts = (
        parts if parts is not None else [*sentence.header, *(c for r in sentence.rows for c in r)]
    )
    return bool(parts) and all(" ".join(p.split()) in body for p in parts)


def citations_held(searcher: Searcher, response: AnswerResponse) -> int:
    """Units their citations back: for extractive ones, in the cited file's lines as plain text;
    for generated ones, ragnotes' support check."""
    by_rank = {p.rank: p for p in response.passages}
    held = 0
    for s in response.answer.sentences:
        cited = [by_rank[n] for n in s.citations if n in by_rank]
        if response.answer.generator == "extractive":
            held += any(quoted_from_file(searcher, p.citation, s) for p in cited)
        else:
            held += is_supported(s.text, [p.text for p in cited])
    return held


def answerer(searcher: Searcher, config: LLMConfig | None) -> Answerer:
    """Extractive answers without `config`; generated ones from its server with it."""

    def extract(retrieved: Retrieved) -> Answer:
        return extractive_answer(retrieved)

    def generate(retrieved: Retrieved) -> Answer:
        if config is None or not retrieved.answerable:
            return refusal(retrieved) if not retrieved.answerable else extract(retrieved)
        messages = generated.messages(retrieved.request.question, shown_to_llm(retrieved))
        return generated_answer(retrieved, anyio.run(llm.complete, config, messages))

    return extract if config is None else generate


def ask(
    searcher: Searcher, text: str, answer: Answerer, config: LLMConfig | None
) -> tuple[AnswerResponse, float, float]:
    """The response to one question, and the ms its search and its answer took."""
    generator: Generator = "extractive" if config is None else "llm"
    started = time.perf_counter()
    retrieved = retrieve(searcher, AnswerRequest(question=text, generator=generator), None, config)
    searched = time.perf_counter()
    response = finish(retrieved, answer(retrieved))
    done = time.perf_counter()
    return response, (searched - started) * 1000, (done - searched) * 1000


def _outcome(
    searcher: Searcher,
    qid: str,
    group: str,
    response: AnswerResponse,
    hit: bool,
    times: tuple[float, float],
    points: Sequence[str] = (),
) -> AnswerOutcome:
    a = response.answer
    held = citations_held(searcher, response)
    recall = None
    if points:
        recall = key_point_recall(points, [s.text for s in a.sentences]) if a.answerable else 0.0
    return AnswerOutcome(qid, group, a.answerable, hit, len(a.sentences), held, *times, recall)


def run_answers(
    searcher: Searcher,
    labelled: Mapping[str, Sequence[Question]],
    offtopic: Sequence[OffTopic],
    config: LLMConfig | None = None,
    key_points: Mapping[str, KeyPoints] | None = None,
) -> list[AnswerOutcome]:
    """Answer every question of each split (after one untimed warm-up) and judge each answer,
    with the key points of `key_points[split]` where a question has them."""
    answer = answerer(searcher, config)
    first = next((qs[0] for qs in labelled.values() if qs), None)
    if first is not None:
        ask(searcher, first.question, answerer(searcher, None), None)
    outcomes = []
    for split, questions in labelled.items():
        for q in questions:
            response, *times = ask(searcher, q.question, answer, config)
            hit = answer_hit(q, response)
            points = (key_points or {}).get(split, {}).get(q.id, ())
            timed = (times[0], times[1])
            outcomes.append(_outcome(searcher, q.id, split, response, hit, timed, points))
    for o in offtopic:
        response, *times = ask(searcher, o.question, answer, config)
        outcomes.append(
            _outcome(searcher, o.id, f"offtopic-{o.split}", response, False, (times[0], times[1]))
        )
    return outcomes


def summarize_answers(outcomes: Sequence[AnswerOutcome], split: str) -> dict[str, float]:
    """The figures `ragnotes eval --answers` reports for one generator on one split."""
    ours = [o for o in outcomes if o.group == split]
    answered = [o for o in ours if o.answerable]
    sentences = sum(o.sentences for o in answered)
    offtopic = [o for o in outcomes if o.group == f"offtopic-{split}"]
    times = [o.answer_ms for o in ours]
    recalls = [o.key_points for o in ours if o.key_points is not None]
    figures: dict[str, float] = {
        "queries": len(ours),
        "answer_hit": mean([float(o.hit) for o in ours]),
        "key_points": mean(recalls) if recalls else 0.0,
        "with_key_points": len(recalls),
        "citations_held": sum(o.held for o in answered) / sentences if sentences else 0.0,
        "sentences": sentences / len(answered) if answered else 0.0,
        "wrongly_refused": mean([float(not o.answerable) for o in ours]),
        "offtopic": len(offtopic),
        "offtopic_answered": mean([float(o.answerable) for o in offtopic]),
        "answer_p50_ms": percentile(times, 50),
        "answer_p95_ms": percentile(times, 95),
        "search_p50_ms": percentile([o.search_ms for o in ours], 50),
    }
    return {k: round(v, 4) for k, v in figures.items()}


def outcome_rows(outcomes: Sequence[AnswerOutcome]) -> list[dict[str, Any]]:
    """Per-question outcomes for the JSON report."""
    return [
        {"id": o.id, "group": o.group, "answerable": o.answerable, "hit": o.hit,
         "sentences": o.sentences, "held": o.held, "answer_ms": round(o.answer_ms, 2),
         "key_points": None if o.key_points is None else round(o.key_points, 4)}
        for o in outcomes
    ]  # fmt: skip

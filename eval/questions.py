"""Our eval set: questions labelled with the file that answers them and anchor phrases.

Two splits live in `eval/questions/<split>/*.jsonl`. `dev` is what ranking changes are chosen
on; `test` was written and labelled before any search was run for it, and is only reported,
never tuned on (eval/EXPERIMENTS.md records both for every change).

A label names a file (source + path) and short phrases taken from the answering passage,
never a chunk id, so labels survive any change of chunking. A returned passage is relevant
when it comes from the labelled file and its text contains one of the anchors, compared
case-insensitively with whitespace collapsed and the Markdown emphasis characters * _ `
removed (so `**batch**` in the file still matches "batch" in an anchor).

The notes and the READMEs often cover the same topic, so a question may list, under `also`,
other passages judged to answer it just as well. The question still has one target: it is
answered once any of its passages is returned. `strict=True` ignores `also` (labelled file only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from ragnotes.errors import ConfigError
from ragnotes_eval.jsonl import read_objects

Tier = Literal["paraphrase", "keyword", "howto", "compare"]
TIERS: tuple[Tier, ...] = get_args(Tier)
Split = Literal["dev", "test"]
SPLITS: tuple[Split, ...] = get_args(Split)
QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
_EMPHASIS = re.compile(r"[*_`]")
# Questions the index should refuse (eval/answers_eval.py); they carry no label.
OFFTOPIC_FILE = "offtopic.jsonl"


@dataclass(frozen=True)
class Label:
    """A passage that answers a question: its file and phrases taken from it."""

    source: str  # "notes", or a curated repo as "owner/name"
    path: str
    anchors: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One eval question and the passage that answers it (plus any judged equivalents)."""

    id: str
    question: str
    tier: Tier
    source: str
    path: str
    anchors: tuple[str, ...]
    also: tuple[Label, ...] = ()

    @property
    def labels(self) -> tuple[Label, ...]:
        """The labelled passage first, then the other passages judged to answer."""
        return (Label(self.source, self.path, self.anchors), *self.also)


def normalize(text: str) -> str:
    """Lower-cased, emphasis characters removed, whitespace collapsed to single spaces."""
    return " ".join(_EMPHASIS.sub("", text).lower().split())


def is_relevant(question: Question, source: str, path: str, text: str) -> bool:
    """Whether a passage from `source`/`path` with `text` answers `question`."""
    body = normalize(text)
    return any(
        (label.source, label.path) == (source, path)
        and any(normalize(anchor) in body for anchor in label.anchors)
        for label in question.labels
    )


def _label(row: dict[str, Any]) -> Label:
    anchors = row["anchors"]
    if not isinstance(anchors, list) or not anchors:
        raise ValueError("anchors must be a non-empty list of phrases")
    return Label(str(row["source"]), str(row["path"]), tuple(str(a) for a in anchors))


def _parse(row: dict[str, Any], where: str, strict: bool) -> Question:
    try:
        label = _label(row)
        if row["tier"] not in TIERS:
            raise ValueError("tier must be one of " + ", ".join(TIERS))
        also = () if strict else tuple(_label(other) for other in row.get("also", []))
        tier: Tier = row["tier"]
        return Question(
            str(row["id"]),
            str(row["question"]),
            tier,
            label.source,
            label.path,
            label.anchors,
            also,
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing field {exc}") from exc
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def split_dir(split: Split) -> Path:
    """The folder holding one split's question files."""
    return QUESTIONS_DIR / split


def load_questions(folder: Path = QUESTIONS_DIR / "dev", strict: bool = False) -> list[Question]:
    """Every question in `folder`/*.jsonl, in file then line order; ids must be unique."""
    files = sorted(p for p in folder.glob("*.jsonl") if p.name != OFFTOPIC_FILE)
    if not files:
        raise ConfigError(f"no eval questions (*.jsonl) found in {folder}")
    questions: list[Question] = []
    for file in files:
        questions.extend(_parse(row, where, strict) for where, row in read_objects(file))
    _check_unique([q.id for q in questions])
    return questions


def _check_unique(ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for qid in ids:
        if qid in seen:
            raise ConfigError(f"the eval question id {qid!r} is used twice")
        seen.add(qid)

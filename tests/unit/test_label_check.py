"""The label checker catches each kind of bad label, and the test split has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragnotes.corpus.curated import load_curated
from ragnotes.corpus.documents import Document
from ragnotes.corpus.sync import sync_readmes
from ragnotes_eval.label_check import check_labels, corpus_documents
from ragnotes_eval.questions import Question, load_questions, split_dir

GUIDE = """# Serving handbook

## Contents

- [Batching](#batching)
- [Caching](#caching)

## Batching

Dynamic batching waits a few milliseconds to fill the accelerator.

It trades a little tail latency for a lot of throughput.

```python
queue_delay_ms = 2  # the wait before a batch is sent
```

## Caching

Cache the final list per user for a few minutes.
"""
OTHER = """# Other

**Table of contents**

1. [Serving guide](#serving-guide)
2. [Other notes](#other-notes)

Some teams cache the final list per user for a few minutes too.
"""
DOCS = [
    Document("notes", "guide.md", GUIDE, Path("guide.md"), "x"),
    Document("o/r", "README.md", OTHER, Path("README.md"), "y"),
]


def _q(anchor: str, question: str = "why wait before sending a batch?") -> Question:
    return Question("q", question, "paraphrase", "notes", "guide.md", (anchor,))


def test_a_clean_label_passes() -> None:
    anchor = "trades a little tail latency for a lot of throughput"
    assert check_labels([_q(anchor)], DOCS) == []


@pytest.mark.parametrize(
    ("anchor", "problem"),
    [
        ("cache the final list per user", "duplicate"),  # also in o/r README.md
        ("Serving handbook", "heading"),
        ("queue_delay_ms = 2", "code"),
        ("[Batching](#batching)", "toc"),  # under a "Contents" heading
        ("fill the accelerator. It trades", "split"),  # two paragraphs, so two passages
        ("not in the file at all", "missing"),
    ],
)
def test_each_bad_anchor_is_named(anchor: str, problem: str) -> None:
    found = [f.problem for f in check_labels([_q(anchor)], DOCS)]
    assert found == [problem]


def test_an_anchor_in_a_hand_written_table_of_contents_is_refused() -> None:
    q = Question("q", "?", "keyword", "o/r", "README.md", ("[Other notes](#other-notes)",))
    assert [f.problem for f in check_labels([q], DOCS)] == ["toc"]


def test_a_label_on_a_file_outside_the_corpus_is_refused() -> None:
    q = Question("q", "?", "keyword", "notes", "gone.md", ("x",))
    assert [f.problem for f in check_labels([q], DOCS)] == ["no-file"]


def test_a_question_copying_seven_words_is_refused() -> None:
    copied = "does it trade a little tail latency for a lot of throughput?"
    findings = check_labels([_q("lot of throughput", copied)], DOCS)
    assert [f.problem for f in findings] == ["copied"]
    assert "a little tail latency for a lot" in findings[0].detail
    six = "does it trade a little tail latency, and for what?"
    assert check_labels([_q("lot of throughput", six)], DOCS) == []


@pytest.fixture(scope="module")
def full_corpus(tmp_path_factory: pytest.TempPathFactory, readme_mirror: Path) -> list[Document]:
    """The notes and the curated READMEs synced as `make sync` does, from the local mirror."""
    readmes = tmp_path_factory.mktemp("readmes")
    sync_readmes(load_curated(), readmes, readme_mirror)
    return corpus_documents(readmes)


def test_the_test_split_is_labelled_soundly(full_corpus: list[Document]) -> None:
    questions = load_questions(split_dir("test"), strict=True)
    assert len(questions) >= 80
    findings = check_labels(questions, full_corpus)
    assert findings == [], "\n".join(str(f) for f in findings)

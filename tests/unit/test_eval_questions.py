"""The eval set is well formed: every anchor is really in its file, and relevance is judged as documented."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corpus.documents import BUNDLED_NOTES_DIR, NOTES_SOURCE
from corpus.errors import ConfigError
from eval.questions import Label, Question, is_relevant, load_questions, normalize

MIRROR = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "readmes"
QUESTIONS = load_questions()


def _file(label: Label) -> Path:
    if label.source == NOTES_SOURCE:
        return BUNDLED_NOTES_DIR / label.path
    return MIRROR / label.source.replace("/", "__") / label.path


def test_the_set_has_the_promised_shape() -> None:
    assert len(QUESTIONS) >= 80
    readme_share = sum(q.source != NOTES_SOURCE for q in QUESTIONS) / len(QUESTIONS)
    assert readme_share >= 0.5
    assert set(Counter(q.tier for q in QUESTIONS)) == {"paraphrase", "keyword", "howto", "compare"}


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_anchor_is_in_its_file(question: Question) -> None:
    for label in question.labels:
        file = _file(label)
        if label.source != NOTES_SOURCE and not MIRROR.is_dir():
            pytest.skip(f"the README mirror {MIRROR} is absent")
        assert file.is_file(), f"{question.id}: no file {file}"
        text = normalize(file.read_text(encoding="utf-8"))
        for anchor in label.anchors:
            assert normalize(anchor) in text, f"{question.id}: {anchor!r} not in {file}"


def test_relevance_needs_the_file_and_an_anchor() -> None:
    q = Question("x", "?", "keyword", "notes", "a.md", ("Batch scoring",))
    assert is_relevant(q, "notes", "a.md", "We run **batch**\n  _scoring_ nightly.")
    assert not is_relevant(q, "notes", "b.md", "batch scoring")
    assert not is_relevant(q, "notes", "a.md", "online scoring")


def test_relevance_accepts_judged_equivalents_unless_strict(tmp_path: Path) -> None:
    row = {
        "id": "q1",
        "question": "?",
        "tier": "compare",
        "source": "notes",
        "path": "a.md",
        "anchors": ["alpha"],
        "also": [{"source": "o/r", "path": "README.md", "anchors": ["beta"]}],
    }
    (tmp_path / "set.jsonl").write_text(json.dumps(row) + "\n")
    lenient, strict = load_questions(tmp_path)[0], load_questions(tmp_path, strict=True)[0]
    assert is_relevant(lenient, "o/r", "README.md", "Beta!")
    assert not is_relevant(strict, "o/r", "README.md", "Beta!")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"id": "a", "question": "?", "tier": "other", "source": "s", "path": "p", '
            '"anchors": ["x"]}',
            "tier must be",
        ),
        ('{"id": "a", "question": "?", "tier": "keyword", "source": "s", "path": "p"}', "anchors"),
        (
            '{"id": "a", "question": "?", "tier": "keyword", "source": "s", "path": "p", '
            '"anchors": []}',
            "non-empty",
        ),
    ],
)
def test_malformed_lines_are_one_line_errors(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "bad.jsonl").write_text(line + "\n")
    with pytest.raises(ConfigError, match=message):
        load_questions(tmp_path)


def test_duplicate_ids_and_empty_folder_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no eval questions"):
        load_questions(tmp_path)
    row = '{"id": "a", "question": "?", "tier": "keyword", "source": "s", "path": "p", "anchors": ["x"]}'
    (tmp_path / "dup.jsonl").write_text(row + "\n" + row + "\n")
    with pytest.raises(ConfigError, match="used twice"):
        load_questions(tmp_path)

"""The eval set is well formed: every anchor is really in its file, and relevance is judged as documented."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ragnotes.corpus.documents import BUNDLED_NOTES_DIR, NOTES_SOURCE
from ragnotes.errors import ConfigError
from ragnotes_eval.questions import (
    SPLITS,
    Label,
    Question,
    Split,
    is_relevant,
    load_questions,
    normalize,
    split_dir,
)


def _file(label: Label, mirror: Path) -> Path:
    if label.source == NOTES_SOURCE:
        return BUNDLED_NOTES_DIR / label.path
    return mirror / label.source.replace("/", "__") / label.path


def test_the_dev_split_has_the_promised_shape() -> None:
    dev = load_questions(split_dir("dev"))
    assert len(dev) >= 80
    assert sum(q.source != NOTES_SOURCE for q in dev) / len(dev) >= 0.5
    assert set(Counter(q.tier for q in dev)) == {"paraphrase", "keyword", "howto", "compare"}


def test_the_test_split_has_the_promised_shape() -> None:
    test = load_questions(split_dir("test"))
    tiers = Counter(q.tier for q in test)
    assert len(test) >= 80
    assert sum(q.source != NOTES_SOURCE for q in test) / len(test) >= 2 / 3
    assert len({q.source for q in test} - {NOTES_SOURCE}) >= 18
    assert tiers["paraphrase"] >= len(test) / 2 and min(tiers.values()) >= 5
    assert set(tiers) == {"paraphrase", "keyword", "howto", "compare"}
    assert not {q.id for q in test} & {q.id for q in load_questions(split_dir("dev"))}


def _unanchored(labels: list[tuple[str, Label]], mirror: Path) -> list[str]:
    """Every (question id, label) whose file is missing or lacks an anchor, one line each."""
    found = []
    for qid, label in labels:
        file = _file(label, mirror)
        if not file.is_file():
            found.append(f"{qid}: no file {file}")
            continue
        text = normalize(file.read_text(encoding="utf-8"))
        found += [
            f"{qid}: {anchor!r} not in {file}"
            for anchor in label.anchors
            if normalize(anchor) not in text
        ]
    return found


@pytest.mark.parametrize("kind", ["notes", "readmes"])
@pytest.mark.parametrize("split", SPLITS)
def test_every_anchor_is_in_its_file(
    split: Split, kind: str, request: pytest.FixtureRequest
) -> None:
    """Every label of the split, the notes' and (with the mirror) the READMEs': all the bad ones
    are named at once."""
    mirror = request.getfixturevalue("readme_mirror") if kind == "readmes" else Path()
    labels = [
        (q.id, label)
        for q in load_questions(split_dir(split))
        for label in q.labels
        if (label.source == NOTES_SOURCE) == (kind == "notes")
    ]
    assert labels, f"the {split} split has no {kind} labels"
    problems = _unanchored(labels, mirror)
    assert problems == [], f"{len(problems)} {split} labels point at nothing:\n" + "\n".join(
        problems
    )


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

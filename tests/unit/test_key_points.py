"""eval/key_points.py: loading key points and the share of them an answer states, checked
against hand-counted words."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragnotes.errors import ConfigError
from ragnotes.index.lexical import query_tokens
from ragnotes_eval.key_points import KEY_POINTS_DIR, is_stated, key_point_recall, load_key_points
from ragnotes_eval.questions import QUESTIONS_DIR, load_questions


def words(text: str) -> frozenset[str]:
    return frozenset(query_tokens(text))


def test_a_point_is_stated_when_two_thirds_of_its_content_words_are_there() -> None:
    # "freshness of hours to a day is acceptable": fresh, hour, day, accept (4 words)
    point = "A freshness of hours to a day is acceptable"
    assert is_stated(point, words("Freshness in hours is fine; a day too is acceptable."))  # 4/4
    assert is_stated(point, words("a freshness of a day is acceptable"))  # 3/4 >= 2/3
    assert not is_stated(point, words("freshness matters within the day"))  # 2/4 < 2/3
    assert not is_stated("the of and", words("the of and"))  # no content words at all


def test_recall_is_the_share_of_points_stated_across_the_answers_units() -> None:
    points = ["batch jobs run nightly", "online inference serves requests", "GPUs cost money"]
    parts = ["Batch jobs run every night, nightly.", "- online inference\n- serves requests"]
    assert key_point_recall(points, parts) == pytest.approx(2 / 3)
    assert key_point_recall(points, []) == 0.0
    assert key_point_recall([], parts) == 0.0


def test_a_bad_key_points_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "dev.jsonl").write_text('{"id": "x", "key_points": []}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"dev.jsonl line 1"):
        load_key_points("dev", tmp_path)
    assert load_key_points("test", tmp_path) == {}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_the_shipped_key_points_name_questions_of_their_split(split: str) -> None:
    points = load_key_points(split, KEY_POINTS_DIR)
    ids = {q.id for q in load_questions(QUESTIONS_DIR / split, strict=True)}
    assert set(points) <= ids
    assert all(2 <= len(p) <= 4 for p in points.values())


def test_the_report_averages_recall_over_questions_with_key_points() -> None:
    from ragnotes_eval.answers import AnswerOutcome, summarize_answers

    def outcome(qid: str, answerable: bool, recall: float | None) -> AnswerOutcome:
        return AnswerOutcome(qid, "dev", answerable, False, 1, 1, 1.0, 1.0, recall)

    # a refused question counts as stating none of its points; one without points is left out
    figures = summarize_answers(
        [outcome("a", True, 1.0), outcome("b", True, 0.5), outcome("c", False, 0.0),
         outcome("d", True, None)],
        "dev",
    )  # fmt: skip
    assert figures["key_points"] == pytest.approx(0.5)
    assert figures["with_key_points"] == 3

"""Query terms, sentence splitting and the best sentence."""

from __future__ import annotations

import pytest

from ragnotes.answers.highlight import best_sentence, query_terms, sentence_spans, stem

BATCH_PASSAGE = (
    "Nightly jobs precompute recommendations for every active user and write them to a store.\n"
    "Batch scoring is the right call when inputs are known ahead of time and hours of\n"
    "staleness are acceptable. Online scoring costs more."
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Batches", "batch"),
        ("scoring", "scor"),
        ("score", "scor"),
        ("scored", "scor"),
        ("process", "process"),  # not a plural
        ("processes", "process"),
        ("used", "used"),  # stripping would leave fewer than four letters
        ("PSI", "psi"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_query_terms_drop_stop_words_short_words_and_repeats() -> None:
    assert query_terms("When should I prefer batch inference for batches? A b") == (
        "prefer",
        "batch",
        "inferenc",
    )
    assert query_terms("what is it?") == ()


def test_sentences_follow_paragraphs_list_items_and_table_rows() -> None:
    text = (
        "First sentence here. Second one\n"
        "wraps onto a line.\n"
        "\n"
        "- item one\n"
        "- item two! Still item two\n"
        "\n"
        "| a | b |\n"
        "| - | - |\n"
        "| 1 | 2 |"
    )
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "First sentence here.",
        "Second one\nwraps onto a line.",
        "- item one",
        "- item two!",
        "Still item two",
        "| a | b |",
        "| - | - |",
        "| 1 | 2 |",
    ]


def test_sentences_read_lines_as_the_markdown_model_does() -> None:
    code = "```python\n# a comment, not a heading\nx = 1\n\ny = 2\n```"
    assert [code[s:e] for s, e in sentence_spans(code)] == [
        "```python",
        "# a comment, not a heading\nx = 1",
        "y = 2",
        "```",
    ]
    quote = "> A quoted sentence that\n> wraps. Another one."
    assert [quote[s:e] for s, e in sentence_spans(quote)] == [
        "> A quoted sentence that\n> wraps.",
        "Another one.",
    ]
    rows = "| drift | psi |\n| skew | ks |"  # a table piece after the first: no header row
    assert [rows[s:e] for s, e in sentence_spans(rows, "table, part 2 of 3")] == [
        "| drift | psi |",
        "| skew | ks |",
    ]
    assert best_sentence(rows, "what is skew?", "table, part 2 of 3") == "| skew | ks |"


def test_best_sentence_has_the_most_distinct_terms() -> None:
    best = best_sentence(BATCH_PASSAGE, "when is nightly batch scoring the right choice?")
    # nightly: 1 term; "Batch scoring ... right": batch, scor, right = 3; "Online scoring": 1.
    assert best == (
        "Batch scoring is the right call when inputs are known ahead of time and hours of\n"
        "staleness are acceptable."
    )
    assert best in BATCH_PASSAGE


def test_best_sentence_breaks_ties_by_marked_words_then_position() -> None:
    text = "Scoring once. Scoring and rescoring scores. Scores again."
    # every sentence has the one term; the second marks three words ("rescoring" does not match)
    assert best_sentence(text, "scoring") == "Scoring and rescoring scores."
    assert best_sentence("Drift one. Drift two.", "drift") == "Drift one."


def test_best_sentence_is_none_without_a_shared_word() -> None:
    assert best_sentence(BATCH_PASSAGE, "population stability index") is None
    assert best_sentence(BATCH_PASSAGE, "what is it") is None
    assert best_sentence("", "batch") is None

"""Query terms, sentence splitting, the best sentence, and the escaped, marked-up passage."""

from __future__ import annotations

import html
import re

import pytest

from service.highlight import (
    best_sentence,
    highlight_html,
    query_terms,
    reflow,
    sentence_spans,
    stem,
)

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
        "| a | b |\n"
        "| 1 | 2 |"
    )
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "First sentence here.",
        "Second one\nwraps onto a line.",
        "- item one",
        "- item two!",
        "Still item two",
        "| a | b |",
        "| 1 | 2 |",
    ]


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


def test_reflow_joins_wrapped_lines_but_keeps_structure_and_code() -> None:
    text = "One line\n  wraps here.\n\nNew paragraph.\n- item\n  continues\n- next\n# Head"
    assert reflow(text) == (
        "One line wraps here.\n\nNew paragraph.\n- item continues\n- next\n# Head"
    )
    code = "x = 1\ny = 2"
    assert reflow(code, "code block, part 1 of 2") == code
    assert reflow("text\n```\nx = 1\n```") == "text\n```\nx = 1\n```"


def _visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_highlight_escapes_marks_terms_and_emphasises_the_best_sentence() -> None:
    text = 'Use <script>alert("x")</script> & batch.\nBatch scoring\nwins. Other <img src=x> text.'
    question = "batch scoring"
    best = best_sentence(text, question)
    assert best == "Batch scoring\nwins."
    markup = highlight_html(text, question, best)
    assert "<script>" not in markup and "<img" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in markup
    assert re.findall(r"<mark>(.*?)</mark>", markup) == ["batch", "Batch", "scoring"]
    assert '<strong class="best"><mark>Batch</mark> <mark>scoring</mark> wins.</strong>' in markup
    assert _visible(markup) == reflow(text)


def test_highlight_without_a_best_sentence_only_marks() -> None:
    markup = highlight_html("a <b>batch</b>", "batches", None)
    assert markup == "a &lt;b&gt;<mark>batch</mark>&lt;/b&gt;"
    assert highlight_html("nothing here", "batch", "not in the text") == "nothing here"

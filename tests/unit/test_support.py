"""The support check: numbers, names and terms a sentence states must be in its passage."""

from __future__ import annotations

import pytest

from ragnotes.answers.support import is_supported, key_terms, missing_terms

PASSAGE = (
    "If the nightly job fails, we keep serving yesterday's lists for up to **48 hours**. "
    "The scores live in Redis, and the p99 lookup takes about 3 ms."
)


def test_key_terms_are_numbers_names_and_marked_words() -> None:
    terms = key_terms(
        "Serving from Redis keeps p99 under 1,200 ms for the two-tower LambdaMART model."
    )
    assert terms == ["1200", "redis", "p99", "two-tower", "lambdamart"]
    assert key_terms("Batch jobs run nightly.") == []  # a capital that only starts the sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "We keep serving yesterday's lists for up to 48 hours if the nightly job fails.",
        "The scores live in Redis.",
        "A p99 lookup takes about 3 ms.",
    ],
)
def test_sentences_the_passage_states_are_supported(sentence: str) -> None:
    assert is_supported(sentence, [PASSAGE])


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("We keep serving yesterday's lists for up to 72 hours if the nightly job fails.", ["72"]),
        ("The scores live in Cassandra.", ["cassandra"]),
        ("A p95 lookup takes about 3 ms.", ["p95"]),
        ("The p99 lookup takes about 3.5 ms.", ["3.5"]),
    ],
)
def test_an_invented_figure_or_name_makes_a_sentence_unsupported(
    sentence: str, missing: list[str]
) -> None:
    assert missing_terms(sentence, [PASSAGE]) == missing
    assert not is_supported(sentence, [PASSAGE])


def test_words_the_passage_does_not_hold_are_unsupported() -> None:
    assert not is_supported("Online inference needs a GPU cluster with autoscaling.", [PASSAGE])
    assert not is_supported("The scores live in Redis.", [])

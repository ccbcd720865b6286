"""The support check and the parse of a model's reply, on hand-made cases."""

from __future__ import annotations

import pytest

from service.generated import Source, messages, parse
from service.support import is_supported, key_terms, missing_terms

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


SOURCES = [
    Source(1, "Batch", "Batch inference runs nightly and writes scores to Redis."),
    Source(2, "Online", "Online inference runs in the request path of the service."),
]


def test_parse_maps_citations_and_drops_invented_ones() -> None:
    reply = (
        "Batch inference runs nightly [1]. Online inference runs in the request path. [2]\n"
        "The scores live in Redis [1][7]. Batch inference writes scores [9]."
    )
    claims = parse(reply, SOURCES)
    assert [(c.text, c.citations) for c in claims] == [
        ("Batch inference runs nightly.", (1,)),
        ("Online inference runs in the request path.", (2,)),
        ("The scores live in Redis.", (1,)),
        ("Batch inference writes scores.", (1,)),  # [9] was not given: cites what backs it
    ]
    assert all(c.supported for c in claims)


def test_parse_checks_support_itself() -> None:
    (claim,) = parse("Batch inference runs every 6 hours on Spark [1].", SOURCES)
    assert claim.citations == (1,) and not claim.supported


def test_parse_skips_introductions_and_empty_lines() -> None:
    claims = parse("The answer is:\n\n- Online inference runs in the request path [2].", SOURCES)
    assert [(c.text, c.citations) for c in claims] == [
        ("Online inference runs in the request path.", (2,))
    ]


def test_the_prompt_numbers_each_passage_by_rank() -> None:
    system, user = messages("when is batch used?", SOURCES)
    assert "[n]" in system["content"] or "[1]" in system["content"]
    assert "[1] Batch\nBatch inference" in user["content"]
    assert "[2] Online\n" in user["content"]
    assert user["content"].endswith("Question: when is batch used?")

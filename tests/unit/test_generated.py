"""The parse of a model's reply and the prompt it is given, on hand-made cases."""

from __future__ import annotations

from ragnotes.answers.generated import messages, parse
from ragnotes.answers.responses import Citation, Passage


def passage(rank: int, heading: str, text: str) -> Passage:
    """A passage of a note, ranked `rank`, under `heading`; only what answers read is real."""
    lines = text.count("\n") + 1
    where = Citation(
        source="notes",
        path="n.md",
        title="n",
        heading=heading,
        start_line=1,
        end_line=lines,
        url="",
    )
    return Passage(rank=rank, score=1.0, text=text, citation=where)


PASSAGES = [
    passage(1, "Batch", "Batch inference runs nightly and writes scores to Redis."),
    passage(2, "Online", "Online inference runs in the request path of the service."),
]


def test_parse_maps_citations_and_drops_invented_ones() -> None:
    reply = (
        "Batch inference runs nightly [1]. Online inference runs in the request path. [2]\n"
        "The scores live in Redis [1][7]. Batch inference writes scores [9]."
    )
    claims = parse(reply, PASSAGES)
    assert [(c.text, c.citations) for c in claims] == [
        ("Batch inference runs nightly.", (1,)),
        ("Online inference runs in the request path.", (2,)),
        ("The scores live in Redis.", (1,)),
        ("Batch inference writes scores.", (1,)),  # [9] was not given: cites what backs it
    ]
    assert all(c.supported for c in claims)


def test_parse_checks_support_itself() -> None:
    (claim,) = parse("Batch inference runs every 6 hours on Spark [1].", PASSAGES)
    assert claim.citations == (1,) and not claim.supported


def test_parse_skips_introductions_and_empty_lines() -> None:
    claims = parse("The answer is:\n\n- Online inference runs in the request path [2].", PASSAGES)
    assert [(c.text, c.citations) for c in claims] == [
        ("Online inference runs in the request path.", (2,))
    ]


def test_the_prompt_numbers_each_passage_by_rank() -> None:
    system, user = messages("when is batch used?", PASSAGES)
    assert "[n]" in system["content"] or "[1]" in system["content"]
    assert "[1] Batch\nBatch inference" in user["content"]
    assert "[2] Online\n" in user["content"]
    assert user["content"].endswith("Question: when is batch used?")

"""Generated answers: the prompt that numbers the passages, and the parse of the model's reply.

The model sees each passage as `[n]`, n being its rank in the response, and is asked for short
sentences that each end with the `[n]` they come from. The reply is split into sentences; a
citation to a number that was not given is dropped; a sentence the model left uncited cites the
given passage that backs it best, and whether the citations back each sentence is computed
here (answers/support.py), never taken from the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ragnotes.answers.evidence import coverage
from ragnotes.answers.highlight import query_terms
from ragnotes.answers.llm import Messages
from ragnotes.answers.responses import Passage
from ragnotes.answers.support import is_supported

PASSAGE_CHARS = 800  # each passage's share of the prompt: small local models read slowly
SHOWN = 3  # passages shown to the model: the best ones that are not weak
SYSTEM = (
    "You answer questions using only the numbered passages from the user's notes. "
    "Write two to four short sentences. End every sentence with the number of the passage "
    "it comes from in square brackets, like [1]. Use only facts stated in the passages. "
    "If the passages do not answer the question, say so in one sentence."
)
_CITATION = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# Citations after the full stop ("latency. [2]") belong to the sentence before it.
_TRAILING = re.compile(r"([.!?])((?:[ \t]*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")
# A sentence ends at . ! or ? before white space, or at a line break.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Claim:
    """One parsed sentence of a reply: its text, the passages it cites, whether they back it."""

    text: str
    citations: tuple[int, ...]
    supported: bool


def messages(question: str, passages: Sequence[Passage]) -> Messages:
    """The chat messages asking for a cited answer from `passages`, each shown as `[rank]`, its
    heading breadcrumb and its text (the first `PASSAGE_CHARS`)."""
    shown = []
    for p in passages:
        body = p.text if len(p.text) <= PASSAGE_CHARS else p.text[:PASSAGE_CHARS] + " ..."
        shown.append(f"[{p.rank}] {p.citation.heading}\n{body}")
    user = "Passages:\n\n" + "\n\n".join(shown) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def _numbers(sentence: str) -> list[int]:
    found: list[int] = []
    for group in _CITATION.findall(sentence):
        found.extend(int(n) for n in re.split(r"[,;]", group))
    return list(dict.fromkeys(found))


def _clean(sentence: str) -> str:
    text = _CITATION.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)  # "latency [2]." -> "latency."
    return " ".join(text.split()).strip(" -*")


def _best_backing(text: str, passages: Sequence[Passage]) -> int:
    """The rank of the passage holding most of the sentence's words."""
    terms = query_terms(text)
    return max(passages, key=lambda p: coverage(terms, p.text)).rank


def parse(reply: str, passages: Sequence[Passage]) -> list[Claim]:
    """The reply's sentences, each citing only given passages (at least one), with support."""
    given = {p.rank: p for p in passages}
    claims = []
    for piece in _BOUNDARY.split(_TRAILING.sub(r"\2\1", reply.strip())):
        text = _clean(piece)
        if not _WORD.search(text) or text.endswith(":") or not passages:
            continue  # nothing said, or only an introduction ("The answer is:")
        cited = [n for n in _numbers(piece) if n in given] or [_best_backing(text, passages)]
        backed = is_supported(text, [given[n].text for n in cited])
        claims.append(Claim(text, tuple(cited), backed))
    return claims

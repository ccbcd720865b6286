"""Sentences of a paragraph's plain text, each with the lines it spans.

The Markdown model (corpus/markdown.py `plain_lines`) gives a paragraph as a reader sees it, one
string per source line; this cuts that text into sentences and says which lines each one spans,
so a sentence quoted in an answer reads without Markdown and still cites its exact lines.

Some sentences only make sense after the one before them ("This is why ...", "The price: a
latency budget ..."); they are marked `dependent`, and an answer quotes them only with that
neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# A sentence ends at . ! or ? (with any closing quote or bracket), then white space, then what
# starts a sentence: a capital, a digit, a quote or a bracket. A lower-case word after the stop
# ("e.g. at 10", "vs. online") does not end the sentence.
_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\[(\"])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Ms|No|Fig)\.[\"')\]]*$")
_WORD = re.compile(r"[^\W_]+")
# Words that point back at the sentence before, and "The <word>:" ("The price: ..."), which names
# something the sentence before set up. A bare label ("DistilBERT: 40% smaller") stands alone.
_BACK = re.compile(
    r"^(?:this|that|these|those|it|its|they|their|such|also|however|but|so|thus|hence|"
    r"therefore|instead|otherwise|here|again|then|which|both|and|or)\b|^the\s+\w+:\s",
    re.IGNORECASE,
)
MIN_WORDS, MAX_WORDS = 5, 60


@dataclass(frozen=True)
class Sentence:
    """One sentence: its plain text (white space collapsed) and the lines it spans, counted as
    the lines given to `split` are."""

    text: str
    first: int
    last: int
    dependent: bool = False  # only makes sense after the sentence before it


def words(text: str) -> int:
    """How many words `text` holds."""
    return len(_WORD.findall(text))


def readable(text: str) -> bool:
    """5 to 60 words, not ending with a colon (a sentence that introduces a list says little
    alone)."""
    return MIN_WORDS <= words(text) <= MAX_WORDS and not text.rstrip().endswith(":")


def _cuts(text: str) -> list[int]:
    cuts = [0]
    for m in _END.finditer(text):
        if not _ABBREVIATION.search(text, 0, m.start()):
            cuts += [m.start(), m.end()]
    return [*cuts, len(text)]


def split(lines: Sequence[str], first_line: int = 0) -> list[Sentence]:
    """Every sentence of a paragraph given as plain lines; line numbers start at `first_line`."""
    text = "\n".join(lines)
    found = []
    for left, right in zip(*[iter(_cuts(text))] * 2, strict=True):
        raw = text[left:right]
        piece = " ".join(raw.split())
        if not piece:
            continue
        start = left + len(raw) - len(raw.lstrip())
        end = right - (len(raw) - len(raw.rstrip()))
        first = first_line + text.count("\n", 0, start)
        last = first_line + text.count("\n", 0, end)
        found.append(Sentence(piece, first, last, _BACK.match(piece) is not None))
    return found

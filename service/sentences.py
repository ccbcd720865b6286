"""The prose sentences of a Markdown passage, as exact character spans of its text.

The Markdown model (corpus/markdown.py) tells which lines are paragraphs (also inside list items);
headings, code, tables, quotes and HTML are never split into sentences. A span always indexes the passage
text itself, so a sentence taken from it appears there verbatim, line breaks included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.token import Token

from corpus.markdown import parse_blocks

# A sentence ends at . ! or ? (with any closing emphasis, quote or bracket), then white space,
# then what starts a sentence: a capital, a digit, or Markdown opening one. A lower-case word
# after the stop ("e.g. at 10", "vs. online") does not end the sentence.
_END = re.compile(r"(?<=[.!?])[*_`\"')\]]*\s+(?=[A-Z0-9*_`\[(\"])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Ms|No|Fig)\.[*_`\"')\]]*$")
_WORD = re.compile(r"[^\W_]+")
MIN_WORDS, MAX_WORDS = 5, 60


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage: `text == passage[start:end]`, and its place among them."""

    text: str
    start: int
    end: int
    index: int  # order within the passage


def _lines(text: str) -> list[tuple[int, str]]:
    """Each line of `text` with the offset it starts at."""
    out, at = [], 0
    for line in text.split("\n"):
        out.append((at, line))
        at += len(line) + 1
    return out


def _paragraph_span(lines: list[tuple[int, str]], token: Token, inline: Token) -> tuple[int, int]:
    """Where a paragraph's inline content lies in the text (list markers and indents outside)."""
    first, last = token.map or (0, 1)
    content = inline.content.split("\n")
    (first_at, first_line), (last_at, last_line) = lines[first], lines[last - 1]
    begin = first_at + max(first_line.find(content[0]), 0)
    tail = last_line.rfind(content[-1])
    end = last_at + (tail + len(content[-1]) if tail >= 0 else len(last_line.rstrip()))
    return begin, end


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the prose paragraphs of `text`, outside quotes, tables and headings."""
    lines = _lines(text)
    spans, quoted = [], 0
    tokens = [t for b in parse_blocks(text) if b.kind in ("paragraph", "list") for t in b.tokens]
    for i, token in enumerate(tokens):
        if token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        elif token.type == "paragraph_open" and not quoted and token.map:
            spans.append(_paragraph_span(lines, token, tokens[i + 1]))
    return spans


def _cuts(text: str, start: int, end: int) -> list[int]:
    cuts = []
    for m in _END.finditer(text, start, end):
        if not _ABBREVIATION.search(text, start, m.start()):
            cuts.append(m.start())
            cuts.append(m.end())
    return [start, *cuts, end]


def _readable(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    return MIN_WORDS <= len(words) <= MAX_WORDS and not sentence.rstrip("*_ ").endswith(":")


def sentences(text: str) -> list[Sentence]:
    """The readable prose sentences of a Markdown passage, in order.

    A sentence has 5 to 60 words and does not end with a colon (one that introduces a list or a
    block says little alone).
    """
    found: list[Sentence] = []
    for start, end in paragraph_spans(text):
        cuts = _cuts(text, start, end)
        for left, right in zip(cuts[::2], cuts[1::2], strict=True):
            piece = text[left:right]
            if _readable(piece):
                found.append(Sentence(piece, left, right, len(found)))
    return found

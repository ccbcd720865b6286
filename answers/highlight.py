"""Query terms, and the sentence of a passage that best answers a question.

A query word marks a passage word when their light stems agree (`stem`, `matches`);
service/render.py marks them as it renders a passage. The best sentence is the one with the most
distinct marked query terms, so it is always where the marks cluster. Sentences are cut inside
the units the Markdown model (corpus/markdown.py) finds in the passage: paragraphs, list items,
quotes, headings, table rows and runs of code lines.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ragnotes.corpus.markdown import MarkdownFile, Part, PartKind, parse

# Words too common to mark: English function words plus the question words people type.
STOP_WORDS = frozenset(
    """a about an and any are as at be been but by can could did do does for from had has have
    how i if in into is it its me my no not of on or our over should so such than that the their
    them then there these they this to vs was we were what when where which who why will with
    would you your""".split()  # noqa: SIM905 - a word list reads better as prose
)
_WORD = re.compile(r"\w+")
_SUFFIXES = ("ing", "ed", "es", "s", "e")
_MIN_STEM = 4
# A sentence ends at . ! or ? (and any closing quote or bracket) followed by whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


@functools.lru_cache(maxsize=1 << 16)  # passages repeat the same words; stemming is pure
def stem(word: str) -> str:
    """`word` lower-cased, less one common suffix when at least four letters remain."""
    w = word.lower()
    for suffix in _SUFFIXES:
        if suffix == "s" and w.endswith("ss"):
            continue  # "process" is not the plural of "proces"
        if w.endswith(suffix) and len(w) - len(suffix) >= _MIN_STEM:
            return w[: -len(suffix)]
    return w


@functools.lru_cache(maxsize=1 << 10)  # a question's terms are asked for once per passage
def query_terms(question: str) -> tuple[str, ...]:
    """Stems of the question's words worth marking: two letters or more, not stop words."""
    words = _WORD.findall(question)
    return tuple(
        dict.fromkeys(stem(w) for w in words if len(w) > 1 and w.lower() not in STOP_WORDS)
    )


def matches(word_stem: str, term: str) -> bool:
    """Whether a passage word's stem answers a query term (a prefix, for terms long enough)."""
    return word_stem.startswith(term) if len(term) >= _MIN_STEM else word_stem == term


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _runs(numbers: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Runs of consecutive line numbers, as (first, last)."""
    for _, run in itertools.groupby(enumerate(numbers), lambda pair: pair[1] - pair[0]):
        lines = [n for _, n in run]
        yield lines[0], lines[-1]


def _line_units(md: MarkdownFile, part: Part) -> Iterator[tuple[int, int]]:
    """A table's rows one by one; a code block's fence lines, and its runs of code lines."""
    lines = range(part.start_line, part.end_line + 1)
    filled = [n for n in lines if md.lines[n - 1].strip()]
    if part.kind == "table":
        yield from ((n, n) for n in filled)
    else:
        yield from ((n, n) for n in sorted(part.markers))
        yield from _runs(n for n in filled if n not in part.markers)


# Parsing a passage costs about half a millisecond; the same passages answer many questions.
@functools.lru_cache(maxsize=1 << 12)
def _units(text: str, part: str | None) -> tuple[tuple[int, int], ...]:
    """Character spans of paragraphs (a list item or quote with its marker), headings, table
    rows and runs of code lines, as the Markdown model reads the passage; a piece of a long
    block is read as the kind of block it came from."""
    md = parse(text, inline=False)
    if part is None:
        parts, units = md.parts, list(md.paragraphs())
    else:
        kind: PartKind = "table" if part.startswith("table") else "code"
        parts, units = (Part(kind, 1, len(md.lines)),), []
    for p in parts:
        if p.kind == "heading":
            units.append((p.start_line, p.end_line))
        elif p.kind in ("code", "table"):
            units += _line_units(md, p)
    starts = list(itertools.accumulate((len(line) + 1 for line in md.lines), initial=0))
    return tuple((starts[a - 1], starts[b - 1] + len(md.lines[b - 1])) for a, b in sorted(units))


def sentence_spans(text: str, part: str | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences of a Markdown passage (or a piece of a long block, when
    `part` names it), in order, without outer spaces."""
    spans = []
    for start, end in _units(text, part):
        cut = start
        for m in _SENTENCE_END.finditer(text, start, end):
            spans.append(_strip(text, cut, m.start()))
            cut = m.end()
        spans.append(_strip(text, cut, end))
    return [(s, e) for s, e in spans if e > s]


@dataclass(frozen=True)
class _Words:
    """A passage's sentences, and where each word stem occurs in them: what `best_sentence`
    needs, the same for every question the passage answers."""

    spans: tuple[tuple[int, int], ...]  # each sentence's characters
    where: dict[str, tuple[tuple[int, int], ...]]  # stem -> (sentence, its words with the stem)
    stems: tuple[str, ...]  # the distinct stems, sorted: those a term starts are consecutive


@functools.lru_cache(maxsize=1 << 12)
def _words(text: str, part: str | None) -> _Words:
    spans = tuple(sentence_spans(text, part))
    counts: dict[str, dict[int, int]] = {}
    for i, (start, end) in enumerate(spans):
        for word in _WORD.findall(text, start, end):
            in_sentence = counts.setdefault(stem(word), {})
            in_sentence[i] = in_sentence.get(i, 0) + 1
    where = {s: tuple(n.items()) for s, n in counts.items()}
    return _Words(spans, where, tuple(sorted(counts)))


def _answering(words: _Words, term: str) -> list[str]:
    """The passage's stems that answer `term` (`matches`), found without a look at the rest."""
    if len(term) < _MIN_STEM:
        return [term] if term in words.where else []
    first = last = bisect.bisect_left(words.stems, term)
    while last < len(words.stems) and words.stems[last].startswith(term):
        last += 1
    return list(words.stems[first:last])


def best_sentence(text: str, question: str, part: str | None = None) -> str | None:
    """The sentence of `text` with the most distinct query terms (then most marked words, then
    the earliest); None when none has any. `part` is the passage's piece label, when it is a
    piece of a long block."""
    words = _words(text, part)
    found: dict[int, set[str]] = {}  # sentence -> the query terms its words answer
    answering: set[str] = set()
    for term in query_terms(question):
        for word_stem in _answering(words, term):
            answering.add(word_stem)
            for sentence, _ in words.where[word_stem]:
                found.setdefault(sentence, set()).add(term)
    if not found:
        return None
    marked = dict.fromkeys(found, 0)  # sentence -> its words that answer some term
    for word_stem in answering:
        for sentence, count in words.where[word_stem]:
            marked[sentence] += count
    best = min(found, key=lambda i: (-len(found[i]), -marked[i], i))
    start, end = words.spans[best]
    return text[start:end]


def prepare(text: str, part: str | None = None) -> None:
    """Parse a passage ahead of any question (what `best_sentence` then reads from its cache)."""
    _words(text, part)


PREPARED = _words.cache_info().maxsize or 0  # how many passages stay parsed

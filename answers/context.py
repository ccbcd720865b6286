"""The text around a passage: its section's chunks next to it, so a list or a table that the
chunker cut across passages is quoted whole, and each line's number in the file.

A chunk's text is its file's lines from `start_line` to `end_line`, except that a run of lines
the chunker left out (blank lines, images, HTML) shows as one blank line. When none was left
out, a line's number is counted; otherwise each line is found in the file itself, when the file
still holds what was indexed. Failing that, a number is counted from the start up to the chunk's
first blank line and back from the end after its last one, and unknown (None) in between, where
a unit cites the whole chunk rather than guess.
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ragnotes.answers.responses import Passage
from ragnotes.answers.units import Unit
from ragnotes.index.chunking import Chunk
from ragnotes.index.searcher import Searcher

REACH = 1  # chunks taken on each side of the passage, at most
_BY_FILE: weakref.WeakKeyDictionary[Searcher, dict[tuple[str, str], list[Chunk]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Context:
    """A passage with its section's neighbouring chunks: the text, each text line's number in
    the file (None when unknown), and the passage's own text lines (from 0, inclusive)."""

    text: str
    numbers: tuple[int | None, ...]
    span: tuple[int, int]

    def holds(self, unit: Unit) -> bool:
        """Whether a unit of `text` overlaps the passage's own lines."""
        return unit.pieces[0].first <= self.span[1] and unit.pieces[-1].last >= self.span[0]

    def file_lines(self, first: int, last: int) -> tuple[int, int]:
        """The file lines of text lines `first`..`last`; unknown ends widen to what is known."""
        known = [n for n in self.numbers if n is not None]
        a = next((n for n in self.numbers[first:] if n is not None), known[-1])
        b = next((n for n in reversed(self.numbers[: last + 1]) if n is not None), known[0])
        return min(a, b), max(a, b)


def line_numbers(text: str, start: int, end: int) -> list[int | None]:
    """Each line's number in the file for a chunk's text spanning `start`..`end`."""
    lines = text.split("\n")
    blanks = [j for j, line in enumerate(lines) if not line.strip()]
    if end - start + 1 == len(lines) or not blanks:
        return list(range(start, start + len(lines)))
    out: list[int | None] = []
    for j in range(len(lines)):
        if j < blanks[0]:
            out.append(start + j)
        elif j > blanks[-1]:
            out.append(end - (len(lines) - 1 - j))
        else:
            out.append(start if j == 0 else None)
    return out


@functools.lru_cache(maxsize=64)
def _file(path: str, sha256: str) -> tuple[str, ...] | None:
    """A file's lines, when it still holds what was indexed (else None)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
        return None
    return tuple(text.split("\n"))


def _aligned(text: str, start: int, end: int, lines: Sequence[str]) -> list[int | None] | None:
    """Each chunk line's number, found in the file's lines in order (blank lines: None); None
    when a line cannot be found (the chunker changed it beyond recognition)."""
    out: list[int | None] = []
    at = start
    for line in text.split("\n"):
        words = line.strip()
        if not words:
            out.append(None)
            continue
        last = min(end, len(lines))
        n = next((k for k in range(at, last + 1) if words in lines[k - 1]), None)
        if n is None:
            return None
        out.append(n)
        at = n + 1
    return out


def numbers_of(searcher: Searcher, chunk: Chunk) -> list[int | None]:
    """Each line's number in the file: counted when no line was left out, else found in the
    file itself when it is unchanged since the build, else as `line_numbers` infers them."""
    doc = searcher.docs.get((chunk.source, chunk.path))
    where = (doc.file, doc.sha256) if doc else ("", "")
    return list(_numbers(chunk.text, chunk.start_line, chunk.end_line, *where))


@functools.lru_cache(maxsize=1 << 12)  # the same chunks answer many questions
def _numbers(text: str, start: int, end: int, file: str, sha256: str) -> tuple[int | None, ...]:
    inferred = line_numbers(text, start, end)
    if end - start + 1 == len(inferred):
        return tuple(inferred)
    lines = _file(file, sha256) if file else None
    found = _aligned(text, start, end, lines) if lines else None
    return tuple(found or inferred)


def _file_chunks(searcher: Searcher, source: str, path: str) -> list[Chunk]:
    by_file = _BY_FILE.get(searcher)
    if by_file is None:
        by_file = {}
        for chunk in searcher.chunks:
            by_file.setdefault((chunk.source, chunk.path), []).append(chunk)
        _BY_FILE[searcher] = by_file
    return by_file.get((source, path), [])


def _neighbours(chunks: Sequence[Chunk], at: int) -> tuple[int, int]:
    """The run of chunks of the same section around chunk `at` (prose only, REACH a side)."""
    first = last = at
    here = chunks[at]

    def same(c: Chunk) -> bool:
        return c.heading == here.heading and c.part is None

    while first > max(0, at - REACH) and same(chunks[first - 1]):
        first -= 1
    while last < min(len(chunks) - 1, at + REACH) and same(chunks[last + 1]):
        last += 1
    return first, last


def around(searcher: Searcher, passage: Passage) -> Context:
    """The passage in its section's context (the passage alone when it is a piece of code or a
    table, or cannot be found)."""
    c = passage.citation
    chunks = _file_chunks(searcher, c.source, c.path)
    lines = (c.start_line, c.end_line)
    at = next((i for i, ch in enumerate(chunks) if (ch.start_line, ch.end_line) == lines), None)
    if at is None or passage.part is not None:
        alone = (
            numbers_of(searcher, chunks[at])
            if at is not None
            else line_numbers(passage.text, c.start_line, c.end_line)
        )
        return Context(passage.text, tuple(alone), (0, len(alone) - 1))
    first, last = _neighbours(chunks, at)
    texts: list[str] = []
    numbers: list[int | None] = []
    span = (0, 0)
    for i in range(first, last + 1):
        ch = chunks[i]
        if texts and ch.start_line > chunks[i - 1].end_line + 1:
            texts.append("")  # the file had lines between them: keep the blocks apart
            numbers.append(None)
        if i == at:
            span = (len(numbers), len(numbers) + ch.text.count("\n"))
        texts.append(ch.text)
        numbers += numbers_of(searcher, ch)
    return Context("\n".join(texts), tuple(numbers), span)

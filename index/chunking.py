"""Pack a document's sections into chunks that fit the embedding model's window.

The sections come from the corpus layer (corpus/sections.py `document_sections`), each line
with the plain words that are embedded; this module only packs them. The one thing it asks of
that layer on the way is `plain_text` of a piece of a line too long for the window, since the
plain words of a piece are not a piece of the line's plain words (a link may be cut in two).

Contract: a chunk never spans two sections; code blocks and tables are never cut unless one
alone exceeds the window, and then only at line boundaries, with `part` saying which piece it
is. `start_line`/`end_line` are the 1-based lines of the first and last text the chunk shows.
The embedded text is the heading breadcrumb, a newline and the body in plain words; its length
in word pieces (special tokens included) never exceeds `max_tokens`.

A chunk's id hashes where it is (source, path, breadcrumb) and what it says, so unchanged text
in an unchanged place keeps its id across rebuilds, whatever moved above it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ragnotes.corpus.sections import Block, DocumentSections, NumberedLine, Section, plain_text

# 7: lines are what the Markdown model (markdown-it-py) says they are; indented code is code.
# 8: Obsidian: a callout's title line starts a block of prose, its "[!type]" mark not indexed;
# wikilinks indexed as the text they show, comments, block ids and tag lines not at all; a note's
# aliases beside its title; tags on every chunk.
CHUNKER_VERSION = "8"
# Fill the model window: the best size on our eval set (eval/EXPERIMENTS.md).
DEFAULT_TARGET_TOKENS = 256
TokenCounter = Callable[[str], int]
_SPECIAL_TOKENS = 2  # [CLS] and [SEP]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
# A line longer than this many windows is cut by its own characters per token, one count per
# piece: growing a piece word by word costs a tokenizer call per word, minutes for a 1 MB line.
_LONG_LINE_WINDOWS = 8


@dataclass(frozen=True)
class Chunk:
    """One passage: what a reader sees, what the model embeds, and where it came from."""

    id: str
    source: str
    path: str
    title: str
    heading: str
    start_line: int
    end_line: int
    text: str
    embed_text: str
    part: str | None = None
    tags: tuple[str, ...] = ()  # the note's front-matter tags and inline #tags


@dataclass(frozen=True)
class _Unit:
    """An indivisible run of lines (or a piece of one long line) with its token count."""

    lines: tuple[NumberedLine, ...]
    words: str  # the plain words that are embedded
    tokens: int
    part: str | None = None


def _split_line(number: int, text: str, budget: int, count: TokenCounter) -> Iterator[_Unit]:
    """A line too long for the window, cut at sentence ends (or words when a sentence is huge)."""
    pieces = _SENTENCE_END.split(text)
    if len(pieces) == 1:
        pieces = text.split(" ")
    current: list[str] = []
    for piece in [*pieces, None]:
        candidate = " ".join([*current, piece]) if piece is not None else ""
        if piece is not None and (not current or count(plain_text(candidate)) <= budget):
            current.append(piece)
            continue
        body = " ".join(current)
        if count(plain_text(body)) > budget and len(current) == 1 and " " in body:
            half = body.split(" ")
            mid = len(half) // 2
            yield from _split_line(number, " ".join(half[:mid]), budget, count)
            yield from _split_line(number, " ".join(half[mid:]), budget, count)
        else:
            tokens = count(plain_text(body))
            if tokens <= budget:
                yield _Unit(((number, body),), plain_text(body), tokens)
            else:  # one word longer than the window (a blob with no spaces)
                yield from _cut_long_line(number, body, budget, count, tokens)
        current = [piece] if piece is not None else []


def _piece_end(text: str, start: int, end: int) -> int:
    """Where to end a piece of `text` starting at `start`: a sentence end or space before `end`."""
    if end >= len(text):
        return len(text)
    half = start + (end - start) // 2
    for mark in (". ", " "):
        cut = text.rfind(mark, half, end)
        if cut > start:
            return cut + len(mark) - 1
    return end


def _cut_long_line(
    number: int, text: str, budget: int, count: TokenCounter, tokens: int
) -> Iterator[_Unit]:
    """Pieces of a very long line sized from its characters per token, each counted once or twice."""
    step = max(int(budget * 0.9 * len(text) / max(tokens, 1)), 1)
    start = 0
    while start < len(text):
        end = _piece_end(text, start, start + step)
        piece_tokens = count(plain_text(text[start:end]))
        while piece_tokens > budget and end - start > 1:
            end = _piece_end(text, start, start + (end - start) * 3 // 4)
            piece_tokens = count(plain_text(text[start:end]))
        body = text[start:end].strip()
        if body:
            yield _Unit(((number, body),), plain_text(body), piece_tokens)
        start = end


def _block_units(block: Block, budget: int, count: TokenCounter) -> list[_Unit]:
    """Whole block when it fits; otherwise lines (prose) or labelled line-boundary pieces."""
    words = block.plain
    tokens = count(words)
    if tokens <= budget:
        return [_Unit(block.lines, words, tokens)]
    units: list[_Unit] = []
    lines = list(zip(block.lines, block.words, strict=True))
    if block.kind == "code":
        # Pieces carry code lines only: a fence line alone would make an empty passage.
        lines = [line for line in lines if line[0][0] not in block.markers]
    for (number, text), line_words in lines:
        line_tokens = count(line_words)
        if line_tokens <= budget:
            units.append(_Unit(((number, text),), line_words, line_tokens))
        elif line_tokens > _LONG_LINE_WINDOWS * budget:
            units.extend(_cut_long_line(number, text, budget, count, line_tokens))
        else:
            units.extend(_split_line(number, text, budget, count))
    if block.kind == "prose":
        return units
    return _label_pieces(block.kind, _pack(units, budget))


def _pack(units: list[_Unit], limit: int) -> list[_Unit]:
    """Greedily merge consecutive units while the sum stays within `limit`."""
    merged: list[_Unit] = []
    for unit in units:
        last = merged[-1] if merged else None
        if last is not None and last.tokens + unit.tokens <= limit:
            merged[-1] = _Unit(
                last.lines + unit.lines, f"{last.words}\n{unit.words}", last.tokens + unit.tokens
            )
        else:
            merged.append(unit)
    return merged


def _label_pieces(kind: str, pieces: list[_Unit]) -> list[_Unit]:
    name = "code block" if kind == "code" else "table"
    n = len(pieces)
    return [
        _Unit(p.lines, p.words, p.tokens, f"{name}, part {i} of {n}")
        for i, p in enumerate(pieces, 1)
    ]


def _section_chunks(
    section: Section, budget: int, target: int, count: TokenCounter
) -> Iterator[tuple[_Unit, str | None]]:
    """Units of one section packed up to `target`; labelled pieces always stand alone."""
    current: list[_Unit] = []
    for block in section.blocks:
        for unit in _block_units(block, budget, count):
            size = sum(u.tokens for u in current)
            if unit.part is not None or (current and size + unit.tokens > target):
                if current:
                    yield _merge(current), None
                current = []
            if unit.part is not None:
                yield unit, unit.part
            else:
                current.append(unit)
    if current:
        yield _merge(current), None


def _text(lines: tuple[NumberedLine, ...]) -> str:
    """What a reader sees: the lines, with a blank line wherever the file had lines between
    them (blank, or markup not shown), so a renderer still sees where each block ends."""
    out: list[str] = []
    for i, (number, text) in enumerate(lines):
        if i and number > lines[i - 1][0] + 1:
            out.append("")
        out.append(text)
    return "\n".join(out)


def _merge(units: list[_Unit]) -> _Unit:
    lines = tuple(line for u in units for line in u.lines)
    return _Unit(lines, "\n".join(u.words for u in units), sum(u.tokens for u in units))


def chunk_sections(
    doc: DocumentSections,
    count: TokenCounter,
    max_tokens: int,
    target_tokens: int = DEFAULT_TARGET_TOKENS,
) -> list[Chunk]:
    """Every chunk of one document, in file order."""
    chunks: list[Chunk] = []
    seen: Counter[tuple[str, str]] = Counter()
    for section in doc.sections:
        crumb = " > ".join(section.headings) or doc.title
        prefix = crumb if crumb.startswith(doc.title) else f"{doc.title} > {crumb}"
        if doc.aliases:  # a note's other names find it as its title does
            prefix = f"{doc.title} (also {', '.join(doc.aliases)}){prefix[len(doc.title) :]}"
        budget = max_tokens - _SPECIAL_TOKENS - count(prefix) - 1
        for unit, part in _section_chunks(section, budget, min(target_tokens, budget), count):
            if not unit.words.strip():
                continue  # only a bare link or markup: nothing to read or match but the heading
            text = _text(unit.lines)
            ordinal = seen[(crumb, text)]
            seen[(crumb, text)] += 1
            chunks.append(_chunk(doc, crumb, prefix, unit, part, text, ordinal))
    return chunks


def _chunk(
    doc: DocumentSections,
    crumb: str,
    prefix: str,
    unit: _Unit,
    part: str | None,
    text: str,
    ordinal: int,
) -> Chunk:
    key = "\0".join((doc.source, doc.path, crumb, text, str(ordinal)))
    return Chunk(
        id=hashlib.sha256(key.encode("utf-8")).hexdigest()[:16],
        source=doc.source,
        path=doc.path,
        title=doc.title,
        heading=crumb,
        start_line=unit.lines[0][0],
        end_line=unit.lines[-1][0],
        text=text,
        embed_text=f"{prefix}\n{unit.words}",
        part=part,
        tags=doc.tags,
    )

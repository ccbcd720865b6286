"""The units an answer is built from: sentences, lists, tables and callout bodies of a passage.

A passage is read by the one Markdown parser (corpus/markdown.py) and each block becomes units a
reader can quote: a paragraph's sentences, a list with its items, a table with its rows, and the
body of a callout (`> [!warning] title`) read as the paragraphs and lists it holds. Every unit is
plain text (no emphasis marks, backticks, link targets or table pipes) with the lines of the
passage it comes from, counted from 0. A list or table keeps the sentence just before it as its
lead ("What I use, roughly in order:"), which introduces it in an answer.

`grounded` is the check an answer is held to: each sentence, list item and table cell of a unit
must appear, as plain text, in the passage it cites.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from markdown_it.token import Token

from ragnotes.answers.boilerplate import about_the_document, caption, link_only
from ragnotes.answers.sentences import Sentence, split, words
from ragnotes.corpus.markdown import parser, plain_lines

UnitKind = Literal["sentence", "list", "table"]


@dataclass(frozen=True)
class Piece:
    """A sentence, a list item or a table row: plain text and its lines in the passage."""

    text: str
    first: int
    last: int
    cells: tuple[str, ...] = ()  # a table row's cells
    dependent: bool = False  # a sentence that only makes sense after the one before it
    number: int = 0  # a numbered list item's number
    boiler: bool = False  # about the document, not its subject (answers/boilerplate.py)


@dataclass(frozen=True)
class Unit:
    """A sentence, or a whole list or table, as an answer may quote it."""

    kind: UnitKind
    pieces: tuple[Piece, ...]
    index: int  # order in the passage
    lead: Piece | None = None  # the sentence introducing a list or table
    header: tuple[str, ...] = ()  # a table's column names
    ordered: bool = False  # a numbered list
    first: int | None = None  # a table's first line (its header), when it has one


def _siblings(tokens: Sequence[Token]) -> Iterator[tuple[Token, ...]]:
    """The blocks of a token run at one level, each from its opening token to its closing one."""
    i = 0
    while i < len(tokens):
        depth, j = 0, i
        while j < len(tokens):
            depth += tokens[j].nesting
            if depth <= 0:
                break
            j += 1
        yield tuple(tokens[i : j + 1])
        i = j + 1


def _text(inline: Token) -> str:
    return " ".join(" ".join(plain_lines(inline)).split())


def _sentences(block: Sequence[Token]) -> list[Sentence]:
    inline = block[1]
    first = inline.map[0] if inline.map else (block[0].map or [0])[0]
    return split(plain_lines(inline), first)


def _items(block: Sequence[Token]) -> list[Piece]:
    """A list's items, nested ones too, in order: each with its own paragraphs (not its nested
    items'), numbered when it is an item of a numbered list's top level."""
    level = block[0].level
    number = int(block[0].attrs.get("start", 1) or 1) if block[0].type == "ordered_list_open" else 0
    pieces = []
    for i, token in enumerate(block):
        if token.type != "list_item_open":
            continue
        own = []
        for inner in block[i + 1 :]:
            if inner.type == "list_item_close" and inner.level == token.level:
                break
            if inner.type == "inline" and inner.level == token.level + 2:
                own.append(inner)
        first, last = token.map or (0, 1)
        last = max((i.map[1] for i in own if i.map), default=last)  # not the blank line after
        text = " ".join(t for t in map(_text, own) if t)
        top = token.level == level + 1
        if text:
            boiler = link_only(own) or about_the_document(text)
            shown = number if top else 0
            pieces.append(Piece(text, first, last - 1, number=shown, boiler=boiler))
        number += 1 if number and top else 0
    return pieces


def _rows(block: Sequence[Token]) -> tuple[tuple[str, ...], list[Piece]]:
    """A table's header and its rows, each row read as "column: cell; column: cell"."""
    header: list[str] = []
    rows: list[Piece] = []
    cells: list[str] = []
    for token in block:
        if token.type == "tr_open":
            cells, row_map = [], token.map
        elif token.type == "inline":
            cells.append(_text(token))
        elif token.type == "tr_close":
            if not header:
                header = cells
                continue
            named = "; ".join(
                f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=False) if c
            )
            first = (row_map or block[0].map or [0])[0]
            rows.append(Piece(named, first, first, tuple(cells)))
    return tuple(header), rows


@dataclass
class _Reader:
    """Units in reading order; the last sentence read, to lead a list or table after it."""

    units: list[Unit]
    lead: Piece | None = None

    def add(
        self,
        kind: UnitKind,
        pieces: Sequence[Piece],
        header: tuple[str, ...] = (),
        ordered: bool = False,
        first: int | None = None,
    ) -> None:
        lead = self.lead if kind != "sentence" else None
        unit = Unit(kind, tuple(pieces), len(self.units), lead, header, ordered, first)
        self.units.append(unit)

    def paragraph(self, block: Sequence[Token]) -> None:
        if all(line.lstrip().startswith("|") for line in block[1].content.split("\n")):
            self.lead = None
            return  # rows of a table whose header is elsewhere: no sentence to read
        found = _sentences(block)
        captioned = caption(block[1])
        for s in found:
            if not s.text.rstrip().endswith(":"):
                boiler = captioned or about_the_document(s.text)
                piece = Piece(s.text, s.first, s.last, dependent=s.dependent, boiler=boiler)
                self.add("sentence", [piece])
        last = found[-1] if found else None
        self.lead = Piece(last.text, last.first, last.last) if last else None

    def read(self, tokens: Sequence[Token]) -> None:
        for block in _siblings(tokens):
            head = block[0]
            if head.type == "paragraph_open":
                self.paragraph(block)
                continue
            if head.type in ("bullet_list_open", "ordered_list_open"):
                ordered = head.type == "ordered_list_open"
                self.add("list", _items(block), ordered=ordered)
            elif head.type == "table_open":
                header, rows = _rows(block)
                first = head.map[0] if head.map else None
                self.add("table", rows, header=header, first=first)
            elif head.type == "blockquote_open" and _is_callout(block):
                self.read(block[1:-1])
            self.lead = None


def _is_callout(block: Sequence[Token]) -> bool:
    """A quote the Markdown model reads as an Obsidian callout (its title line already apart)."""
    return bool(block[0].meta.get("callout"))


@functools.lru_cache(maxsize=1 << 12)  # the same passages answer many questions
def _read(text: str) -> tuple[tuple[Unit, ...], str]:
    """A passage parsed once: its units, and its words as plain text with a space either side."""
    tokens = parser().parse(text)
    reader = _Reader([])
    reader.read(tokens)
    words = " ".join(_text(t) for t in tokens if t.type == "inline")
    return tuple(u for u in reader.units if u.pieces), f" {words} "


def units(text: str) -> tuple[Unit, ...]:
    """The units of a Markdown passage, in reading order (headings, code and plain quotes give
    none: a quote is someone else's words, a callout is the note's own)."""
    return _read(text)[0]


def plain(text: str) -> str:
    """Markdown's words as plain text, white space collapsed, with a space before and after."""
    return _read(text)[1]


def grounded(unit: Unit, passage: str) -> bool:
    """Whether every sentence, item and cell of `unit` appears in `passage` as plain text."""
    body = plain(passage)
    texts = (
        [*unit.header, *(c for p in unit.pieces for c in p.cells)] if unit.kind == "table" else []
    )
    texts += [p.text for p in unit.pieces] if unit.kind != "table" else []
    texts += [unit.lead.text] if unit.lead else []
    return all(" ".join(t.split()) in body for t in texts if t)


def short(piece: Piece) -> bool:
    """A piece too short to quote alone (a bare name or a fragment)."""
    return words(piece.text) < 3

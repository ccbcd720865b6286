"""The Markdown model: text parsed once, by markdown-it-py, into typed top-level blocks.

Each block has a kind and its exact 1-based line span in the file (front matter counts), taken
from markdown-it-py's line maps, and keeps its tokens for whoever renders it. Raw HTML is never
parsed as HTML (`html` is off), so whatever a note holds can only ever be shown as text. The
page's renderer and the note view read this model; the chunker (corpus/markdown.py) is to move
onto it too (issue #15), so that every part agrees on what a line is.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from corpus.markdown import front_matter

BlockKind = Literal["front", "heading", "paragraph", "list", "table", "code", "quote", "rule"]
_KINDS: dict[str, BlockKind] = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "fence": "code",
    "code_block": "code",
    "blockquote_open": "quote",
    "hr": "rule",
}


@dataclass(frozen=True)
class MdBlock:
    """One top-level block: its kind, its lines (1-based, inclusive) and its tokens.

    Token maps are in file lines (front matter counted); front matter has no tokens.
    """

    kind: BlockKind
    start_line: int
    end_line: int
    tokens: tuple[Token, ...]


@functools.cache
def parser() -> MarkdownIt:
    """CommonMark plus tables and strikethrough; raw HTML stays text, unsafe link schemes are dropped."""
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _close(tokens: Sequence[Token], start: int) -> int:
    """Index of the token that closes the one opened at `start` (itself when it opens nothing)."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth <= 0:
            return i
    return len(tokens) - 1


def parse_blocks(text: str) -> tuple[MdBlock, ...]:
    """The top-level blocks of a Markdown file, in order, front matter first when there is any."""
    lines = text.split("\n")
    skip = front_matter(lines)[0]
    blocks = [MdBlock("front", 1, skip, ())] if skip else []
    tokens = parser().parse("\n".join(lines[skip:]))
    for token in tokens:
        if token.map is not None:
            token.map = [token.map[0] + skip, token.map[1] + skip]
    i = 0
    while i < len(tokens):
        end = _close(tokens, i)
        head = tokens[i]
        kind = _KINDS.get(head.type)
        if kind is not None and head.map is not None:
            first, last = head.map[0] + 1, head.map[1]
            while last > first and not lines[last - 1].strip():
                last -= 1  # a list's map runs over the blank line that ends it
            blocks.append(MdBlock(kind, first, last, tuple(tokens[i : end + 1])))
        i = end + 1
    return tuple(blocks)

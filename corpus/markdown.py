"""The Markdown model: a file parsed once, by markdown-it-py, into blocks and parts with line spans.

Every reader of Markdown asks this model what a line is: the chunker's sections
(corpus/sections.py), the page's renderer and the note view (service/render.py), the answer
sentences (answers/sentences.py) and the highlighter (answers/highlight.py). Spans are 1-based
and inclusive, in lines of the whole file (front matter counts), taken from markdown-it-py's line
maps. Raw HTML is never parsed as HTML (`html` is off), so whatever a note holds can only ever be
shown as text; leaving HTML out of what is indexed is the sections' business.

`blocks` are the top-level blocks with their tokens, for whoever renders them. `parts` say what
each line is: front matter, a heading, prose (paragraphs, list items and quotes, one part per
run of lines without a blank line), a callout's title line, a code block, a table or a rule;
code, tables and headings nested in a list or a quote are parts of their own, as they are to the
renderer. `callouts` are the Obsidian callouts: a quote whose first line is "[!type] Title".
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ragnotes.corpus.obsidian import (
    Callout,
    callouts,
    front_matter,
    hide_marks,
    inline_tags,
    wikilink,
)

BlockKind = Literal[
    "front", "heading", "paragraph", "list", "table", "code", "quote", "callout", "rule"
]
PartKind = Literal["front", "heading", "prose", "callout", "code", "table", "rule"]
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
_PART_OF: dict[BlockKind, PartKind] = {
    "front": "front",
    "heading": "heading",
    "paragraph": "prose",
    "list": "prose",
    "quote": "prose",
    "callout": "prose",
    "table": "table",
    "code": "code",
    "rule": "rule",
}
_PROSE_KINDS = ("paragraph", "list", "quote", "callout")


@dataclass(frozen=True)
class MdBlock:
    """One top-level block: its kind, its lines (1-based, inclusive) and its tokens.

    Token maps are in file lines (front matter counted); front matter has no tokens.
    """

    kind: BlockKind
    start_line: int
    end_line: int
    tokens: tuple[Token, ...]


@dataclass(frozen=True)
class Part:
    """Lines that are one thing: a heading (with its level and inline text), a run of prose,
    a whole code block or table, a rule, or the front matter."""

    kind: PartKind
    start_line: int
    end_line: int
    level: int = 0
    text: str = ""
    markers: frozenset[int] = frozenset()  # a fenced code block's fence lines


@dataclass(frozen=True)
class MarkdownFile:
    """A parsed file: its lines (Obsidian comments blanked), its title and aliases from the front
    matter, its tags (the front matter's, then inline #tags), its top-level blocks and parts."""

    lines: tuple[str, ...]
    title: str | None
    tags: tuple[str, ...]
    blocks: tuple[MdBlock, ...]
    parts: tuple[Part, ...]
    aliases: tuple[str, ...] = ()

    @property
    def callouts(self) -> tuple[Callout, ...]:
        """Every callout, also inside lists and other quotes, in file order."""
        return tuple(
            Callout(t.info, t.content, t.meta["fold"], t.map[0] + 1, t.meta["end"])
            for b in self.blocks
            for t in b.tokens
            if t.type == "callout_title_open" and t.map is not None
        )

    def paragraphs(self) -> Iterator[tuple[int, int]]:
        """The first and last line of each paragraph, also inside list items and quotes."""
        for block in self.blocks:
            for token in block.tokens:
                if token.type == "paragraph_open" and token.map is not None:
                    yield token.map[0] + 1, token.map[1]

    def numbered(self, part: Part) -> tuple[tuple[int, str], ...]:
        """The part's lines with their 1-based numbers."""
        return tuple((n, self.lines[n - 1]) for n in range(part.start_line, part.end_line + 1))


@functools.cache
def parser(inline: bool = True) -> MarkdownIt:
    """CommonMark plus tables, strikethrough and Obsidian callouts; raw HTML stays text, unsafe
    link schemes are dropped.

    Without `inline`, paragraphs and headings keep their source text but are not parsed into
    links and emphasis: the same blocks and line maps, in a third of the time.
    """
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.core.ruler.after("block", "callout", callouts)
    md.inline.ruler.before("link", "wikilink", wikilink)
    return md if inline else md.disable("inline")


def _close(tokens: Sequence[Token], start: int) -> int:
    """Index of the token that closes the one opened at `start` (itself when it opens nothing)."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth <= 0:
            return i
    return len(tokens) - 1


def _blocks(lines: Sequence[str], skip: int, inline: bool) -> list[MdBlock]:
    """The top-level blocks after the first `skip` lines, with maps moved to file lines."""
    tokens = parser(inline).parse("\n".join(lines[skip:]))
    for token in tokens:
        if token.map is not None:
            token.map = [token.map[0] + skip, token.map[1] + skip]
    blocks = []
    i = 0
    while i < len(tokens):
        end = _close(tokens, i)
        head = tokens[i]
        kind = "callout" if head.meta.get("callout") else _KINDS.get(head.type)
        if kind is not None and head.map is not None:
            first, last = head.map[0] + 1, head.map[1]
            while last > first and not lines[last - 1].strip():
                last -= 1  # a list's map runs over the blank line that ends it
            blocks.append(MdBlock(kind, first, last, tuple(tokens[i : end + 1])))
        i = end + 1
    return blocks


def _heading(tokens: Sequence[Token], i: int, first: int, last: int) -> Part:
    inline = tokens[i + 1] if i + 1 < len(tokens) else None
    text = inline.content if inline is not None and inline.type == "inline" else ""
    # a setext heading's text may wrap; a breadcrumb is one line
    return Part("heading", first, last, int(tokens[i].tag[1:]), text.replace("\n", " "))


def _code(token: Token, first: int, last: int) -> Part:
    """A code block, with its fence lines when it is fenced (an unclosed fence has one)."""
    if token.type != "fence":
        return Part("code", first, last)
    body_end = first + token.content.count("\n")
    return Part("code", first, last, markers=frozenset({first, *range(body_end + 1, last + 1)}))


def _nested(block: MdBlock) -> list[Part]:
    """Headings, code, tables, rules and callout titles inside a list or a quote, each a part of
    its own."""
    parts = []
    for i, token in enumerate(block.tokens):
        if token.type == "callout_title_open" and token.map is not None:
            parts.append(Part("callout", token.map[0] + 1, token.map[0] + 1, text=token.content))
            continue
        kind = _KINDS.get(token.type)
        if kind is None or kind in _PROSE_KINDS or token.map is None:
            continue
        first, last = token.map[0] + 1, min(token.map[1], block.end_line)
        if kind == "heading":
            parts.append(_heading(block.tokens, i, first, last))
        elif kind == "code":
            parts.append(_code(token, first, last))
        else:
            parts.append(Part(_PART_OF[kind], first, last))
    return parts


def _prose(lines: Sequence[str], block: MdBlock, inner: list[Part]) -> list[Part]:
    """A prose block's runs of non-blank lines that no nested part holds, and the nested parts."""
    taken = {n for p in inner for n in range(p.start_line, p.end_line + 1)}
    parts, run = list(inner), []
    for n in range(block.start_line, block.end_line + 2):
        if n <= block.end_line and n not in taken and lines[n - 1].strip():
            run.append(n)
        elif run:
            parts.append(Part("prose", run[0], run[-1]))
            run = []
    return sorted(parts, key=lambda p: p.start_line)


def _parts(lines: Sequence[str], blocks: Sequence[MdBlock]) -> list[Part]:
    parts: list[Part] = []
    for block in blocks:
        if block.kind in _PROSE_KINDS:
            parts += _prose(lines, block, _nested(block))
        elif block.kind == "heading":
            parts.append(_heading(block.tokens, 0, block.start_line, block.end_line))
        elif block.kind == "code":
            parts.append(_code(block.tokens[0], block.start_line, block.end_line))
        else:
            parts.append(Part(_PART_OF[block.kind], block.start_line, block.end_line))
    merged: list[Part] = []
    for part in parts:  # a list right under a paragraph continues its run of prose
        last = merged[-1] if merged else None
        if last and last.kind == part.kind == "prose" and part.start_line == last.end_line + 1:
            merged[-1] = Part("prose", last.start_line, part.end_line)
        else:
            merged.append(part)
    return merged


def parse(text: str, *, inline: bool = True, note: bool = False) -> MarkdownFile:
    """Parse a whole file once; `text.split("\\n")` numbers its lines from 1.

    Readers that only ask what each line is (sections, the highlighter) pass `inline=False`;
    readers of a whole note (sections, the note view) pass `note=True`.
    """
    lines = text.split("\n")
    front = front_matter(lines)
    blocks = _blocks(lines, front.lines, inline)
    # A note's Obsidian comments and block ids, outside code, are hidden; in a README or a
    # passage (whose text is already what the note shows) "%%" and "^" are only text.
    if note and ("%%" in text or "^" in text):
        shown = hide_marks(lines, _code_lines(blocks))
        if shown != lines:
            lines, blocks = shown, _blocks(shown, front.lines, inline)
    if front.lines:
        blocks.insert(0, MdBlock("front", 1, front.lines, ()))
    parts = tuple(_parts(lines, blocks))
    spans = ((p.kind, p.start_line, p.end_line) for p in parts)
    tags = tuple(dict.fromkeys([*front.tags, *inline_tags(lines, spans)]))
    return MarkdownFile(tuple(lines), front.title, tags, tuple(blocks), parts, front.aliases)


def _code_lines(blocks: Sequence[MdBlock]) -> set[int]:
    """The 0-based numbers of lines inside code blocks, also nested ones."""
    return {
        n
        for b in blocks
        for t in b.tokens
        if t.type in ("fence", "code_block") and t.map is not None
        for n in range(t.map[0], t.map[1])
    }


def parse_blocks(text: str, note: bool = False) -> tuple[MdBlock, ...]:
    """The top-level blocks of a Markdown file, in order, front matter first when there is any."""
    return parse(text, note=note).blocks


def plain_lines(inline: Token) -> list[str]:
    """An inline token's text as a reader sees it, one string per source line: link text kept,
    emphasis marks, code backticks, link targets, images, embeds and raw HTML left out."""
    lines = [""]
    for child in inline.children or ():
        if child.type in ("softbreak", "hardbreak"):
            lines.append("")
        elif child.type in ("text", "text_special", "code_inline"):
            lines[-1] += child.content
        elif child.type == "wikilink" and not child.meta["link"].embed:
            lines[-1] += child.content  # the text Obsidian shows for it
    return lines

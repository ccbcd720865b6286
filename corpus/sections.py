"""A Markdown file as heading sections of blocks, with exact 1-based line numbers.

What each line is comes from the Markdown model (corpus/markdown.py): front matter is read for
its title and tags and never indexed; code blocks and tables are kept whole as single blocks;
each run of prose lines is one block. From prose, raw HTML, HTML comments, images and badges
are dropped; the text that is left keeps the line it came from, so citations point at real lines.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ragnotes.corpus.markdown import MarkdownFile, Part, PartKind, parse
from ragnotes.corpus.obsidian import link_words, tags_only

NumberedLine = tuple[int, str]

# Bracket text excludes "[" so each "[" scans only to the next bracket: linear on any line.
_BADGE = re.compile(r"\[!\[[^\[\]]*\]\([^)]*\)\]\([^)]*\)")
_IMAGE = re.compile(r"!\[[^\[\]]*\](\([^)]*\)|\[[^\[\]]*\])")
_COMMENT = re.compile(r"<!--.*?-->")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# On long lines the link text excludes "[": the same for plain links, and linear however many
# unmatched "[" a line holds (with _LINK each one scans to the next "]", quadratic in all).
_LINK_LINEAR = re.compile(r"\[([^\[\]]*)\]\([^)]*\)")
_LINEAR_FROM = 500
_URL = re.compile(r"<?https?://[^\s)>]+>?")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`+)")
_SHORTCODE = re.compile(r"(?<!\S):[a-z0-9_+-]+:(?!\S)")
# Quote markers nested deeper than any real note; alone they would fill the model window.
_DEEP_QUOTE = re.compile(r"^(?:[ \t]*>){9,}")
# A callout's title line ("> [!tip]- Title"): the type is kept as a word, the marks dropped.
_CALLOUT_MARK = re.compile(r"^[ \t]*(?:>[ \t]*)+\[!([A-Za-z][\w-]*)\][+-]?[ \t]*")


@dataclass(frozen=True)
class Block:
    """A run of prose lines (as indexed text), a whole code block, or a whole table."""

    kind: PartKind  # "prose", "code" or "table"
    lines: tuple[NumberedLine, ...]
    markers: frozenset[int] = frozenset()  # a fenced code block's fence lines


@dataclass(frozen=True)
class Section:
    """The blocks under one heading; `headings` is the breadcrumb from the top level down."""

    headings: tuple[str, ...]
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ParsedMarkdown:
    title: str | None
    tags: tuple[str, ...]
    sections: tuple[Section, ...]
    aliases: tuple[str, ...] = ()


def plain_text(markdown: str) -> str:
    """Inline Markdown reduced to words: link text kept, URLs and emphasis marks dropped."""
    link = _LINK if len(markdown) < _LINEAR_FROM else _LINK_LINEAR
    text = _CALLOUT_MARK.sub(lambda m: m.group(1).capitalize() + ": ", markdown, count=1)
    text = link_words(text)
    text = link.sub(r"\1", _DEEP_QUOTE.sub("", text))
    text = _URL.sub("", text)
    text = _SHORTCODE.sub("", text)
    return _EMPHASIS.sub("", text).strip()


def clean_prose_line(line: str) -> str:
    """A prose line without images, badges, HTML tags or comments ("" when nothing is left)."""
    closed = line.rfind("-->") + 3
    if closed > 2:  # no comment can start after the last "-->"; scanning there would be quadratic
        line = _COMMENT.sub("", line[:closed]) + line[closed:]
    line = _BADGE.sub("", line)
    line = _IMAGE.sub("", line)
    line = _TAG.sub("", line)
    return html.unescape(line).rstrip()


@dataclass
class _Builder:
    """Mutable state while walking the parts once; produces immutable sections."""

    stack: list[tuple[int, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    para: list[NumberedLine] = field(default_factory=list)
    first_h1: str | None = None

    def flush_para(self) -> None:
        if self.para:
            self.blocks.append(Block("prose", tuple(self.para)))
            self.para = []

    def add_block(self, block: Block) -> None:
        self.flush_para()
        self.blocks.append(block)

    def heading(self, level: int, text: str) -> None:
        self.flush_para()
        self.flush_section()
        title = plain_text(clean_prose_line(text)) or text.strip()
        if level == 1 and self.first_h1 is None:
            self.first_h1 = title
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title))

    def flush_section(self) -> None:
        self.flush_para()
        if self.blocks:
            crumbs = tuple(t for _, t in self.stack)
            self.sections.append(Section(crumbs, tuple(self.blocks)))
            self.blocks = []


def _prose_lines(
    md: MarkdownFile, part: Part, in_comment: bool, tag_lines: bool = False
) -> tuple[list[NumberedLine], bool]:
    """A prose part's lines as indexed text (lines of #tags alone left out unless `tag_lines`),
    and whether an HTML comment is still open after it."""
    kept: list[NumberedLine] = []
    for number, line in md.numbered(part):
        if in_comment:
            in_comment = "-->" not in line
            continue
        if "<!--" in line and "-->" not in line.split("<!--", 1)[1]:
            line, in_comment = line.split("<!--", 1)[0], True
        cleaned = clean_prose_line(line)
        if cleaned.strip() and (tag_lines or not tags_only(cleaned)):
            kept.append((number, cleaned))
    return kept, in_comment


def parse_markdown(text: str, note: bool = True) -> ParsedMarkdown:
    """Parse a whole file into sections; line numbers are 1-based positions in `text`.

    In a note (`note`), a line of #tags alone is the note's tags, not prose; in a README, where
    a hash is no tag, it stays text, and the file has no tags.

    An HTML comment hides all it holds, blank lines and whole blocks included, so the prose
    around it stays one block.
    """
    md = parse(text, inline=False, note=note)
    b = _Builder()
    in_comment = False
    previous: str | None = None
    for part in md.parts:
        if in_comment and part.kind != "prose":
            in_comment = not any("-->" in line for _, line in md.numbered(part))
        elif part.kind == "heading":
            b.heading(part.level, part.text)
        elif part.kind in ("code", "table"):
            b.add_block(Block(part.kind, md.numbered(part), part.markers))
        elif part.kind in ("prose", "callout"):
            if not in_comment and previous != "callout":
                b.flush_para()  # a callout's body goes on from its title line
            kept, in_comment = _prose_lines(md, part, in_comment, tag_lines=not note)
            b.para += kept
        else:
            b.flush_para()
        previous = part.kind
    b.flush_section()
    tags = md.tags if note else ()
    return ParsedMarkdown(md.title or b.first_h1, tags, tuple(b.sections), md.aliases)

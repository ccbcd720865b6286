"""Split a Markdown file into heading sections of blocks, with exact 1-based line numbers.

Front matter is read for its title and tags and never indexed. Fenced code blocks and tables
are kept whole as single blocks. Raw HTML, HTML comments, images and badges are dropped from
prose; the text that is left keeps the line it came from, so citations point at real lines.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["prose", "code", "table"]
NumberedLine = tuple[int, str]

# The opening only; the closing #s are stripped in code, because a regex for them backtracks
# quadratically on a long run of spaces.
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_DELIM = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")
_THEMATIC = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
# Bracket text excludes "[" so each "[" scans only to the next bracket: linear on any line.
_BADGE = re.compile(r"\[!\[[^\[\]]*\]\([^)]*\)\]\([^)]*\)")
_IMAGE = re.compile(r"!\[[^\[\]]*\](\([^)]*\)|\[[^\[\]]*\])")
_COMMENT = re.compile(r"<!--.*?-->")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
_LINK_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+")
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


@dataclass(frozen=True)
class Block:
    """A paragraph or list (prose), a fenced code block, or a table."""

    kind: BlockKind
    lines: tuple[NumberedLine, ...]


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


def plain_text(markdown: str) -> str:
    """Inline Markdown reduced to words: link text kept, URLs and emphasis marks dropped."""
    link = _LINK if len(markdown) < _LINEAR_FROM else _LINK_LINEAR
    text = link.sub(r"\1", _DEEP_QUOTE.sub("", markdown))
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


def front_matter(lines: list[str]) -> tuple[int, str | None, tuple[str, ...]]:
    """Lines taken by YAML front matter, and its title and tags (a small, forgiving reader)."""
    if not lines or lines[0].strip() != "---":
        return 0, None, ()
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return 0, None, ()
    title, tags = None, []
    for line in lines[1:end]:
        key, _, value = line.partition(":")
        value = value.strip().strip("'\"")
        if key.strip() == "title" and value:
            title = value
        elif key.strip() == "tags" and value:
            tags = [t.strip().strip("'\"") for t in value.strip("[]").split(",") if t.strip()]
        elif line.lstrip().startswith("- ") and key.strip() != "title":
            tags.append(line.strip()[2:].strip("'\""))
    return end + 1, title, tuple(tags)


@dataclass
class _Builder:
    """Mutable state while walking the lines once; produces immutable sections."""

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


def _atx_text(rest: str) -> str:
    """An ATX heading's text without its optional closing run of #s."""
    rest = rest.rstrip(" \t")
    body = rest.rstrip("#")
    if body != rest and body[-1:] in (" ", "\t"):
        return body.rstrip(" \t")
    return rest


def _table_end(lines: list[str], start: int) -> int:
    end = start + 2
    while end < len(lines) and lines[end].strip() and "|" in lines[end]:
        end += 1
    return end


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index one past the closing fence (or the end of the file if it never closes)."""
    for i in range(start + 1, len(lines)):
        match = _FENCE.match(lines[i])
        closes = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
        if closes and not lines[i].strip().strip(fence[0]):
            return i + 1
    return len(lines)


def parse_markdown(text: str) -> ParsedMarkdown:
    """Parse a whole file into sections; line numbers are 1-based positions in `text`."""
    lines = text.split("\n")
    i, title, tags = front_matter(lines)
    b = _Builder()
    in_comment = False
    while i < len(lines):
        line = lines[i]
        if in_comment:
            in_comment = "-->" not in line
            i += 1
            continue
        if (fence := _FENCE.match(line)) is not None:
            end = _fence_end(lines, i, fence.group(1))
            b.add_block(Block("code", tuple((n + 1, lines[n]) for n in range(i, end))))
            i = end
            continue
        if (atx := _ATX.match(line)) is not None:
            b.heading(len(atx.group(1)), _atx_text(line[atx.end() :]))
            i += 1
            continue
        if (
            _SETEXT.match(line)
            and len(b.para) == 1
            and not b.para[0][1].lstrip().startswith(("-", "*", "+"))
        ):
            _number, heading = b.para.pop()
            b.heading(1 if line.strip().startswith("=") else 2, heading)
            i += 1
            continue
        if (
            "|" in line
            and i + 1 < len(lines)
            and _TABLE_DELIM.match(lines[i + 1])
            and "-" in lines[i + 1]
        ):
            end = _table_end(lines, i)
            b.add_block(Block("table", tuple((n + 1, lines[n]) for n in range(i, end))))
            i = end
            continue
        stripped = line.strip()
        if not stripped or _THEMATIC.match(line):
            b.flush_para()
        elif "<!--" in line and "-->" not in line.split("<!--", 1)[1]:
            kept = clean_prose_line(line.split("<!--", 1)[0])
            if kept.strip():
                b.para.append((i + 1, kept))
            in_comment = True
        elif not _LINK_DEF.match(line):
            cleaned = clean_prose_line(line)
            if cleaned.strip():
                b.para.append((i + 1, cleaned))
        i += 1
    b.flush_section()
    return ParsedMarkdown(title or b.first_h1, tags, tuple(b.sections))

"""A Markdown file as heading sections of blocks, with exact 1-based line numbers.

What each line is comes from the Markdown model (corpus/markdown.py): front matter is read for
its title and tags and never indexed; code blocks and tables are kept whole as single blocks;
each run of prose lines is one block. From prose, raw HTML, HTML comments, images and badges
are dropped; the text that is left keeps the line it came from, so citations point at real lines.

`document_sections` is the build's one call into this layer: a document's title, aliases, tags
and sections (a table of contents left out), each line with the plain words that are embedded,
ready for the chunker (index/chunking.py) to pack.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ragnotes.corpus.documents import NOTES_SOURCE, Document
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
_TOC_HEADING = re.compile(r"^\W*(table of contents|contents|toc)\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """A run of prose lines (as indexed text), a whole code block, or a whole table.

    `words` holds each line's plain words, as embedded: a prose line's `plain_text` ("" when
    only markup was there), a code or table line as it is. `plain` is the block's, a line each,
    a prose line with no words left out. Both are worked out once, here, so the chunker only
    reads them.
    """

    kind: PartKind  # "prose", "code" or "table"
    lines: tuple[NumberedLine, ...]
    words: tuple[str, ...]
    plain: str
    markers: frozenset[int] = frozenset()  # a fenced code block's fence lines

    @classmethod
    def of(
        cls, kind: PartKind, lines: tuple[NumberedLine, ...], markers: frozenset[int] = frozenset()
    ) -> Block:
        """The block of these lines, with their plain words."""
        if kind == "prose":
            words = tuple(plain_text(text) for _, text in lines)
            return cls(kind, lines, words, "\n".join(w for w in words if w), markers)
        words = tuple(text for _, text in lines)
        return cls(kind, lines, words, "\n".join(words), markers)


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


@dataclass(frozen=True)
class DocumentSections:
    """One document as the chunker packs it: where it is, its title (never empty), aliases and
    tags, and its sections in file order, a table of contents left out."""

    source: str
    path: str
    title: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    sections: tuple[Section, ...]


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
            self.blocks.append(Block.of("prose", tuple(self.para)))
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
            b.add_block(Block.of(part.kind, md.numbered(part), part.markers))
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


def is_toc_heading(heading: str) -> bool:
    """Whether a section under this heading is a table of contents (never indexed)."""
    return _TOC_HEADING.match(heading) is not None


def document_title(doc: Document, parsed_title: str | None) -> str:
    """Front matter title, else the first H1, else a name derived from the path."""
    if parsed_title:
        return parsed_title
    stem = doc.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if doc.source == NOTES_SOURCE:
        name = stem.replace("-", " ").replace("_", " ").strip()
        return name[:1].upper() + name[1:]  # an Obsidian note's name is its title, as written
    return doc.source if stem.lower() == "readme" else f"{doc.source}: {doc.path}"


def document_sections(doc: Document) -> DocumentSections:
    """A document's sections as the chunker packs them: a table of contents repeats the
    headings as links and answers nothing, so it is left out."""
    parsed = parse_markdown(doc.text, note=doc.source == NOTES_SOURCE)
    kept = tuple(s for s in parsed.sections if not (s.headings and is_toc_heading(s.headings[-1])))
    title = document_title(doc, parsed.title)
    return DocumentSections(doc.source, doc.path, title, parsed.aliases, parsed.tags, kept)

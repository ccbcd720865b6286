"""Obsidian's Markdown, as the Markdown model (corpus/markdown.py) reads it.

What Obsidian adds to CommonMark: YAML front matter with tags and aliases, callouts
("> [!tip] Title"), wikilinks and embeds ("[[note#heading|label]]", "![[file]]"), comments
("%% hidden %%") and inline "#tags". The two markdown-it rules here (callout titles, wikilinks)
are registered by `corpus.markdown.parser`; the rest are functions of a file's lines.
What a wikilink points to is not known here: the renderer asks a resolver (service/notes_view.py).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

# An Obsidian callout: a quote whose first line is "[!type]", a fold mark, then the title.
_CALLOUT = re.compile(r"\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*(.*)")
# An Obsidian wikilink or embed: [[target#heading|label]], ![[target]]. The target holds no
# bracket, bar or newline, so the match is linear.
WIKILINK = re.compile(r"(!?)\[\[([^\[\]|\n]+)(?:\|([^\[\]\n]*))?\]\]")


@dataclass(frozen=True)
class WikiLink:
    """What a wikilink names: a note (or file) `target`, maybe a heading or a block id in it,
    the label written after "|", and whether it is an embed ("![[...]]")."""

    target: str
    heading: str | None
    block: str | None
    label: str | None
    embed: bool

    @classmethod
    def parse(cls, found: re.Match[str]) -> WikiLink:
        """The link a WIKILINK match holds."""
        target, _, anchor = found.group(2).partition("#")
        block = anchor[1:].strip() if anchor.startswith("^") else None
        heading = anchor.strip() if anchor and block is None else None
        label = found.group(3).strip() if found.group(3) is not None else None
        return cls(
            target.strip(), heading or None, block or None, label or None, found.group(1) == "!"
        )

    @property
    def image(self) -> bool:
        """Whether it embeds an image (shown in the note view, never indexed as words)."""
        return self.embed and any(self.target.lower().endswith(s) for s in IMAGE_SUFFIXES)

    @property
    def text(self) -> str:
        """What Obsidian shows for it: the label, else the name and heading ("Note > Heading")."""
        if self.label:
            return self.label
        name = self.target[:-3] if self.target.lower().endswith(".md") else self.target
        anchor = self.heading or (f"^{self.block}" if self.block else None)
        return " > ".join(p for p in (name, anchor) if p)


_COMMENT_MARK = "%%"
_SCALARS = (str, int, float, datetime.date)
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif"})
# An inline tag: "#" then letters, digits, "_", "-" or "/", at least one of them not a digit;
# not after a word character, "#", "&" or "/" (a URL fragment, an entity, a heading mark).
TAG = re.compile(r"(?<![\w#&/])#([\w/-]*[^\W\d][\w/-]*)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")
# A block id: "^" and letters, digits or "-", ending a line (alone on it for lists and tables).
BLOCK_ID = re.compile(r"(?:^|[ \t])\^([A-Za-z0-9-]+)[ \t]*$")


@dataclass(frozen=True)
class Callout:
    """An Obsidian callout ("> [!tip] Title"): its type in lower case, its title ("" when the
    line has none), its fold mark ("", "+" or "-"), and its lines: the title line is
    `start_line`, the body the lines after it up to `end_line`."""

    type: str
    title: str
    fold: str
    start_line: int
    end_line: int


@dataclass(frozen=True)
class FrontMatter:
    """What a note's YAML front matter says about it: its lines, title, tags and aliases."""

    lines: int = 0  # how many lines it takes at the top of the file (0: none)
    title: str | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


def _scalars(value: object) -> list[str]:
    """A property's plain values as strings: one, or each of a list; nested lists and mappings
    are left out (written out, YAML aliases could make them enormous)."""
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if isinstance(v, _SCALARS) and not isinstance(v, bool)]


def _strings(value: object) -> tuple[str, ...]:
    """Tags: a list, or one string of items split by commas or spaces (Obsidian's older
    "tags: a, b"); a tag's leading "#" dropped."""
    items = [p for v in _scalars(value) for p in v.replace(",", " ").split()]
    out = (v.strip().lstrip("#").strip() for v in items)
    return tuple(dict.fromkeys(v for v in out if v))


def front_matter(lines: Sequence[str]) -> FrontMatter:
    """YAML front matter between "---" lines at the top; YAML it cannot read is still hidden."""
    if not lines or lines[0].strip() != "---":
        return FrontMatter()
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return FrontMatter()
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        return FrontMatter(end + 1)
    title = _scalars(data.get("title"))
    return FrontMatter(
        end + 1,
        title[0].strip() or None if title else None,
        _strings(data.get("tags", data.get("tag"))),
        _aliases(data.get("aliases", data.get("alias"))),
    )


def _aliases(value: object) -> tuple[str, ...]:
    """Aliases: a list, or one string (an alias may hold spaces, so a string is one alias)."""
    return tuple(dict.fromkeys(v.strip() for v in _scalars(value) if v.strip()))


def wikilink(state: StateInline, silent: bool) -> bool:
    """Inline rule: "[[...]]" or "![[...]]" as one `wikilink` token (meta["link"] a WikiLink,
    content the text Obsidian shows); the renderer decides what it links to."""
    if state.src[state.pos] not in "[!" or not state.src.startswith(("[[", "![["), state.pos):
        return False
    found = WIKILINK.match(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        link = WikiLink.parse(found)
        token = state.push("wikilink", "a", 0)
        token.content, token.meta = link.text, {"link": link}
    state.pos = found.end()
    return True


def _callout_title(quote: Token, paragraph: Token, inline: Token) -> list[Token]:
    """The title tokens of a quote whose first line is "[!type] Title" (none when it is not one).

    The title line leaves the quote's first paragraph, so the body reads as prose of its own.
    """
    first, _, rest = inline.content.partition("\n")
    found = _CALLOUT.fullmatch(first.strip())
    if found is None or paragraph.map is None or quote.map is None:
        return []
    kind, fold, title = found.group(1).lower(), found.group(2), found.group(3).strip()
    line = [paragraph.map[0], paragraph.map[0] + 1]
    inline.content = rest
    paragraph.map = inline.map = [line[1], paragraph.map[1]]
    meta = {"fold": fold, "end": quote.map[1]}
    return [
        Token("callout_title_open", "p", 1, map=line, content=title, info=kind, meta=meta),
        Token("inline", "", 0, map=line, content=title, children=[]),
        Token("callout_title_close", "p", -1),
    ]


def callouts(state: StateCore) -> None:
    """Core rule, after the block rules and before inline parsing: a quote that opens with
    "[!type]" gets title tokens after its opening (`callout_title_open`, whose `info` is the
    type and content the title, its inline text, the close) and loses that line from its first
    paragraph."""
    tokens, out, i = state.tokens, [], 0
    while i < len(tokens):
        out.append(tokens[i])
        i += 1
        if out[-1].type != "blockquote_open" or i + 1 >= len(tokens):
            continue
        paragraph, inline = tokens[i], tokens[i + 1]
        if paragraph.type != "paragraph_open" or inline.type != "inline":
            continue
        title = _callout_title(out[-1], paragraph, inline)
        if title:
            out[-1].meta["callout"] = title[0].info
            out += title
            if not inline.content.strip():
                i += 3  # the title was the whole paragraph
    state.tokens = out


def hide_marks(lines: Sequence[str], code: set[int]) -> list[str]:
    """`lines` with each "%% comment %%" blanked (a comment may span lines and blocks) and each
    block id ("^id" ending a line) taken off; lines in `code` (0-based) are kept as they are."""
    out, open_ = [], False
    for n, line in enumerate(lines):
        if n in code:
            out.append(line)
            continue
        kept, pos = [], 0
        while True:
            at = line.find(_COMMENT_MARK, pos)
            if not open_:
                kept.append(line[pos:] if at < 0 else line[pos:at])
            if at < 0:
                break
            open_, pos = not open_, at + len(_COMMENT_MARK)
        text = BLOCK_ID.sub("", "".join(kept))
        out.append(text if text.strip() else "")
    return out


def link_words(line: str) -> str:
    """A line with each wikilink as the text Obsidian shows for it, image embeds left out."""
    if "[[" not in line:
        return line
    return WIKILINK.sub(lambda m: "" if (link := WikiLink.parse(m)).image else link.text, line)


def tags_only(line: str) -> bool:
    """Whether a line holds nothing but #tags (a note's tag line: not prose to index or quote)."""
    return bool(TAG.search(line)) and not TAG.sub("", line).strip(" \t>-*,")


def inline_tags(lines: Sequence[str], spans: Iterable[tuple[str, int, int]]) -> list[str]:
    """The "#tags" written in the lines of prose, callout and heading spans (kind, first, last),
    outside code spans, in order."""
    found: list[str] = []
    for kind, first, last in spans:
        if kind not in ("prose", "callout", "heading"):
            continue
        for line in lines[first - 1 : last]:
            found += TAG.findall(_CODE_SPAN.sub("", line))
    return list(dict.fromkeys(found))

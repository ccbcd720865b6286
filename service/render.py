"""Markdown to safe HTML for the page: passages with query terms and the best sentence marked,
answer sentences, and whole notes block by block.

markdown-it-py (corpus/markdown.py) parses and escapes. A few of its render rules are replaced:
query terms are marked inside text nodes as the token stream is rendered (never by a pattern
over HTML); the best sentence is found in an inline token's plain text and wrapped by tokens
added to that stream; links resolve against where the text came from and open in a new tab;
images show as their alt text (a README's remote badges would be blocked by the page's CSP).
nh3 then cleans the result against a short allow-list, so a slip in a rule still cannot put a
script, a style or an event handler on the page.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urljoin

import nh3
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup

from ragnotes.answers.highlight import matches, query_terms, stem
from ragnotes.corpus.markdown import BlockKind, parse_blocks, parser
from ragnotes.corpus.obsidian import TAG, WikiLink

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_STRAY_MARKERS = re.compile(r"\*+|~~|(?<!\w)_+|_+(?!\w)")
_TAGS = {
    "p", "br", "hr", "em", "strong", "s", "code", "pre", "mark", "span", "a", "ul", "ol", "li",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6",
    "img",
}  # fmt: skip
LinkResolver = Callable[[WikiLink], "str | None"]  # a wikilink's URL, None when it names nothing


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        attributes={
            "a": {"href", "title"},
            "img": {"src", "alt"},
            "ol": {"start"},
            "span": {"data-line"},
            "blockquote": {"data-callout"},
        },
        allowed_classes={
            "strong": {"best"},
            "a": {"wikilink", "embed", "tag"},
            "span": {"cl", "img", "callout-type"},
            "blockquote": {"callout"},
            "p": {"callout-title"},
        },
        set_tag_attribute_values={"a": {"target": "_blank"}},
        link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
    )


def _marked(text: str, terms: Sequence[str]) -> str:
    """`text` escaped, with each word that answers a query term in <mark>."""
    out, pos = [], 0
    for m in _WORD.finditer(text) if terms else ():
        if any(matches(stem(m.group()), t) for t in terms):
            out += [escapeHtml(text[pos : m.start()]), f"<mark>{escapeHtml(m.group())}</mark>"]
            pos = m.end()
    out.append(escapeHtml(text[pos:]))
    return "".join(out)


def _tagged(text: str, terms: Sequence[str]) -> str:
    """`text` marked, each #tag a link to the page's search for it."""
    out, pos = [], 0
    for found in TAG.finditer(text):
        href = "/?q=" + quote("#" + found.group(1))
        tag = _marked(found.group(0), terms)
        out += [
            _marked(text[pos : found.start()], terms),
            f'<a class="tag" href="{href}">{tag}</a>',
        ]
        pos = found.end()
    out.append(_marked(text[pos:], terms))
    return "".join(out)


class _Renderer(RendererHTML):
    """markdown-it-py's HTML renderer with marking, safe links and numbered code lines.

    `env` carries "terms" (query stems to mark), "base" (the URL relative links resolve
    against) and "numbered" (give each code line its file line number, for the note view).
    """

    def text(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        content = tokens[idx].content
        if env.get("links") is None or "#" not in content:
            return _marked(content, env["terms"])
        return _tagged(content, env["terms"])  # a note's text: its #tags search for the tag

    def code_inline(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return f"<code>{_marked(tokens[idx].content, env['terms'])}</code>"

    def fence(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return self._code(tokens[idx], env, 1)

    def code_block(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return self._code(tokens[idx], env, 0)

    def _code(self, token: Token, env: Any, skip: int) -> str:
        lines = token.content.removesuffix("\n").split("\n")
        if not env.get("numbered") or token.map is None:
            return f"<pre><code>{_marked(chr(10).join(lines), env['terms'])}\n</code></pre>\n"
        first = token.map[0] + 1 + skip  # the fence line itself is not code
        body = "".join(
            f'<span class="cl" data-line="{n}">{_marked(line, env["terms"])}\n</span>'
            for n, line in enumerate(lines, first)
        )
        return f"<pre><code>{body}</code></pre>\n"

    def blockquote_open(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        kind = tokens[idx].meta.get("callout")
        if not kind:
            return self.renderToken(tokens, idx, options, env)
        return f'<blockquote class="callout" data-callout="{escapeHtml(kind)}">\n'

    def callout_title_open(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """The callout's type as a label, then its title (inline Markdown, rendered next)."""
        label = escapeHtml(tokens[idx].info.capitalize())
        return f'<p class="callout-title"><span class="callout-type">{label}</span> '

    def callout_title_close(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return "</p>\n"

    def wikilink(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """A resolved wikilink as a link (an image embed, in the note view, as the image);
        one that names nothing indexed as its text."""
        token = tokens[idx]
        link: WikiLink = token.meta["link"]
        resolve = env.get("links")
        href = resolve(link) if resolve is not None else None
        text = _marked(token.content, env["terms"])
        if href is None:
            return f'<span class="img">{text}</span>' if link.image else text
        if link.image and env.get("numbered"):
            return f'<img src="{escapeHtml(href)}" alt="{escapeHtml(token.content)}">'
        kind = "embed" if link.embed else "wikilink"
        return f'<a class="{kind}" href="{escapeHtml(href)}">{text}</a>'

    def image(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
        return f'<span class="img">{escapeHtml(alt)}</span>' if alt else ""

    def link_open(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        href = tokens[idx].attrGet("href")
        if isinstance(href, str) and env.get("base"):
            tokens[idx].attrSet("href", urljoin(env["base"], href))
        return self.renderToken(tokens, idx, options, env)

    def best_open(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return '<strong class="best">'

    def best_close(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return "</strong>"


_RENDERER = _Renderer()


def _html(tokens: Sequence[Token], env: dict[str, Any]) -> Markup:
    return Markup(
        _cleaner().clean(_RENDERER.render(tokens, parser().options, env))
    )  # cleaned by nh3


def _plain(token: Token) -> str:
    """What a child of an inline token shows as text ("" for tags)."""
    if token.type in ("text", "code_inline", "wikilink"):
        return token.content
    return " " if token.type in ("softbreak", "hardbreak") else ""


def _squash(text: str) -> tuple[str, list[int]]:
    """`text` with each run of whitespace as one space, and where each kept character was."""
    out, where, pos = [], [], 0
    for m in _SPACE.finditer(text):
        out += [text[pos : m.start()], " "]
        where += [*range(pos, m.start()), m.start()]
        pos = m.end()
    out.append(text[pos:])
    where += range(pos, len(text))
    return "".join(out), where


def _cuts(a: int, b: int, start: int, end: int) -> list[tuple[int, int]]:
    """[a, b) cut where [start, end) begins and ends inside it."""
    points = sorted({a, b, *(p for p in (start, end) if a < p < b)})
    return list(itertools.pairwise(points))


def _flagged(children: list[Token], start: int, end: int) -> list[tuple[Token, bool]]:
    """Each child, text split at the sentence's edges, with whether it is part of the sentence."""
    flags: list[tuple[Token, bool]] = []
    pos = 0
    for token in children:
        piece = _plain(token)
        a, b = pos, pos + len(piece)
        pos = b
        if token.type == "text" and a < end and b > start:
            for lo, hi in _cuts(a, b, start, end):
                part = token.copy(content=token.content[lo - a : hi - a])
                flags.append((part, start <= lo and hi <= end))
        else:  # a tag (no text) belongs when it sits within the sentence
            flags.append((token, a < end and b > start if piece else start <= a <= end))
    return flags


def _best(nesting: Literal[1, -1]) -> Token:
    return Token("best_open" if nesting > 0 else "best_close", "strong", nesting)


def _with_best(children: list[Token], start: int, end: int) -> list[Token]:
    """`children` with the plain-text range [start, end) between best_open and best_close.

    One wrapper when the tags inside it are balanced; otherwise one per run of text, so the
    wrappers never cross a tag and the HTML stays well nested.
    """
    flags = _flagged(children, start, end)
    inside = [i for i, (_, flag) in enumerate(flags) if flag]
    tokens = [t for t, _ in flags]
    first, last = inside[0], inside[-1]
    while first < last and tokens[first].nesting < 0:
        first += 1  # a tag closing what came before the sentence
    while last > first and tokens[last].nesting > 0:
        last -= 1  # a tag opening what comes after it
    depths = [0]
    for token in tokens[first : last + 1]:
        depths.append(depths[-1] + token.nesting)
    if min(depths) == 0 == depths[-1]:
        return [
            *tokens[:first],
            _best(1),
            *tokens[first : last + 1],
            _best(-1),
            *tokens[last + 1 :],
        ]
    runs: list[Token] = []
    is_open = False
    for token in tokens[first : last + 1]:
        if (token.nesting == 0) != is_open:  # text starts a run; a tag ends one
            runs.append(_best(-1 if is_open else 1))
            is_open = not is_open
        runs.append(token)
    if is_open:
        runs.append(_best(-1))
    return tokens[:first] + runs + tokens[last + 1 :]


def _sentence_plain(sentence: str) -> str:
    """A Markdown sentence as the page shows its text: markers, emphasis and link targets gone."""
    inlines = [t for t in parser().parse(sentence) if t.type == "inline"]
    text = " ".join("".join(_plain(c) for c in t.children or []) for t in inlines)
    return _squash(text)[0].strip()


def _mark_best(tokens: Sequence[Token], sentence: str) -> None:
    """Wrap the first occurrence of `sentence` in the inline token that holds it whole."""
    target = _sentence_plain(sentence)
    # A sentence cut out of emphasis keeps half of its markers ("Then the* best ..."): as text.
    loose = _squash(_STRAY_MARKERS.sub("", target))[0].strip()
    for token in tokens if target else ():
        if token.type != "inline" or not token.children:
            continue
        squashed, where = _squash("".join(_plain(c) for c in token.children))
        for wanted in (target, loose):
            at = squashed.find(wanted) if wanted else -1
            if at >= 0:
                end = where[at + len(wanted) - 1] + 1
                token.children = _with_best(token.children, where[at], end)
                return


def passage_html(
    text: str,
    question: str,
    best: str | None,
    part: str | None = None,
    base: str | None = None,
    links: LinkResolver | None = None,
) -> Markup:
    """A passage as safe HTML: Markdown rendered, query terms in <mark>, the best sentence in
    <strong class="best">; relative links resolve against `base`, wikilinks by `links`.

    A piece of a long code block, or a table piece after the first (no header row), is shown
    as code: alone it is not valid Markdown of its kind.
    """
    env = {"terms": query_terms(question), "base": base, "links": links}
    if part is not None and not part.startswith("table, part 1 "):
        code = Token("code_block", "code", 0, content=text + "\n")
        return _html([code], env)
    tokens = parser().parse(text)
    if best:
        _mark_best(tokens, best)
    return _html(tokens, env)


def inline_html(text: str, base: str | None = None) -> Markup:
    """One line of Markdown (an answer sentence) as safe inline HTML."""
    env = {"terms": (), "base": base}
    tokens = parser().parseInline(text)
    children = tokens[0].children or [] if tokens else []
    html = _RENDERER.renderInline(children, parser().options, env)
    return Markup(_cleaner().clean(html))  # cleaned by nh3


@dataclass(frozen=True)
class NoteBlock:
    """One top-level block of a note, rendered, with its file lines."""

    kind: BlockKind
    start_line: int
    end_line: int
    html: Markup


def note_blocks(text: str, base: str, links: LinkResolver | None = None) -> list[NoteBlock]:
    """A whole note rendered block by block, wikilinks by `links`; front matter is not shown
    (its title heads the page, its tags and aliases are the index's)."""
    env = {"terms": (), "base": base, "numbered": True, "links": links}
    return [
        NoteBlock(b.kind, b.start_line, b.end_line, _html(b.tokens, env))
        for b in parse_blocks(text, note=True)
        if b.kind != "front"
    ]

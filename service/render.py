"""Markdown to safe HTML for the page: passages with query terms and the best sentence marked,
answer sentences, and whole notes block by block.

markdown-it-py (corpus/markdown.py) parses and escapes. A few of its render rules are replaced:
query terms are marked inside text nodes as the token stream is rendered (never by a pattern
over HTML); the best sentence is found in an inline token's plain text and wrapped by tokens
added to that stream (service/mark_best.py); links resolve against where the text came from and open in a new tab;
images show as their alt text (a README's remote badges would be blocked by the page's CSP).
nh3 then cleans the result against a short allow-list, so a slip in a rule still cannot put a
script, a style or an event handler on the page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin

import nh3
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup

from ragnotes.answers.highlight import matches, query_terms, stem
from ragnotes.corpus.markdown import BlockKind, parse_blocks, parser
from ragnotes.corpus.obsidian import TAG, WikiLink
from ragnotes.service.mark_best import mark_best

_WORD = re.compile(r"\w+")
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
        mark_best(tokens, best)
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

"""The best sentence of a passage, wrapped in <strong class="best"> inside markdown-it's tokens.

The sentence is looked for in each inline token's plain text (whitespace squashed, emphasis
markers and link targets gone, as the page shows it), never by a pattern over HTML; where it is
found, `best_open` and `best_close` tokens are added to that token's children, which
service/render.py renders. The wrappers never cross a tag, so the HTML stays well nested.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Literal

from markdown_it.token import Token

from ragnotes.corpus.markdown import parser

_SPACE = re.compile(r"\s+")
_STRAY_MARKERS = re.compile(r"\*+|~~|(?<!\w)_+|_+(?!\w)")


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


def mark_best(tokens: Sequence[Token], sentence: str) -> None:
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

"""Text that describes a document rather than answering anything: recognised so that answers
rank it below content.

- introductions that talk about the document ("This guide covers everything you need ...",
  "In this repository we ...", "Welcome to ...");
- navigation and housekeeping ("Back to top", "See below", "Contributions are welcome", "Star
  this repo");
- sections whose heading says they are such: an overview or introduction of a README, a table
  of contents, further reading, references, licence, contributing;
- captions: a paragraph that is emphasis alone (`*Handling new users ...*`), as image captions
  are written; and list items that are links to the same page alone (a table of contents). A
  list of links elsewhere is left alone: in an awesome-list it is the content.

Which of these count, and how much a unit loses for it, was chosen on the dev split
(eval/EXPERIMENTS.md section 14).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from markdown_it.token import Token

_ABOUT = (
    r"(?:guide|repo(?:sitory)?|document(?:ation)?|readme|article|post|page|section|list|"
    r"tutorial|book|course|project|chapter|series|collection|resource|cheat ?sheet)"
)
_INTRO = re.compile(
    rf"^(?:this|the following|in this|the present) {_ABOUT}\b|"
    rf"^(?:welcome to|here you will|you will learn|in this {_ABOUT})|"
    rf"\b(?:this {_ABOUT} (?:covers|contains|describes|provides|explains|lists|collects|is a)|"
    r"everything you need to (?:know|build)|we will (?:cover|discuss|explore|walk))\b",
    re.IGNORECASE,
)
_NAVIGATION = re.compile(
    r"\b(?:back to top|see (?:below|above)|click here|table of contents|star (?:this|the) repo|"
    r"contributions? (?:are|is) welcome|feel free to|pull requests? (?:are|is) welcome|"
    r"open an issue|read more|subscribe|follow (?:me|us))\b",
    re.IGNORECASE,
)
_SECTION = re.compile(
    r"^\W*(?:overview|introduction|intro|about(?: this \w+)?|table of contents|contents|toc|"
    r"further reading|references|resources|links|useful links|acknowledge?ments?|licen[cs]e|"
    r"contributing|contributors|citation|cite|related(?: work| projects)?|see also|"
    r"getting started|installation|install|setup|support|sponsors?|star history)\W*$",
    re.IGNORECASE,
)


def about_the_document(sentence: str) -> bool:
    """Whether a sentence introduces or navigates the document instead of saying something."""
    return _INTRO.search(sentence) is not None or _NAVIGATION.search(sentence) is not None


@functools.lru_cache(maxsize=1 << 12)
def housekeeping_heading(breadcrumb: str) -> bool:
    """Whether the section a passage comes from is an overview, a table of contents, links,
    a licence and the like (by its last heading)."""
    return _SECTION.match(breadcrumb.rsplit(" > ", 1)[-1]) is not None


def caption(inline: Token) -> bool:
    """A paragraph that is emphasis alone, as image captions are written."""
    children = [c for c in inline.children or () if c.type != "text" or c.content.strip()]
    return (
        len(children) >= 3
        and children[0].type in ("em_open", "strong_open")
        and children[-1].type in ("em_close", "strong_close")
        and all(c.level >= 1 for c in children[1:-1])
    )


def link_only(inlines: Sequence[Token]) -> bool:
    """An item whose text is links to places in the same page alone (a table of contents); a
    list of links elsewhere is what an awesome-list answers with, so it is content."""
    children = [c for i in inlines for c in i.children or () if c.type != "softbreak"]
    words = [c for c in children if c.type == "text" and c.content.strip(" -:,.|\u2013\u2014")]
    inside = [c for c in words if c.level >= 1]
    links = [str(c.attrs.get("href", "")) for c in children if c.type == "link_open"]
    in_page = bool(links) and all(h.startswith("#") for h in links)
    return in_page and len(inside) == len(words)

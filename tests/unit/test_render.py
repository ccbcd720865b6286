"""Markdown rendered for the page: structure kept, hostile HTML inert, terms marked in text only,
the best sentence wrapped without breaking the nesting, notes numbered by file line."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from ragnotes.answers.highlight import best_sentence
from ragnotes.corpus.obsidian import WikiLink
from ragnotes.service.render import inline_html, note_blocks, passage_html

PASSAGE = """Nightly jobs precompute recommendations for every active user.
**Batch scoring** is the right call when inputs are known ahead of time and hours of
staleness are acceptable. See [the guide](guide.md#batch) and [home](https://example.com/batch).

- first *batch* item
- second item

| stage | batch budget |
| --- | --- |
| fetch | 20 ms |

```python
def score_batch(rows):
    return rows
```"""

HOSTILE = """Text <script>alert("prose")</script> and <img src=x onerror="alert(1)">.
<a href="javascript:alert(2)">raw link</a> [md link](javascript:alert(3)) ![pic](javascript:x)
[data](data:text/html;base64,PHNjcmlwdD4=) <style>body{display:none}</style>
<div onclick="alert(4)" style="color:red">div</div>

```html
<script>alert("code")</script>
```"""


class _Elements(HTMLParser):
    """Every start tag with its attributes, and whether tags close in the order they opened."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.nested = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("br", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.nested = self.nested and bool(self.stack) and self.stack.pop() == tag


class _Best(HTMLParser):
    """The text inside each <strong class="best">."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self.depth = 0  # open tags since the current best opened; 0 when outside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif ("class", "best") in attrs:
            self.depth = 1
            self.pieces.append("")

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(self.depth - 1, 0)

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.pieces[-1] += data


def _best_pieces(markup: str) -> list[str]:
    parser = _Best()
    parser.feed(markup)
    return parser.pieces


def _elements(markup: str) -> _Elements:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser


def test_markdown_structure_is_rendered() -> None:
    markup = passage_html(PASSAGE, "", None)
    names = [tag for tag, _ in _elements(markup).tags]
    for tag in ("p", "strong", "em", "a", "ul", "li", "table", "th", "td", "pre", "code"):
        assert tag in names, tag
    assert "**" not in markup and "](" not in markup and "| ---" not in markup
    assert "def score_batch(rows):\n    return rows" in markup


def test_links_open_in_a_new_tab_and_resolve_against_their_source() -> None:
    base = "https://github.com/o/n/blob/abc123/docs/README.md#L3-L9"
    links = [
        a for tag, a in _elements(passage_html(PASSAGE, "", None, base=base)).tags if tag == "a"
    ]
    assert [a["href"] for a in links] == [
        "https://github.com/o/n/blob/abc123/docs/guide.md#batch",
        "https://example.com/batch",
    ]
    assert all(a["target"] == "_blank" and "noopener" in (a["rel"] or "") for a in links)
    note = _elements(passage_html(PASSAGE, "", None, base="/notes/dir/serving.md#L1-L2"))
    assert note.tags[[t for t, _ in note.tags].index("a")][1]["href"] == "/notes/dir/guide.md#batch"


def test_hostile_html_stays_text() -> None:
    markup = passage_html(HOSTILE, "alert", None)
    elements = _elements(markup)
    assert {tag for tag, _ in elements.tags} <= {"p", "a", "pre", "code", "mark", "br", "span"}
    for tag, attrs in elements.tags:
        assert not any(name.startswith("on") or name == "style" for name in attrs), tag
        assert not (attrs.get("href") or "").startswith(("javascript:", "data:")), attrs
    assert "&lt;script&gt;<mark>alert</mark>(" in markup  # shown, and still marked
    assert '&lt;img src=x onerror="<mark>alert</mark>(1)"&gt;' in markup
    assert "<a " not in markup  # none of the links was safe enough to keep
    assert inline_html('<b onclick="x()">hi</b> [x](javascript:y)').count("<") == 0


def test_terms_are_marked_in_text_never_inside_tags_or_urls() -> None:
    markup = passage_html(PASSAGE, "batch budget", None, base="/notes/n.md")
    assert "<strong><mark>Batch</mark> scoring</strong>" in markup
    assert "<em><mark>batch</mark></em>" in markup
    assert "<th><mark>batch</mark> <mark>budget</mark></th>" in markup
    assert 'href="https://example.com/batch"' in markup  # the URL is untouched
    assert "def <mark>score_batch</mark>(rows)" not in markup  # "score_batch" stems to itself
    assert re.search(r"<[^>]*<mark>", markup) is None


def test_the_best_sentence_is_one_wrapper_across_emphasis_and_line_breaks() -> None:
    question = "when is batch scoring the right call?"
    best = best_sentence(PASSAGE, question)
    assert best is not None and best.startswith("**Batch scoring**")
    markup = passage_html(PASSAGE, question, best)
    assert _best_pieces(markup) == [
        "Batch scoring is the right call when inputs are known ahead of time and hours of\n"
        "staleness are acceptable."
    ]
    assert "<strong><mark>Batch</mark> <mark>scoring</mark></strong>" in markup
    assert _elements(markup).nested


def test_a_quoted_sentence_that_wraps_is_marked_whole() -> None:
    text = "> Batch scoring is the right call when inputs\n> are known ahead. Online costs more."
    question = "when is batch scoring the right call?"
    best = best_sentence(text, question)
    assert best == "> Batch scoring is the right call when inputs\n> are known ahead."
    markup = passage_html(text, question, best)
    assert _best_pieces(markup) == ["Batch scoring is the right call when inputs\nare known ahead."]


def test_a_best_sentence_that_crosses_a_tag_is_wrapped_in_pieces() -> None:
    text = "Intro *first part. Then the* best sentence ends here. After."
    markup = passage_html(text, "best sentence", "Then the* best sentence ends here.")
    assert _best_pieces(markup) == ["Then the", " best sentence ends here."]
    assert _elements(markup).nested


@pytest.mark.parametrize(
    ("part", "kind"),
    [
        ("code block, part 2 of 3", "pre"),
        ("table, part 2 of 2", "pre"),
        ("table, part 1 of 2", "table"),
    ],
)
def test_pieces_of_long_blocks_render_as_what_they_are(part: str, kind: str) -> None:
    text = "| a | b |\n| --- | --- |\n| 1 | 2 |" if kind == "table" else "| 3 | 4 |\n| 5 | 6 |"
    names = [tag for tag, _ in _elements(passage_html(text, "", None, part)).tags]
    assert names[0] == kind


def test_answer_sentences_render_inline() -> None:
    assert inline_html("Batch is **cheap** and `fast` [1].") == (
        "Batch is <strong>cheap</strong> and <code>fast</code> [1]."
    )


def test_notes_render_block_by_block_with_code_lines_numbered() -> None:
    note = "---\ntitle: T\n---\n# T\n\n````md\n```\ninner\n```\n````\n\nAfter.\n"
    blocks = note_blocks(note, "/notes/t.md")
    assert [(b.kind, b.start_line, b.end_line) for b in blocks] == [
        ("heading", 4, 4),
        ("code", 6, 10),
        ("paragraph", 12, 12),
    ]  # the front matter is not shown
    assert "title:" not in "".join(b.html for b in blocks)
    code = blocks[1].html
    assert code.count("<pre>") == 1
    assert re.findall(r'data-line="(\d+)">([^<\n]*)', code) == [
        ("7", "```"),
        ("8", "inner"),
        ("9", "```"),
    ]


def test_a_callout_renders_with_its_type_and_title_apart_from_its_body() -> None:
    html = passage_html("> [!tip] Why 37 *minutes*\n> Thirty-seven is the median.", "median", None)
    assert '<blockquote class="callout" data-callout="tip">' in html
    assert '<p class="callout-title"><span class="callout-type">Tip</span> Why 37 <em>' in html
    assert "[!tip]" not in html
    assert "<p>Thirty-seven is the <mark>median</mark>.</p>" in html
    untitled = passage_html("> [!danger]\n> Body.", "", None)
    assert '<span class="callout-type">Danger</span> </p>' in untitled
    not_one = passage_html('> [!x"onclick=1] T\n> b', "", None)
    assert "data-callout" not in not_one


def test_wikilinks_link_where_the_resolver_says_and_are_text_when_unresolved() -> None:
    def links(link: WikiLink) -> str | None:
        return {"Known": "/notes/known.md#L3-L4", "pic.png": "/notes/img/pic.png"}.get(link.target)

    html = passage_html(
        "See [[Known#Part|the part]], [[Missing]] and ![[pic.png]].", "", None, links=links
    )
    assert '<a class="wikilink" href="/notes/known.md#L3-L4"' in html and ">the part</a>" in html
    assert "Missing" in html and "[[" not in html
    assert '<span class="img">pic.png</span>' not in html  # resolved: a link in a passage
    note = "".join(
        b.html for b in note_blocks("![[pic.png]] and ![[gone.png]]\n", "/notes/n.md", links)
    )
    assert '<img src="/notes/img/pic.png" alt="pic.png">' in note
    assert '<span class="img">gone.png</span>' in note


def test_a_notes_tags_link_to_the_search_for_them() -> None:
    html = "".join(
        b.html
        for b in note_blocks("We use #kafka and #ml/ranking, not C#.\n", "/n", lambda _: None)
    )
    assert '<a class="tag" href="/?q=%23kafka"' in html and ">#ml/ranking</a>" in html
    assert "C#." in html and html.count('class="tag"') == 2
    assert 'class="tag"' not in passage_html("A #kafka line.", "", None)  # no resolver: a README

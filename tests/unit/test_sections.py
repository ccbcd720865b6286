from __future__ import annotations

import hashlib
from pathlib import Path

from ragnotes.corpus.documents import Document
from ragnotes.corpus.sections import (
    clean_prose_line,
    document_sections,
    parse_markdown,
    plain_text,
)


def _lines(text: str) -> list[str]:
    return text.split("\n")


def test_front_matter_is_read_not_indexed() -> None:
    doc = "---\ntitle: My note\ntags: [a, b]\n---\n# Heading\n\nBody line.\n"
    parsed = parse_markdown(doc)
    assert parsed.title == "My note"
    assert parsed.tags == ("a", "b")
    assert [s.headings for s in parsed.sections] == [("Heading",)]
    block = parsed.sections[0].blocks[0]
    assert block.lines == ((7, "Body line."),)


def test_breadcrumbs_follow_heading_levels() -> None:
    doc = "# A\n\none\n\n## B\n\ntwo\n\n### C\n\nthree\n\n## D\n\nfour\n"
    crumbs = [s.headings for s in parse_markdown(doc).sections]
    assert crumbs == [("A",), ("A", "B"), ("A", "B", "C"), ("A", "D")]


def test_code_fence_is_one_block_and_hides_headings() -> None:
    doc = "# T\n\n```python\n# not a heading\nx = 1\n\ny = 2\n```\nafter\n"
    section = parse_markdown(doc).sections[0]
    kinds = [(b.kind, b.lines[0][0], b.lines[-1][0]) for b in section.blocks]
    assert kinds == [("code", 3, 8), ("prose", 9, 9)]
    assert section.headings == ("T",)


def test_unclosed_fence_runs_to_end_of_file() -> None:
    doc = "# T\n\n~~~\ncode\n## still code\n"
    blocks = parse_markdown(doc).sections[0].blocks
    # to the file's last line (5): the "" after the final newline is no line of the file
    assert [(b.kind, b.lines[-1][0]) for b in blocks] == [("code", 5)]


def test_table_is_one_block_with_exact_lines() -> None:
    doc = "# T\n\ntext\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n\nmore\n"
    blocks = parse_markdown(doc).sections[0].blocks
    assert [(b.kind, b.lines[0][0], b.lines[-1][0]) for b in blocks] == [
        ("prose", 3, 3),
        ("table", 5, 8),
        ("prose", 10, 10),
    ]


def test_html_badges_images_and_comments_are_dropped() -> None:
    doc = (
        '# T\n\n<p align="center"><img src="x.png"></p>\n'
        "[![ci](https://img.shields.io/x.svg)](https://ci)\n"
        "Real text with ![pic](a.png) inline.\n<!-- hidden\nstill hidden -->\nvisible\n"
    )
    block = parse_markdown(doc).sections[0].blocks[0]
    assert block.lines == ((5, "Real text with  inline."), (8, "visible"))


def test_setext_headings() -> None:
    doc = "Title\n=====\n\nintro\n\nPart\n----\n\nbody\n"
    sections = parse_markdown(doc).sections
    assert [s.headings for s in sections] == [("Title",), ("Title", "Part")]
    assert sections[1].blocks[0].lines == ((9, "body"),)


def test_plain_text_drops_link_targets_and_emphasis() -> None:
    assert (
        plain_text("see **[Feast](https://feast.dev)** and `code` :rocket:") == "see Feast and code"
    )
    assert clean_prose_line("a <b>bold</b> &amp; x < y") == "a bold & x < y"


def test_an_html_comment_hides_whole_blocks_and_the_prose_around_it_stays_one_block() -> None:
    doc = "# T\n\nIntro.\n<!--\n## Draft\n\n```\nsecret code\n```\n-->\nAfter.\n"
    (section,) = parse_markdown(doc).sections
    assert section.headings == ("T",)
    assert [b.lines for b in section.blocks] == [((3, "Intro."), (11, "After."))]


def test_a_callout_is_indexed_as_prose_with_its_type_and_title_apart() -> None:
    text = "# T\n\n> [!tip] Why 37 minutes\n> Thirty-seven is the median.\n"
    (section,) = parse_markdown(text).sections
    (block,) = section.blocks
    assert block.kind == "prose"
    assert block.lines == ((3, "> [!tip] Why 37 minutes"), (4, "> Thirty-seven is the median."))
    assert plain_text(block.lines[0][1]) == "Tip: Why 37 minutes"
    assert plain_text("> [!warning]- Careful") == "Warning: Careful"


def test_a_line_of_tags_is_a_notes_tags_and_a_readmes_text() -> None:
    text = "# T\n\nBody text.\n#ml #serving\n"
    note, readme = parse_markdown(text), parse_markdown(text, note=False)
    assert [line for b in note.sections[0].blocks for line in b.lines] == [(3, "Body text.")]
    assert note.tags == ("ml", "serving") and readme.tags == ()
    assert (4, "#ml #serving") in readme.sections[0].blocks[0].lines


def _doc(source: str, path: str, text: str) -> Document:
    return Document(source, path, text, Path(path), hashlib.sha256(text.encode()).hexdigest())


def test_a_documents_sections_leave_out_its_table_of_contents() -> None:
    text = "# Guide\n\n## Table of contents\n\n- [Setup](#setup)\n\n## Setup\n\nRun it.\n"
    doc = document_sections(_doc("owner/repo", "README.md", text))
    assert [s.headings for s in doc.sections] == [("Guide", "Setup")]
    assert (doc.source, doc.path, doc.title) == ("owner/repo", "README.md", "Guide")


def test_a_document_without_a_title_is_named_from_its_path() -> None:
    note = document_sections(_doc("notes", "ml/feature-stores_101.md", "Body.\n"))
    readme = document_sections(_doc("owner/repo", "docs/README.md", "Body.\n"))
    other = document_sections(_doc("owner/repo", "docs/serving.md", "Body.\n"))
    assert note.title == "Feature stores 101"
    assert (readme.title, other.title) == ("owner/repo", "owner/repo: docs/serving.md")


def test_each_line_carries_the_words_that_are_embedded() -> None:
    text = "# T\n\nSee [Feast](https://feast.dev) **now**.\n![pic](a.png)\n\n```\n`x`\n```\n"
    prose, code = parse_markdown(text).sections[0].blocks
    assert prose.words == ("See Feast now.",)
    assert code.words == ("```", "`x`", "```")  # code is embedded as written
    assert prose.plain == "See Feast now." and code.plain == "```\n`x`\n```"

"""The Markdown model: typed top-level blocks with exact line spans, front matter counted."""

from __future__ import annotations

from ragnotes.corpus.markdown import parse, parse_blocks

NOTE = """---
title: T
---
# Title

A paragraph
that wraps.

- one
- two

| a | b |
| --- | --- |
| 1 | 2 |

````markdown
```python
x = 1
```
````

> quoted

---
    indented code
"""


def test_blocks_have_kinds_and_file_line_spans() -> None:
    spans = [(b.kind, b.start_line, b.end_line) for b in parse_blocks(NOTE)]
    assert spans == [
        ("front", 1, 3),
        ("heading", 4, 4),
        ("paragraph", 6, 7),
        ("list", 9, 10),
        ("table", 12, 14),
        ("code", 16, 20),
        ("quote", 22, 22),
        ("rule", 24, 24),
        ("code", 25, 25),
    ]


def test_a_fence_inside_a_longer_fence_is_content() -> None:
    code = next(b for b in parse_blocks(NOTE) if b.kind == "code")
    assert code.tokens[0].content == "```python\nx = 1\n```\n"
    assert code.tokens[0].map == [15, 20]  # file lines, 0-based and end-exclusive


def test_raw_html_is_never_parsed_as_html() -> None:
    (block,) = parse_blocks("<script>alert(1)</script>\n")
    assert block.kind == "paragraph"
    assert [t.type for t in block.tokens[1].children or []] == ["text"]


def test_an_unclosed_fence_runs_to_the_end() -> None:
    blocks = parse_blocks("Intro.\n\n```\ncode\nmore\n")
    assert [(b.kind, b.start_line, b.end_line) for b in blocks] == [
        ("paragraph", 1, 1),
        ("code", 3, 5),
    ]


def test_parts_say_what_each_line_is() -> None:
    parts = [(p.kind, p.start_line, p.end_line) for p in parse(NOTE).parts]
    assert parts == [
        ("front", 1, 3),
        ("heading", 4, 4),
        ("prose", 6, 7),
        ("prose", 9, 10),
        ("table", 12, 14),
        ("code", 16, 20),
        ("prose", 22, 22),
        ("rule", 24, 24),
        ("code", 25, 25),
    ]
    fenced = parse(NOTE).parts[5]
    assert fenced.markers == {16, 20}  # the inner ``` lines are code


def test_headings_carry_level_and_inline_text() -> None:
    (setext, atx) = parse("Intro *here*\nwraps\n===\n\n### Deep ###\n").parts
    assert (setext.level, setext.text, atx.level) == (1, "Intro *here* wraps", 3)
    assert (atx.start_line, atx.text) == (5, "Deep")


def test_prose_runs_join_a_list_under_a_paragraph_and_split_at_blank_lines() -> None:
    text = "Notes:\n- one\n- two\n\n- three\n  ```\n  code\n  ```\n> quoted\n"
    parts = [(p.kind, p.start_line, p.end_line) for p in parse(text).parts]
    assert parts == [("prose", 1, 3), ("prose", 5, 5), ("code", 6, 8), ("prose", 9, 9)]


def test_an_unclosed_fence_has_one_marker() -> None:
    (code,) = parse("```\ncode\nmore\n").parts
    assert (code.start_line, code.end_line, code.markers) == (1, 3, {1})


def test_without_inline_parsing_the_lines_are_the_same() -> None:
    full, block_only = parse(NOTE), parse(NOTE, inline=False)
    assert block_only.parts == full.parts
    assert [(b.kind, b.start_line, b.end_line) for b in block_only.blocks] == [
        (b.kind, b.start_line, b.end_line) for b in full.blocks
    ]
    assert list(block_only.paragraphs()) == list(full.paragraphs())


CALLOUTS = """# Tips

> [!tip] Why 37 minutes
> Thirty-seven is the median.
> It holds across weeks.

> [!WARNING]-
>
> Folded shut, no title.

- item
  > [!note] Nested
  > inside a list

> a plain quote
"""


def test_callouts_have_type_title_fold_and_lines() -> None:
    md = parse(CALLOUTS)
    got = [(c.type, c.title, c.fold, c.start_line, c.end_line) for c in md.callouts]
    assert got == [
        ("tip", "Why 37 minutes", "", 3, 5),
        ("warning", "", "-", 7, 9),
        ("note", "Nested", "", 12, 13),
    ]
    kinds = [b.kind for b in md.blocks]
    assert kinds == ["heading", "callout", "callout", "list", "quote"]


def test_a_callout_title_is_a_part_and_its_body_is_prose_apart_from_it() -> None:
    md = parse(CALLOUTS, inline=False)
    parts = [(p.kind, p.start_line, p.end_line, p.text) for p in md.parts]
    assert ("callout", 3, 3, "Why 37 minutes") in parts
    assert ("prose", 4, 5, "") in parts
    assert ("callout", 12, 12, "Nested") in parts
    # the body's paragraph starts after the title line, so no sentence runs the two together
    assert (4, 5) in list(md.paragraphs())
    assert all(start != 3 for start, _ in md.paragraphs())

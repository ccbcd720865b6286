"""The Markdown model: typed top-level blocks with exact line spans, front matter counted."""

from __future__ import annotations

from corpus.blocks import parse_blocks

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

"""Obsidian's Markdown: front matter properties, wikilinks, comments, block ids and #tags."""

from __future__ import annotations

from ragnotes.corpus.markdown import parse, parser
from ragnotes.corpus.obsidian import WikiLink, front_matter, link_words, tags_only

NOTE = """---
title: Zero copy
tags: [ml, "#serving"]
aliases: [ZCW, Zero-copy writes]
---
# Zero copy

Text with #inline-tag, `#code` and http://x.com/#frag. %% hidden %% shown ^blk1
%%
a secret

still secret
%%
After. #2023 is a number.

```python
%%timeit
x = 1 ^notanid
```
"""


def test_front_matter_gives_title_tags_and_aliases() -> None:
    md = parse(NOTE, note=True)
    assert md.title == "Zero copy"
    assert md.tags == ("ml", "serving", "inline-tag")
    assert md.aliases == ("ZCW", "Zero-copy writes")
    assert front_matter(["---", "tags: a, b", "aliases: One name", "---"]).tags == ("a", "b")
    assert front_matter(["---", "aliases: One name", "---"]).aliases == ("One name",)
    broken = front_matter(["---", "title: [unclosed", "---", "text"])
    assert (broken.lines, broken.title) == (3, None)  # hidden all the same


def test_comments_and_block_ids_are_blanked_outside_code() -> None:
    lines = parse(NOTE, note=True).lines
    assert lines[7] == "Text with #inline-tag, `#code` and http://x.com/#frag.  shown"
    assert lines[8:13] == ("", "", "", "", "")
    assert "%%timeit" in lines and "x = 1 ^notanid" in lines


def test_wikilinks_parse_into_target_heading_block_label_and_embed() -> None:
    tokens = parser().parseInline("[[a/Note#Head|shown]] ![[pic.png]] [[Other#^blk]] [[#Local]]")
    links = [t.meta["link"] for t in tokens[0].children or [] if t.type == "wikilink"]
    assert links == [
        WikiLink("a/Note", "Head", None, "shown", False),
        WikiLink("pic.png", None, None, None, True),
        WikiLink("Other", None, "blk", None, False),
        WikiLink("", "Local", None, None, False),
    ]
    assert [link.text for link in links] == ["shown", "pic.png", "Other > ^blk", "Local"]
    assert links[1].image and not links[0].image


def test_wikilinks_are_words_and_tag_lines_are_not_prose() -> None:
    assert (
        link_words("See [[Note#Head]] and ![[pic.png]] or [[x|y]].") == "See Note > Head and  or y."
    )
    assert tags_only("#ml #serving/batch") and tags_only("> #ml, #ops")
    assert not tags_only("We use #kafka for events.")


def test_front_matter_takes_plain_values_only() -> None:
    bomb = ["---", "a: &a [x, x, x, x, x, x, x, x, x]"]
    bomb += [
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    bomb += ["tags: [*i, real]", "aliases: *i", "title: [*i]", "---"]
    front = front_matter(bomb)  # written out, *i would be 9**9 strings
    assert (front.tags, front.aliases, front.title) == (("real",), (), None)
    assert front_matter(["---", "tags: [true, 2024, x]", "title: 42", "---"]).title == "42"

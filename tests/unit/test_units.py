"""Answer units: sentences, lists, tables and callout bodies, as plain text with their lines."""

from __future__ import annotations

from ragnotes.answers.units import grounded, plain, units

PASSAGE = """## When to prefer batch inference

Batch inference runs the model on a **schedule** and writes the outputs to a `store`. See the
[serving notes](serving.md) for more.

What I check, in order:

1. **Known inputs.** The set of inputs is known ahead of time.
2. **Freshness.** A freshness of hours to a day is acceptable.

| option | latency |
| --- | --- |
| **batch** | a few ms |

> [!warning] Watch the cost
> Batch wastes compute on users who never show up.

> A quoted line from somewhere else is never used as a sentence.

*A caption under a diagram of the batch pipeline*
"""


def test_units_are_plain_text_in_reading_order() -> None:
    found = units(PASSAGE)
    kinds = [u.kind for u in found]
    assert kinds == ["sentence", "sentence", "list", "table", "sentence", "sentence"]
    texts = [p.text for u in found for p in u.pieces]
    for text in texts:
        assert not any(mark in text for mark in ("**", "`", "](", "|"))
    assert (
        texts[0]
        == "Batch inference runs the model on a schedule and writes the outputs to a store."
    )
    assert texts[1] == "See the serving notes for more."


def test_a_list_keeps_its_lead_numbers_and_lines() -> None:
    lst = next(u for u in units(PASSAGE) if u.kind == "list")
    assert lst.lead is not None and lst.lead.text == "What I check, in order:"
    assert [p.number for p in lst.pieces] == [1, 2]
    assert lst.pieces[0].text == "Known inputs. The set of inputs is known ahead of time."
    assert [(p.first, p.last) for p in lst.pieces] == [(7, 7), (8, 8)]


def test_a_table_is_read_row_by_row_with_its_header() -> None:
    table = next(u for u in units(PASSAGE) if u.kind == "table")
    assert table.header == ("option", "latency")
    assert table.first == 10 and table.pieces[0].first == 12  # the header line, then the row
    assert table.pieces[0].cells == ("batch", "a few ms")
    assert table.pieces[0].text == "option: batch; latency: a few ms"


def test_a_callout_body_is_used_and_a_plain_quote_is_not() -> None:
    texts = [p.text for u in units(PASSAGE) for p in u.pieces]
    assert "Batch wastes compute on users who never show up." in texts
    assert not any("Watch the cost" in t for t in texts)
    assert not any("somewhere else" in t for t in texts)


def test_a_caption_is_marked_as_boilerplate() -> None:
    last = units(PASSAGE)[-1]
    assert last.pieces[0].text.startswith("A caption") and last.pieces[0].boiler


def test_grounded_checks_every_item_against_the_passage() -> None:
    lst = next(u for u in units(PASSAGE) if u.kind == "list")
    assert grounded(lst, PASSAGE)
    assert not grounded(lst, PASSAGE.replace("hours to a day", "minutes"))
    assert " schedule and writes " in plain(PASSAGE)


def test_nested_items_are_items_of_their_own() -> None:
    text = "- Performance\n  - [GC at Adobe](https://example.com/gc)\n  - Tuning the JVM for tail latency\n"
    (lst,) = units(text)
    assert [p.text for p in lst.pieces] == [
        "Performance",
        "GC at Adobe",
        "Tuning the JVM for tail latency",
    ]
    assert [(p.first, p.last) for p in lst.pieces] == [(0, 0), (1, 1), (2, 2)]

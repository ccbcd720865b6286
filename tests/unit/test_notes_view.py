"""How a note's blocks are grouped under cited spans."""

from __future__ import annotations

from ragnotes.service.notes_view import block_groups
from ragnotes.service.render import note_blocks

NOTE = "---\ntitle: T\n---\n# T\n\nOne.\nTwo.\n\n```\ncode\n```\nEnd.\n"


def _grouped(spans: list[tuple[int, int]]) -> list[tuple[str | None, list[int]]]:
    groups = block_groups(note_blocks(NOTE, "/notes/n.md"), spans)
    return [(g.anchor, [b.start_line for b in g.blocks]) for g in groups]


def test_cited_spans_group_the_blocks_they_overlap() -> None:
    # blocks: heading 4 (the front matter, 1-3, is not shown), paragraph 6-7, code 9-11, paragraph 12
    assert _grouped([(6, 7), (9, 11), (6, 7)]) == [
        (None, [4]),
        ("L6-L7", [6]),
        ("L9-L11", [9]),
        (None, [12]),
    ]
    assert _grouped([(7, 10)]) == [(None, [4]), ("L7-L10", [6, 9]), (None, [12])]


def test_overlapping_and_out_of_range_spans_are_left_ungrouped() -> None:
    assert _grouped([(6, 9), (10, 11), (13, 40), (5, 4)]) == [
        (None, [4]),
        ("L6-L9", [6, 9]),
        (None, [12]),
    ]

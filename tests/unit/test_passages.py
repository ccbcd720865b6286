"""answers/passages.py on its own: the link a citation carries."""

from __future__ import annotations

from ragnotes.answers.passages import line_url


def test_readme_lines_link_to_github_pinned_to_the_commit() -> None:
    url = line_url("feast-dev/feast", "README.md", "0123abc", 12, 30)
    assert url == "https://github.com/feast-dev/feast/blob/0123abc/README.md#L12-L30"


def test_notes_and_unpinned_files_link_to_the_note_viewer() -> None:
    assert line_url("notes", "serving/batch.md", None, 3, 9) == "/notes/serving/batch.md#L3-L9"
    assert line_url("notes", "a.md", "0123abc", 1, 1) == "/notes/a.md#L1-L1"
    assert line_url("feast-dev/feast", "README.md", None, 5, 6) == "/notes/README.md#L5-L6"


def test_a_path_with_spaces_or_hashes_is_percent_encoded_so_any_client_opens_it() -> None:
    assert line_url("notes", "topics/Feature Hashing.md", None, 8, 13) == (
        "/notes/topics/Feature%20Hashing.md#L8-L13"
    )
    assert line_url("notes", "C# tips.md", None, 1, 2) == "/notes/C%23%20tips.md#L1-L2"
    assert line_url("o/r", "docs/a b.md", "abc", 1, 1).endswith("/blob/abc/docs/a%20b.md#L1-L1")

"""answers/passages.py on its own: the link a citation carries, and its `stale` flag."""

from __future__ import annotations

import gc
import os
import weakref
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from ragnotes.answers.passages import citation, line_url, to_passages
from ragnotes.index.chunking import Chunk
from ragnotes.index.freshness import FileHashes
from ragnotes.index.searcher import Hit, Searcher
from ragnotes.index.store import DocInfo


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


def test_a_citation_says_stale_as_soon_as_its_file_changes_and_not_after_it_is_restored(
    tmp_path: Path,
) -> None:
    """What a citation keeps per chunk (its link, its file) must not keep `stale` too."""
    note = tmp_path / "a.md"
    note.write_text("# A\n\nline one\n")
    doc = DocInfo("notes", "a.md", str(note), FileHashes().sha256(note) or "", None, None)
    searcher = cast(Searcher, SimpleNamespace(docs={("notes", "a.md"): doc}))
    chunk = Chunk("c0", "notes", "a.md", "A", "A", 3, 3, "line one", "line one", tags=("x",))
    hashes = FileHashes()
    first = citation(chunk, searcher, hashes)
    assert (first.stale, first.url, first.tags) == (False, "/notes/a.md#L3-L3", ["x"])
    for text, when, stale in (
        ("# A\n\nline two\n", 10**9, True),
        ("# A\n\nline one\n", 2 * 10**9, False),
    ):
        note.write_text(text)
        os.utime(note, ns=(when, when))  # same size each time: the modification time tells
        assert citation(chunk, searcher, hashes).stale is stale
    assert citation(chunk, searcher).stale is False  # without hashes, nothing is checked
    note.unlink()
    assert citation(chunk, searcher, hashes).stale is True  # a deleted file changed too


def _one_note(tmp_path: Path, commit: str | None = None) -> tuple[Path, Searcher]:
    note = tmp_path / "a.md"
    note.write_text("# A\n\nline one\n\nline two\n")
    doc = DocInfo("o/r", "a.md", str(note), FileHashes().sha256(note) or "", commit, "MIT")
    return note, cast(Searcher, SimpleNamespace(docs={("o/r", "a.md"): doc}))


def _chunk(first: int, last: int) -> Chunk:
    return Chunk(f"c{first}", "o/r", "a.md", "A", "A", first, last, "t", "t", tags=("x",))


def test_each_chunk_object_gets_its_own_citation_and_its_searchers_docs(tmp_path: Path) -> None:
    """Citations are kept by chunk object: equal-looking chunks, a chunk of another build (other
    docs), must each get what their own fields and docs say."""
    _, searcher = _one_note(tmp_path, commit="c1")
    first, second = _chunk(3, 3), _chunk(5, 5)
    assert citation(first, searcher).url.endswith("/blob/c1/a.md#L3-L3")
    assert citation(second, searcher).url.endswith("/blob/c1/a.md#L5-L5")
    assert citation(_chunk(3, 3), searcher).url.endswith("/blob/c1/a.md#L3-L3")
    (tmp_path / "b").mkdir()
    _, rebuilt = _one_note(tmp_path / "b", commit="c2")  # the same chunk, with newer docs
    assert citation(first, rebuilt).url.endswith("/blob/c2/a.md#L3-L3")
    assert citation(first, searcher).url.endswith("/blob/c1/a.md#L3-L3")
    cited = citation(first, searcher)
    cited.tags.append("y")  # a caller's change to its citation is not the next caller's
    assert citation(first, searcher).tags == ["x"]


class _CountingHashes(FileHashes):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def sha256(self, file: Path | str) -> str | None:
        self.asked.append(str(file))
        return super().sha256(file)


def _hit(chunk: Chunk) -> Hit:
    return Hit(chunk, 0.5, 1, 1, 0.9, 3.0)


def test_a_response_looks_at_each_file_once_and_the_next_response_again(tmp_path: Path) -> None:
    note, searcher = _one_note(tmp_path)
    hits = [_hit(_chunk(3, 3)), _hit(_chunk(5, 5))]
    hashes = _CountingHashes()
    passages = to_passages(hits, searcher, hashes, "line")
    assert hashes.asked == [str(note)]
    assert [p.citation.stale for p in passages] == [False, False]
    note.write_text("# A\n\nline one, changed\n\nline two\n")
    passages = to_passages(hits, searcher, hashes, "line")
    assert hashes.asked == [str(note)] * 2
    assert [p.citation.stale for p in passages] == [True, True]
    assert [p.citation.start_line for p in passages] == [3, 5]


def test_citations_kept_do_not_keep_a_chunk_alive_nor_go_to_its_successor(
    tmp_path: Path,
) -> None:
    """An old build's chunks must be freed; a new chunk at a freed one's address (ids are
    reused) gets its own citation."""
    _, searcher = _one_note(tmp_path)
    old = _chunk(3, 3)
    citation(old, searcher)
    gone = weakref.ref(old)
    del old
    gc.collect()
    assert gone() is None
    for first in range(4, 40):  # likely one of them takes the freed chunk's place
        assert citation(_chunk(first, first), searcher).start_line == first

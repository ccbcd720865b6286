"""Reading one Markdown file: its text with "\n" line ends, or one reason it cannot be indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragnotes.corpus.reading import Skipped, read_markdown


def _read(tmp_path: Path, raw: bytes, max_bytes: int = 1000) -> str | Skipped:
    file = tmp_path / "note.md"
    file.write_bytes(raw)
    return read_markdown(file, max_bytes)


def test_text_keeps_its_words_with_one_kind_of_line_end(tmp_path: Path) -> None:
    assert _read(tmp_path, b"\xef\xbb\xbf# T\r\n\r\nbody\rend\n") == "# T\n\nbody\nend\n"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"# T\n\x00\x01", "binary file (contains NUL bytes)"),
        (b"# Caf\xe9\n", "not UTF-8 (invalid byte at offset 5); save it as UTF-8"),
        (b" \n\n\t\n", "empty file"),
        (b"x" * 1001, "too large (0.0 MB; the limit is 0.001 MB: raise RAGNOTES_MAX_FILE_MB"),
    ],
)
def test_a_file_that_cannot_be_indexed_says_why(tmp_path: Path, raw: bytes, reason: str) -> None:
    skipped = _read(tmp_path, raw)
    assert isinstance(skipped, Skipped) and skipped.reason.startswith(reason)


def test_a_file_gone_before_it_is_read_is_named_as_deleted(tmp_path: Path) -> None:
    skipped = read_markdown(tmp_path / "gone.md")
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "deleted while indexing; it is left out of this build"

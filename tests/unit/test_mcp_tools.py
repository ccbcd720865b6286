"""Where `get` and the MCP resources may read: the indexed file, by the note viewer's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragnotes.errors import NotFoundError
from ragnotes.index.store import DocInfo
from ragnotes.service.mcp_tools import indexed_file, line_range


def _doc(file: Path, path: str, source: str = "owner/name") -> DocInfo:
    return DocInfo(source, path, str(file), sha256="", commit="abc123", license="MIT")


def test_a_readme_is_found_in_its_repo_folder(tmp_path: Path) -> None:
    file = tmp_path / "readmes" / "owner__name" / "docs" / "guide.md"
    file.parent.mkdir(parents=True)
    file.write_text("# Guide\n")
    assert indexed_file(_doc(file, "docs/guide.md")) == file.resolve()


def test_a_file_swapped_for_a_link_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (tmp_path / "secret.md").write_text("# Secret\n")
    (folder / "note.md").symlink_to(tmp_path / "secret.md")
    with pytest.raises(NotFoundError):
        indexed_file(_doc(folder / "note.md", "note.md", "notes"))


@pytest.mark.parametrize("path", ["../secret.md", ".hidden.md", "notes.txt"])
def test_odd_paths_are_refused_even_from_the_index(tmp_path: Path, path: str) -> None:
    (tmp_path / "secret.md").write_text("# Secret\n")
    with pytest.raises(NotFoundError):
        indexed_file(_doc(tmp_path / "notes" / path, path, "notes"))


@pytest.mark.parametrize(
    ("start", "end", "total", "lines"),
    [
        (None, None, 10, (1, 10)),
        (3, None, 10, (3, 10)),
        (3, 99, 10, (3, 10)),
        (None, None, 1000, (1, 400)),  # one call reads 400 lines at most
        (5, 5, 10, (5, 5)),
    ],
)
def test_line_ranges(
    start: int | None, end: int | None, total: int, lines: tuple[int, int]
) -> None:
    assert line_range(start, end, total) == lines

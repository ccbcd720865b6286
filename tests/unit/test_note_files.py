"""Which files a note path may open: inside the notes folders, readable, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragnotes.errors import NotFoundError
from ragnotes.service.note_files import read_note, resolve_note


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "sub").mkdir(parents=True)
    second.mkdir()
    (first / "sub" / "deep.md").write_text("# Deep\n")
    (first / "both.md").write_text("first\n")
    (second / "both.md").write_text("second\n")
    (second / "only.markdown").write_text("only\n")
    (first / "notes.txt").write_text("not markdown\n")
    (first / ".hidden.md").write_text("hidden\n")
    (tmp_path / "secret.md").write_text("outside\n")
    (first / "escape.md").symlink_to(tmp_path / "secret.md")
    (first / "inside.md").symlink_to(first / "sub" / "deep.md")
    (first / "away").symlink_to(tmp_path, target_is_directory=True)
    return first, second


def test_notes_inside_the_folders_resolve(roots: tuple[Path, Path]) -> None:
    first, second = roots
    assert resolve_note(roots, "sub/deep.md") == (first / "sub" / "deep.md").resolve()
    assert resolve_note(roots, "only.markdown") == (second / "only.markdown").resolve()
    assert resolve_note(roots, "inside.md") == (first / "sub" / "deep.md").resolve()


def test_the_first_folder_wins_a_path_clash(roots: tuple[Path, Path]) -> None:
    assert read_note(resolve_note(roots, "both.md")) == "first\n"


@pytest.mark.parametrize(
    "path",
    [
        "../secret.md",
        "sub/../both.md",
        "/etc/passwd",
        "//etc/passwd.md",
        "escape.md",  # a symlink that leads out of the folder
        "away/secret.md",  # a symlinked folder that leads out
        "notes.txt",
        ".hidden.md",
        "missing.md",
        "sub/",
        "",
        "both.md\x00.md",
        "sub\\deep.md",
        "./both.md",
    ],
)
def test_anything_else_is_not_found(roots: tuple[Path, Path], path: str) -> None:
    with pytest.raises(NotFoundError):
        resolve_note(roots, path)


def test_unreadable_notes_are_not_found(tmp_path: Path) -> None:
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x00\x01")
    with pytest.raises(NotFoundError, match="binary"):
        read_note(binary)

"""The notes folders recorded in a data directory: added, removed, kept across builds, and
a build refused when it would drop a folder's notes unasked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragnotes.corpus.notes_folders import (
    FILE_NAME,
    NotesFolders,
    dropped_folders,
    folder_of,
    refuse_drops,
)
from ragnotes.errors import ConfigError


def test_folders_are_recorded_absolute_and_survive_a_reread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "vault").mkdir()
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    NotesFolders().add(Path("vault")).write(data)
    assert NotesFolders.read(data).folders == ((tmp_path / "vault").resolve(),)
    assert (data / FILE_NAME).is_file()


def test_adding_a_missing_folder_or_removing_an_unknown_one_says_what_is_wrong(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        NotesFolders().add(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="not a recorded notes folder"):
        NotesFolders().remove(tmp_path)


def test_a_removed_folder_is_pending_until_the_next_build(tmp_path: Path) -> None:
    state = NotesFolders().add(tmp_path).remove(tmp_path)
    assert state.folders == () and state.removed == (tmp_path.resolve(),)
    assert state.built([]).removed == ()
    assert state.add(tmp_path).removed == ()  # added back: nothing to drop


def test_a_damaged_state_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{not json")
    with pytest.raises(ConfigError, match="cannot be read"):
        NotesFolders.read(tmp_path)


def test_drops_are_counted_per_folder_and_refused_unless_allowed() -> None:
    indexed = [("/v/a.md", "a.md"), ("/v/sub/b.md", "sub/b.md"), ("/w/c.md", "c.md")]
    assert folder_of("/v/sub/b.md", "sub/b.md") == Path("/v")
    assert dropped_folders(indexed, [Path("/w")], []) == {Path("/v"): 2}
    assert dropped_folders(indexed, [Path("/w")], [Path("/v")]) == {}
    with pytest.raises(ConfigError, match=r"drop the 2 indexed notes of /v.*--prune"):
        refuse_drops(indexed, [Path("/w")], [])
    refuse_drops(indexed, [Path("/v"), Path("/w")], [])

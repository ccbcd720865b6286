"""`ragnotes notes add|remove|list` on a data directory of its own."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ragnotes.service.cli import main
from ragnotes.service.notes_cli import add_notes_commands


def test_notes_are_added_listed_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "vault").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["notes", "add", "vault"]) == 0
    assert main(["notes", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"{(tmp_path / 'vault').resolve()}\t0 notes indexed\n" in listed
    assert main(["notes", "remove", str(tmp_path / "vault")]) == 0
    main(["notes", "list"])
    assert "(removed: they leave at the next index)" in capsys.readouterr().out


def test_a_folder_that_is_not_there_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAGNOTES_DATA_DIR", str(tmp_path))
    assert main(["notes", "add", str(tmp_path / "nowhere")]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a folder" in err


def test_the_group_stands_alone_on_any_parser() -> None:
    parser = argparse.ArgumentParser(prog="x")
    add_notes_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["notes", "remove", "/v"])
    assert (args.notes_command, args.folder, args.handler.__name__) == (
        "remove",
        "/v",
        "cmd_notes_remove",
    )

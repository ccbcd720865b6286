"""The curated README list: every repo pinned to a commit, and a bad entry named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragnotes.corpus.curated import CURATED_PATH, load_curated
from ragnotes.errors import ConfigError


def test_every_listed_repo_is_pinned_to_a_commit_with_a_license_and_files() -> None:
    repos = load_curated()
    assert len(repos) == len({r.name for r in repos}) > 0
    for repo in repos:
        assert repo.name.count("/") == 1 and len(repo.commit) == 40 and repo.license
        assert repo.files and all(not f.startswith("/") and ".." not in f for f in repo.files)


def test_a_repo_names_its_folder_after_owner_and_name() -> None:
    repo = load_curated(CURATED_PATH)[0]
    owner, name = repo.name.split("/")
    assert repo.folder == f"{owner}__{name}"


def test_an_entry_without_a_field_is_named(tmp_path: Path) -> None:
    listed = tmp_path / "readmes.toml"
    listed.write_text('[[repo]]\nname = "a/b"\ncommit = "c"\nlicense = "MIT"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="repo entry 1 lacks the field 'files'"):
        load_curated(listed)


def test_a_list_that_is_not_toml_is_named(tmp_path: Path) -> None:
    listed = tmp_path / "readmes.toml"
    listed.write_text("[[repo]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the curated README list"):
        load_curated(listed)

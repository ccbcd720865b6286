"""Wikilink targets resolved as Obsidian resolves them."""

from __future__ import annotations

from ragnotes.corpus.links import FileNames

PATHS = ["Ranking.md", "ml/Ranking.md", "ml/serving/Batch.md", "ops/Batch.md", "img/diagram.png"]


def test_a_path_from_the_root_wins_and_case_does_not_matter() -> None:
    names = FileNames(PATHS)
    assert names.resolve("ranking") == "Ranking.md"
    assert names.resolve("ML/ranking.md") == "ml/Ranking.md"
    assert names.resolve("serving/batch") == "ml/serving/Batch.md"


def test_a_shared_name_resolves_to_the_same_folder_then_the_shortest_path() -> None:
    names = FileNames(PATHS)
    assert names.resolve("Batch", "ml/serving/Other.md") == "ml/serving/Batch.md"
    assert names.resolve("Batch", "Top.md") == "ops/Batch.md"
    assert names.resolve("Ranking", "ml/x.md") == "ml/Ranking.md"


def test_files_keep_their_extension_and_unknown_names_resolve_to_nothing() -> None:
    names = FileNames(PATHS)
    assert names.resolve("diagram.png") == "img/diagram.png"
    assert names.resolve("Nowhere") is None
    assert names.resolve("", "ml/Ranking.md") == "ml/Ranking.md"

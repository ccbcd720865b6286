from __future__ import annotations

from pathlib import Path

from ragnotes.corpus.documents import discover_notes, fingerprint


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\ntext\n")
    (tmp_path / "empty.md").write_text("  \n")
    (tmp_path / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "bin.md").write_bytes(b"\x00\x01\x02")
    (tmp_path / "huge.md").write_text("x" * 2_100_000)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "notes.txt").write_text("not markdown")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.md").write_text("# hidden")
    docs, skipped, passed_over = discover_notes([tmp_path])
    assert [d.path for d in docs] == ["good.md"]
    reasons = {s.file.name: s.reason for s in skipped}
    assert set(reasons) == {"empty.md", "latin1.md", "bin.md", "huge.md", "notes.txt"}
    assert passed_over == 1  # the image: an attachment, counted, not a problem
    assert reasons["empty.md"] == "empty file"
    assert reasons["latin1.md"].startswith("not UTF-8")
    assert reasons["bin.md"].startswith("binary")
    assert reasons["huge.md"].startswith("too large")
    assert reasons["notes.txt"].startswith("not a Markdown file")


def test_ignore_file_and_exclude_patterns_leave_files_out_quietly(tmp_path: Path) -> None:
    for path in ["a.md", "private/secret.md", "drafts/d.md", "keep/drafts.md", "x.canvas"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("# note\n\ntext\n")
    (tmp_path / ".ragnotesignore").write_text("# private things\nprivate/\n")
    docs, skipped, passed_over = discover_notes([tmp_path], exclude=["drafts/"])
    assert sorted(d.path for d in docs) == ["a.md", "keep/drafts.md"]
    assert skipped == [] and passed_over == 1  # the canvas; ignored folders are not walked


def test_fingerprint_ignores_order_but_not_content(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n")
    (tmp_path / "b.md").write_text("# B\n")
    docs, _, _ = discover_notes([tmp_path])
    assert fingerprint(docs) == fingerprint(list(reversed(docs)))
    (tmp_path / "b.md").write_text("# B changed\n")
    changed, _, _ = discover_notes([tmp_path])
    assert fingerprint(changed) != fingerprint(docs)


def test_symlinks_leading_out_of_the_notes_folder_are_ignored(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    outside = tmp_path / "secret.md"
    outside.write_text("# Secret\n\nnot a note\n")
    (notes / "inside.md").write_text("# Inside\n")
    (notes / "link-out.md").symlink_to(outside)
    (notes / "link-in.md").symlink_to(notes / "inside.md")
    docs, _, _ = discover_notes([notes])
    assert sorted(d.path for d in docs) == ["inside.md", "link-in.md"]

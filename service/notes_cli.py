"""`ragnotes notes add|remove|list`: the notes folders recorded in the data directory.

The folders are state (corpus/notes_folders.py): every later `ragnotes index`, `serve`, `mcp`
and `/api/reindex` indexes them, whatever directory it runs from.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ragnotes.corpus.documents import BUNDLED_NOTES_DIR
from ragnotes.corpus.notes_folders import NotesFolders, folder_of

if TYPE_CHECKING:
    from ragnotes.service.cli import Subcommands
    from ragnotes.service.settings import Settings


def cmd_notes_add(args: argparse.Namespace, settings: Settings) -> int:
    state = NotesFolders.read(settings.data_dir).add(Path(args.folder))
    state.write(settings.data_dir)
    print(f"added {state.folders[-1]}; run `ragnotes index` to index its notes")
    return 0


def cmd_notes_remove(args: argparse.Namespace, settings: Settings) -> int:
    state = NotesFolders.read(settings.data_dir).remove(Path(args.folder))
    state.write(settings.data_dir)
    gone = state.removed[-1]
    count = _indexed_counts(settings)[gone]
    print(f"removed {gone}; its {count} indexed notes leave the index at the next `ragnotes index`")
    return 0


def cmd_notes_list(args: argparse.Namespace, settings: Settings) -> int:
    counts = _indexed_counts(settings)
    state = NotesFolders.read(settings.data_dir)
    if settings.bundled_notes:
        print(f"{BUNDLED_NOTES_DIR}\t{counts[BUNDLED_NOTES_DIR]} notes indexed (bundled)")
    for folder in state.folders:
        missing = "" if folder.is_dir() else " (not found: mount it or `ragnotes notes remove`)"
        print(f"{folder}\t{counts[folder]} notes indexed{missing}")
    for folder in state.removed:
        print(f"{folder}\t{counts[folder]} notes indexed (removed: they leave at the next index)")
    return 0


def _indexed_counts(settings: Settings) -> Counter[Path]:
    """How many notes of each folder the live build holds."""
    from ragnotes.index.build import live_notes  # faiss and the rest load only when needed

    return Counter(folder_of(file, path) for file, path in live_notes(settings.store()))


def add_notes_commands(sub: Subcommands) -> None:
    """`notes add`, `notes remove` and `notes list`."""
    notes = sub.add_parser("notes", help="the notes folders this data directory indexes")
    actions = notes.add_subparsers(dest="notes_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="index a notes folder from the next build on")
    add.add_argument("folder", metavar="DIR")
    add.set_defaults(handler=cmd_notes_add)
    remove = actions.add_parser("remove", help="leave a notes folder out from the next build on")
    remove.add_argument("folder", metavar="DIR")
    remove.set_defaults(handler=cmd_notes_remove)
    listing = actions.add_parser("list", help="the notes folders, with their indexed notes")
    listing.set_defaults(handler=cmd_notes_list)

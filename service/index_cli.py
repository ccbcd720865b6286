"""`ragnotes readmes sync` and `ragnotes index`: what goes into the index, built in the foreground.

`ragnotes index` makes the build a server's re-index job makes (`build_configured`,
service/reindex.py), in this process, with a progress bar per stage, the files it left out, and a
summary line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ragnotes.service.ray_cluster import add_ray_arguments

if TYPE_CHECKING:
    from ragnotes.corpus.documents import Discovery
    from ragnotes.index.build import BuildResult
    from ragnotes.index.vector_cache import FanOut
    from ragnotes.service.cli import Subcommands
    from ragnotes.service.settings import Settings

MAX_LISTED_SKIPS = 20


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.corpus.curated import load_curated
    from ragnotes.corpus.sync import sync_readmes

    origin = f"the mirror {args.mirror}" if args.mirror else "GitHub"
    print(f"syncing curated READMEs from {origin} into {settings.readmes_dir}", file=sys.stderr)
    report = sync_readmes(
        load_curated(),
        settings.readmes_dir,
        Path(args.mirror) if args.mirror else None,
        on_repo=lambda repo: print(
            f"  {repo.name} @ {repo.commit[:10]} ({len(repo.files)} files)", file=sys.stderr
        ),
    )
    print(f"synced {report.repos} repos, {report.files} files, {report.bytes / 1e6:.2f} MB")
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    fan_out = None
    if args.ray:
        from ragnotes.service.ray_cluster import ray_fan_out

        fan_out = ray_fan_out(settings, args)
    return index_with_progress(settings, full=args.full, prune=args.prune, fan_out=fan_out)


def summary_line(result: BuildResult) -> str:
    """One line: files, chunks, seconds, chunks per second."""
    rate = result.chunks / result.seconds if result.seconds > 0 else 0.0
    return (
        f"indexed {result.files} files into {result.chunks} chunks in {result.seconds:.1f} s "
        f"({rate:.0f} chunks/s; {result.embedded} embedded, {result.chunks - result.embedded} from cache; "
        f"{result.reused_files} files unchanged) -> build {result.build_id}"
    )


_STAGE_BARS = {
    "chunk": ("chunking", "file"),
    "embed": ("embedding", "chunk"),
    "write": ("writing", "build"),
}


def index_with_progress(
    settings: Settings, full: bool = False, prune: bool = False, fan_out: FanOut | None = None
) -> int:
    """`ragnotes index`: build with a progress bar per stage, name what was skipped, print a
    summary. With `fan_out`, the embedding runs there (`ragnotes index --ray`)."""
    from tqdm import tqdm

    from ragnotes.service.reindex import build_configured

    embedder = settings.load_embedder()
    bar: tqdm | None = None
    shown = ""

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar, shown
        if stage != shown:
            if bar is not None:
                bar.close()
            desc, unit = _STAGE_BARS.get(stage, (stage, "step"))
            bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=None)
            shown = stage
        assert bar is not None
        bar.update(done - bar.n)

    try:
        result, found = build_configured(settings, embedder, progress, full, prune, fan_out)
    finally:
        if bar is not None:
            bar.close()
    _print_left_out(found)
    if result.full_reason and result.full_reason != "no previous build":
        print(f"full rebuild: {result.full_reason}", file=sys.stderr)
    print(summary_line(result))
    return 0


def _print_left_out(found: Discovery) -> None:
    if found.passed_over:
        print(
            f"passed over {found.passed_over} attachments and ignored files of the notes folders",
            file=sys.stderr,
        )
    for skip in found.skipped[:MAX_LISTED_SKIPS]:
        print(f"skipped {skip.file}: {skip.reason}", file=sys.stderr)
    if len(found.skipped) > MAX_LISTED_SKIPS:
        more = len(found.skipped) - MAX_LISTED_SKIPS
        print(f"... and {more} more skipped files", file=sys.stderr)
    if found.missing_repos:
        print(
            f"{len(found.missing_repos)} curated repos are not synced and were left out; "
            "run `ragnotes readmes sync` to add them",
            file=sys.stderr,
        )


def add_index_commands(sub: Subcommands) -> None:
    """`readmes sync` and `index`: what goes into the index."""
    readmes = sub.add_parser("readmes", help="manage the curated READMEs")
    readmes_sub = readmes.add_subparsers(dest="readmes_command", required=True, metavar="ACTION")
    sync = readmes_sub.add_parser("sync", help="fetch the curated READMEs at their pinned commits")
    sync.add_argument(
        "--from",
        dest="mirror",
        metavar="DIR",
        help="copy from a local mirror laid out as DIR/OWNER__NAME/<path>",
    )
    sync.set_defaults(handler=cmd_sync)

    index = sub.add_parser("index", help="build or update the index")
    index.add_argument(
        "--notes",
        action="append",
        metavar="DIR",
        help="a notes folder to index (repeatable); also RAGNOTES_NOTES_DIR",
    )
    index.add_argument("--no-bundled", action="store_true", help="leave out the bundled notes")
    index.add_argument("--no-readmes", action="store_true", help="leave out the curated READMEs")
    index.add_argument(
        "--full", action="store_true", help="re-embed everything, ignoring cached vectors"
    )
    add_ray_arguments(index, "embed on a Ray cluster's workers (pip install 'ragnotes[ray]')")
    index.add_argument(
        "--prune",
        action="store_true",
        help="drop the notes of folders that are no longer notes folders",
    )
    index.set_defaults(handler=cmd_index)

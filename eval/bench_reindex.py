"""Benchmark: re-indexing one added note vs a full rebuild, and query latency during a re-index.

Run: `.venv/bin/python -m ragnotes_eval.bench_reindex [--mirror DIR] [--skip-full]`. It works on copies
(a temporary notes folder and data directory), prints figures, and asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx

from ragnotes.corpus.curated import load_curated
from ragnotes.corpus.documents import BUNDLED_NOTES_DIR
from ragnotes.corpus.sync import sync_readmes
from ragnotes.index.build import index_sources
from ragnotes.index.embedding import Embedder
from ragnotes.service.app import create_app
from ragnotes.service.settings import Settings
from ragnotes_eval.loopback import served
from ragnotes_eval.metrics import mean, percentile

TOKEN = "bench-token"
QUERIES = [
    "when should I prefer batch inference over online inference?",
    "how do I detect data drift in production",
    "point in time join feature store",
    "two tower model for candidate generation",
    "how to size an A/B test",
    "cold start for new items",
    "HNSW vs IVF for approximate nearest neighbours",
    "calibration for ad click prediction",
]


def _query_loop(base: str, stop: threading.Event, out: list[tuple[float, float]]) -> None:
    """Query until told to stop, recording (start time, latency ms)."""
    with httpx.Client(base_url=base, timeout=60) as http:
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            http.get(
                "/api/search", params={"q": QUERIES[i % len(QUERIES)], "k": 5}
            ).raise_for_status()
            out.append((started, (time.perf_counter() - started) * 1000))
            i += 1


def _reindex(http: httpx.Client) -> tuple[float, float, str]:
    """Start a job, wait for it; (start, end, build id)."""
    started = time.perf_counter()
    job = http.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"}).json()["job_id"]
    while (status := http.get(f"/api/reindex/{job}").json())["state"] == "running":
        time.sleep(0.2)  # poll like a client would, not so often that polling is the load
    return started, time.perf_counter(), str(status["build_id"])


def _indexed(args: argparse.Namespace, work: Path) -> tuple[Settings, Embedder]:
    """A copy of the bundled notes and the READMEs indexed in `work`, full and no-change builds timed."""
    notes = work / "notes"
    shutil.copytree(BUNDLED_NOTES_DIR, notes)
    settings = Settings(
        data_dir=work / "data", notes_dir=str(notes), bundled_notes=False, admin_token=TOKEN
    )
    sync_readmes(load_curated(), settings.readmes_dir, Path(args.mirror))
    if Path(args.cache).is_file():
        (settings.data_dir / "cache").mkdir(parents=True)
        shutil.copy(args.cache, settings.data_dir / "cache" / "vectors.sqlite")
    embedder = settings.load_embedder()
    if not args.skip_full:
        full, _ = index_sources(
            settings.sources(), embedder, settings.store(), settings.build_options(full=True)
        )
        print(
            f"full rebuild (re-embed everything): {full.files} files, {full.chunks} chunks, {full.seconds:.1f} s"
        )
    warm, _ = index_sources(settings.sources(), embedder, settings.store())
    print(f"no-change rebuild: {warm.files} files, {warm.chunks} chunks, {warm.seconds:.2f} s")
    return settings, embedder


def _idle_latencies(base: str, seconds: float) -> list[float]:
    """Query latencies (ms) with no build running."""
    idle: list[tuple[float, float]] = []
    stop = threading.Event()
    loop = threading.Thread(target=_query_loop, args=(base, stop, idle))
    loop.start()
    time.sleep(seconds)
    stop.set()
    loop.join()
    return [ms for _, ms in idle]


def _add_one_note(http: httpx.Client, notes: Path) -> float:
    """Seconds from writing a note to finding it over HTTP, through one re-index job."""
    (notes / "bench-added.md").write_text(
        "# Added note\n\nThe axolotl ranking trick reorders feeds by freshness.\n"
    )
    started = time.perf_counter()
    _reindex(http)
    while not any(
        p["citation"]["path"] == "bench-added.md"
        for p in http.get("/api/search", params={"q": "axolotl ranking trick", "k": 3}).json()[
            "passages"
        ]
    ):
        time.sleep(0.1)
    return time.perf_counter() - started


def _during_jobs(
    http: httpx.Client, base: str, notes: Path, seconds: float
) -> tuple[list[float], list[tuple[float, float]]]:
    """Re-index jobs back to back for `seconds` while a client queries: the latencies (ms) of
    queries sent while a job ran, and each job's (start, end)."""
    during: list[tuple[float, float]] = []
    windows: list[tuple[float, float]] = []
    stop = threading.Event()
    loop = threading.Thread(target=_query_loop, args=(base, stop, during))
    loop.start()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        (notes / "bench-added.md").write_text(
            f"# Added note\n\nRevision {len(windows)} of the axolotl ranking trick.\n"
        )
        start, end, _ = _reindex(http)
        windows.append((start, end))
    stop.set()
    loop.join()
    in_job = [ms for t, ms in during if any(a <= t <= b for a, b in windows)]
    return in_job, windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--mirror", default="../shared/corpus/readmes", help="curated README mirror"
    )
    parser.add_argument(
        "--cache", default="data/cache/vectors.sqlite", help="vector cache to start from"
    )
    parser.add_argument("--skip-full", action="store_true", help="skip timing a full re-embed")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each latency window")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ragnotes-bench-"))
    settings, embedder = _indexed(args, work)
    notes = work / "notes"
    app = create_app(settings, embedder)
    with served(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        app.state.build_worker.wait_ready()  # measure queries, not the worker's model loading
        idle_ms = _idle_latencies(base, args.seconds)
        added_s = _add_one_note(http, notes)
        in_job, windows = _during_jobs(http, base, notes, args.seconds)

    print(f"add one note -> searchable over HTTP: {added_s:.2f} s (target < 3 s)")
    print(
        f"re-index jobs run back to back: {len(windows)}, mean {mean([b - a for a, b in windows]):.2f} s each"
    )
    print(
        f"query latency idle:        n={len(idle_ms)} p50={percentile(idle_ms, 50):.1f} ms p99={percentile(idle_ms, 99):.1f} ms"
    )
    print(
        f"query latency during jobs: n={len(in_job)} p50={percentile(in_job, 50):.1f} ms p99={percentile(in_job, 99):.1f} ms "
        f"(target p99 < {2 * percentile(idle_ms, 99):.1f} ms)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

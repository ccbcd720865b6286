"""Benchmark: re-indexing one added note vs a full rebuild, and query latency during a re-index.

Run: `.venv/bin/python -m eval.bench_reindex [--mirror DIR] [--skip-full]`. It works on copies
(a temporary notes folder and data directory), prints figures, and asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from corpus.curated import load_curated
from corpus.documents import BUNDLED_NOTES_DIR
from corpus.sync import sync_readmes
from index.pipeline import run_index
from service.app import create_app
from service.settings import Settings

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


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        full, _ = run_index(settings.sources(), embedder, settings.store(), full=True)
        print(
            f"full rebuild (re-embed everything): {full.files} files, {full.chunks} chunks, {full.seconds:.1f} s"
        )
    warm, _ = run_index(settings.sources(), embedder, settings.store())
    print(f"no-change rebuild: {warm.files} files, {warm.chunks} chunks, {warm.seconds:.2f} s")

    port = _free_port()
    app = create_app(settings, embedder)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    app.state.build_worker.wait_ready()  # measure queries, not the worker's model loading

    idle: list[tuple[float, float]] = []
    stop = threading.Event()
    loop = threading.Thread(target=_query_loop, args=(base, stop, idle))
    loop.start()
    time.sleep(args.seconds)
    stop.set()
    loop.join()
    idle_ms = [ms for _, ms in idle]

    with httpx.Client(base_url=base, timeout=60) as http:
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
        added_s = time.perf_counter() - started

        during: list[tuple[float, float]] = []
        windows: list[tuple[float, float]] = []
        stop = threading.Event()
        loop = threading.Thread(target=_query_loop, args=(base, stop, during))
        loop.start()
        deadline = time.perf_counter() + args.seconds
        n = 0
        while time.perf_counter() < deadline:
            (notes / "bench-added.md").write_text(
                f"# Added note\n\nRevision {n} of the axolotl ranking trick.\n"
            )
            start, end, _ = _reindex(http)
            windows.append((start, end))
            n += 1
        stop.set()
        loop.join()
    server.should_exit = True
    in_job = [ms for t, ms in during if any(a <= t <= b for a, b in windows)]

    print(f"add one note -> searchable over HTTP: {added_s:.2f} s (target < 3 s)")
    print(
        f"re-index jobs run back to back: {n}, mean {statistics.mean(b - a for a, b in windows):.2f} s each"
    )
    print(
        f"query latency idle:        n={len(idle_ms)} p50={_pct(idle_ms, 0.5):.1f} ms p99={_pct(idle_ms, 0.99):.1f} ms"
    )
    print(
        f"query latency during jobs: n={len(in_job)} p50={_pct(in_job, 0.5):.1f} ms p99={_pct(in_job, 0.99):.1f} ms "
        f"(target p99 < {2 * _pct(idle_ms, 0.99):.1f} ms)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`ragnotes bench`: speed and memory on the real corpus, then on synthetic corpora.

The real-corpus part builds the bundled notes and every synced curated repo from nothing in a
scratch data directory (no vector cache, so every chunk is embedded), serves that build with
`ragnotes serve` on loopback, and measures one client's latency and eight clients' throughput
over HTTP, the server's resident memory, and where a query's time goes in process. The
synthetic part is in `eval.bench_synthetic`. Figures are printed and written as JSON; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from corpus.errors import ConfigError
from eval.bench_synthetic import format_synthetic, synthetic_bench
from eval.load_server import serve_copy
from eval.machine import machine
from eval.metrics import percentile
from eval.profile_query import format_profile, profile
from eval.questions import load_questions
from index.searcher import Searcher
from service.reindex import build_configured
from service.settings import Settings

TOKEN = "bench-token"


@dataclass(frozen=True)
class BenchOptions:
    """What to measure; sizes of 0 skip the synthetic part."""

    out: Path
    sizes: tuple[int, ...] = (100_000, 1_000_000)
    rounds: int = 3
    clients: int = 8
    seconds: float = 20.0


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build_fresh(settings: Settings, data: Path) -> tuple[Settings, dict[str, Any]]:
    """Index the configured sources from nothing into `data`; the figures of that build."""
    data.mkdir(parents=True)
    for shared in ("readmes", "models"):  # the synced READMEs and the ONNX export, not vectors
        if (settings.data_dir / shared).is_dir():
            (data / shared).symlink_to((settings.data_dir / shared).resolve())
    fresh = settings.model_copy(update={"data_dir": data})
    started = time.perf_counter()
    embedder = fresh.load_embedder()
    loaded = time.perf_counter()
    result, _ = build_configured(fresh, embedder, full=True)
    return fresh, {
        "backend": embedder.backend,
        "model_load_s": round(loaded - started, 2),
        "files": result.files,
        "chunks": result.chunks,
        "build_s": round(result.seconds, 2),
        "chunks_per_s": round(result.chunks / result.seconds, 1),
        "index_bytes": _tree_bytes(fresh.store().live_dir()),
        "vector_cache_bytes": _tree_bytes(data / "cache"),
    }


def resident_mb(pid: int) -> dict[str, float]:
    """Current and peak resident memory of a process, in MB (Linux /proc)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(value.split()[0]) / 1024
    return fields


def _summary(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "queries_per_s": round(len(latencies) / seconds, 1) if seconds else 0.0,
    }


async def _client(
    http: httpx.AsyncClient, questions: list[str], deadline: float, offset: int
) -> tuple[list[float], int]:
    latencies, errors, i = [], 0, offset
    while time.perf_counter() < deadline:
        body = {"question": questions[i % len(questions)], "k": 5}
        started = time.perf_counter()
        try:
            ok = (await http.post("/api/ask", json=body)).status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            latencies.append((time.perf_counter() - started) * 1000)
        errors += not ok
        i += 1
    return latencies, errors


async def _drive(
    base_url: str, questions: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        await _client(http, questions, time.perf_counter() + 2.0, 0)  # warm up
        started = time.perf_counter()
        deadline = started + seconds
        step = max(len(questions) // clients, 1)
        results = await asyncio.gather(
            *(_client(http, questions, deadline, n * step) for n in range(clients))
        )
        elapsed = time.perf_counter() - started
    latencies = [ms for got, _ in results for ms in got]
    return {
        "clients": clients,
        "seconds": seconds,
        **_summary(latencies, sum(e for _, e in results), elapsed),
    }


def http_latency(base_url: str, questions: list[str], rounds: int) -> dict[str, Any]:
    """One client asking each question `rounds` times, one request at a time."""
    latencies, errors = [], 0
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for question in questions[:10]:
            http.post("/api/ask", json={"question": question, "k": 5})
        started = time.perf_counter()
        for question in questions * rounds:
            t = time.perf_counter()
            ok = http.post("/api/ask", json={"question": question, "k": 5}).status_code == 200
            latencies.append((time.perf_counter() - t) * 1000) if ok else None
            errors += not ok
        elapsed = time.perf_counter() - started
    return _summary(latencies, errors, elapsed)


def real_corpus_bench(
    settings: Settings, options: BenchOptions, scratch: Path
) -> tuple[dict[str, Any], Searcher]:
    """Build, serve and query the real corpus: the figures, and a searcher over that build."""
    questions = [q.question for q in load_questions()]
    fresh, build = build_fresh(settings, scratch / "data")
    report: dict[str, Any] = {"build": build}
    searcher = Searcher.load(fresh.store(), fresh.load_embedder())
    report["profile"] = profile(searcher, questions, options.rounds)
    with serve_copy(fresh.data_dir, scratch / "serve", "127.0.0.1", TOKEN) as server:
        report["server_idle"] = resident_mb(server.pid)
        report["one_client"] = http_latency(server.base_url, questions, options.rounds)
        report["concurrent"] = asyncio.run(
            _drive(server.base_url, questions, options.clients, options.seconds)
        )
        report["server_after"] = resident_mb(server.pid)
    return report, searcher


def run_bench(settings: Settings, options: BenchOptions) -> dict[str, Any]:
    """The whole benchmark; the report is written to `options.out` and returned."""
    report: dict[str, Any] = {"machine": machine(), "backend": settings.backend}
    with tempfile.TemporaryDirectory(prefix="ragnotes-bench-") as tmp:
        report["real"], searcher = real_corpus_bench(settings, options, Path(tmp))
        print(format_real(report["real"]), flush=True)
        rate = report["real"]["build"]["chunks_per_s"]
        report["synthetic"] = []
        for n in (n for n in options.sizes if n > 0):
            report["synthetic"].append(
                synthetic_bench(n, searcher, rate, settings.approximate_above)
            )
            print(format_synthetic(report["synthetic"][-1:]), flush=True)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def format_real(real: dict[str, Any]) -> str:
    """The real-corpus half as lines of text."""
    b, one, many = real["build"], real["one_client"], real["concurrent"]
    return "\n".join(
        [
            f"real corpus ({b['backend']} backend): {b['files']} files, {b['chunks']} chunks",
            f"  full index: {b['build_s']:.1f} s ({b['chunks_per_s']:.0f} chunks/s), "
            f"model load {b['model_load_s']:.1f} s",
            f"  index on disk: {b['index_bytes'] / 1e6:.1f} MB "
            f"(+ vector cache {b['vector_cache_bytes'] / 1e6:.1f} MB)",
            f"  server memory: {real['server_idle']['rss_mb']:.0f} MB idle, "
            f"{real['server_after']['rss_mb']:.0f} MB after the load "
            f"(peak {real['server_after']['peak_rss_mb']:.0f} MB)",
            f"  one client over HTTP: p50 {one['p50_ms']:.1f} ms, p95 {one['p95_ms']:.1f} ms, "
            f"p99 {one['p99_ms']:.1f} ms ({one['requests']} requests, {one['errors']} errors)",
            f"  {many['clients']} clients: {many['queries_per_s']:.0f} queries/s, "
            f"p50 {many['p50_ms']:.1f} ms, p99 {many['p99_ms']:.1f} ms "
            f"({many['requests']} requests, {many['errors']} errors)",
            "  where a query's time goes (in process):",
            format_profile(real["profile"]),
        ]
    )


def cli(args: argparse.Namespace, settings: Settings) -> int:
    """`ragnotes bench`, as the CLI parsed it (the `ragnotes.tools` entry point)."""
    if args.clients < 1 or args.seconds <= 0 or args.rounds < 1:
        raise ConfigError("--clients and --rounds must be at least 1, and --seconds above 0")
    options = BenchOptions(args.out, args.sizes, args.rounds, args.clients, args.seconds)
    run_bench(settings, options)
    print(f"report written to {args.out}", file=sys.stderr)
    return 0

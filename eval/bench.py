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
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from ragnotes.errors import ConfigError
from ragnotes.index.searcher import Searcher
from ragnotes.service.reindex import build_configured
from ragnotes.service.settings import Settings
from ragnotes_eval.bench_bare import serve_bare
from ragnotes_eval.bench_http import many_clients, one_client
from ragnotes_eval.bench_synthetic import format_synthetic, synthetic_bench
from ragnotes_eval.load_server import serve_copy
from ragnotes_eval.machine import cpu, describe, machine
from ragnotes_eval.profile_query import format_profile, profile
from ragnotes_eval.questions import load_questions

TOKEN = "bench-token"


@dataclass(frozen=True)
class BenchOptions:
    """What to measure; sizes of 0 skip the synthetic part."""

    out: Path
    sizes: tuple[int, ...] = (100_000, 1_000_000)
    rounds: int = 5  # 460 one-client requests: a p99 that is not the third-worst of 276
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


def _concurrent(
    data: Path, scratch: Path, questions: list[str], options: BenchOptions, workers: int
) -> dict[str, Any]:
    with serve_copy(data, scratch, "127.0.0.1", TOKEN, workers) as server:
        found = many_clients(
            server.base_url, questions, options.clients, options.seconds, server.pid
        )
    return {"workers": workers, **found}


def real_corpus_bench(
    settings: Settings, options: BenchOptions, scratch: Path
) -> tuple[dict[str, Any], Searcher]:
    """Build, serve and query the real corpus: the figures, and a searcher over that build."""
    questions = [q.question for q in load_questions()]
    fresh, build = build_fresh(settings, scratch / "data")
    report: dict[str, Any] = {"build": build}
    searcher = Searcher.load(fresh.store(), fresh.load_embedder())
    with threadpool_limits(1, user_api="blas"):  # as the server runs (service/app.py)
        report["profile"] = profile(searcher, questions, options.rounds)
    embedder = searcher.embedder
    with serve_copy(fresh.data_dir, scratch / "serve", "127.0.0.1", TOKEN) as server:
        report["server_idle"] = resident_mb(server.pid)
        found = one_client(server.base_url, questions, options.rounds, embedder.embed_query)
        report["one_client"], report["floor"] = found
        report["floor"]["form"] = embedder.form
        report["server_after"] = resident_mb(server.pid)
    report["bare"] = {}
    for name, model in (("http", False), ("model", True)):  # what no search change can remove
        with serve_bare(model, scratch / f"bare-{name}.log", fresh.data_dir) as (base_url, _):
            found = one_client(base_url, questions, options.rounds, embedder.embed_query)
            report["bare"][name] = {"one_client": found[0], "floor": found[1]}
    report["cores"] = cores = cpu()["cores"]
    report["concurrent"] = [
        _concurrent(fresh.data_dir, scratch / f"serve-{n}", questions, options, n)
        for n in sorted({1, cores})
    ]
    return report, searcher


def _load() -> str:
    """The load average: other work on the machine moves every figure."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def run_bench(settings: Settings, options: BenchOptions) -> dict[str, Any]:
    """The whole benchmark; the report is written to `options.out` and returned."""
    report: dict[str, Any] = {"machine": machine(), "backend": settings.backend}
    print(f"machine: {describe(report['machine']['cpu'])}; {_load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ragnotes-bench-") as tmp:
        report["real"], searcher = real_corpus_bench(settings, options, Path(tmp))
        print(format_real(report["real"]), flush=True)
        print(f"  {_load()}", flush=True)
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
    b = real["build"]
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
            *format_speed(real),
            "  where a query's time goes (in process):",
            format_profile(real["profile"]),
        ]
    )


def format_speed(real: dict[str, Any]) -> list[str]:
    """The floor, one client against it, and each concurrent run against the cores' bound.

    On a machine other work shares, wall times stretch with the load; CPU times much less, so
    each concurrent run also says what its CPU cost a request would allow on idle cores.
    """
    floor, one, cores = real["floor"], real["one_client"], real["cores"]
    own = {int(p): r for p, r in one["own_floor_ratio"].items()}  # JSON keys are strings
    bound = cores * 1000 / floor["p50_ms"]
    lines = [
        f"  embedding floor (one question, bare, {floor['form']}, measured between the one "
        f"client's requests): p50 {floor['p50_ms']:.2f} ms ({floor['cpu_p50_ms']:.2f} ms of "
        f"CPU), p99 {floor['p99_ms']:.2f} ms; {cores} cores bound throughput at {bound:.0f} "
        "queries/s",
        *(
            [
                "    (the signed form, which only CPUs with VNNI run: `RAGNOTES_INT8_FORM=u8 "
                "ragnotes bench` measures the same vectors at the speed of a CPU without it)"
            ]
            if floor["form"] == "int8 s8"
            else []
        ),
        f"  one client over HTTP: p50 {one['p50_ms']:.2f} ms ({one['p50_ms'] / floor['p50_ms']:.2f}"
        f"x the floor), p95 {one['p95_ms']:.2f} ms, p99 {one['p99_ms']:.2f} ms "
        f"({one['p99_ms'] / floor['p50_ms']:.2f}x) ({one['requests']} requests, "
        f"{one['errors']} errors)",
        f"    each request against its own question's floor: p50 {own[50]:.2f}x, p99 "
        f"{own[99]:.2f}x (a long question's model run is longer)",
    ]
    if "passes" in one:
        first, later = (one["passes"][name] for name in ("first", "later"))
        lines.append(
            f"    the first pass over the questions, as the server starts: p50 "
            f"{first['p50_ms'] / floor['p50_ms']:.2f}x, p99 {first['p99_ms'] / floor['p50_ms']:.2f}x;"
            f" the later passes: p50 {later['p50_ms'] / floor['p50_ms']:.2f}x, p99 "
            f"{later['p99_ms'] / floor['p50_ms']:.2f}x"
        )
    lines += _bare_lines(real.get("bare", {}), floor["p50_ms"])
    for run in real["concurrent"]:
        cost = run["server_cpu_ms"] + run["client_cpu_ms"]
        lines += [
            f"  {run['clients']} clients, {run['workers']} worker(s): "
            f"{run['queries_per_s']:.0f} queries/s ({100 * run['queries_per_s'] / bound:.0f}% of "
            f"the bound), p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms "
            f"({run['requests']} requests, {run['errors']} errors)",
            f"    CPU a request: server {run['server_cpu_ms']:.2f} ms, clients "
            f"{run['client_cpu_ms']:.2f} ms, {cost / floor['cpu_p50_ms']:.2f}x the floor's: on "
            f"idle cores at most {cores * 1000 / cost:.0f} queries/s, "
            f"{100 * floor['cpu_p50_ms'] / cost:.0f}% of the bound",
        ]
    return lines


def _bare_lines(bare: dict[str, Any], floor_ms: float) -> list[str]:
    """One client against the bare routes (eval/bench_bare.py), each against its own floor."""
    if not bare:
        return []
    ratio = {name: r["one_client"]["p50_ms"] / r["floor"]["p50_ms"] for name, r in bare.items()}
    http, model = bare["http"]["one_client"], bare["model"]["one_client"]
    left = 1.5 * floor_ms - model["p50_ms"] * floor_ms / bare["model"]["floor"]["p50_ms"]
    return [
        "  the same client against bare routes (uvicorn and FastAPI, no middleware, index or "
        f"search): HTTP alone p50 {http['p50_ms']:.2f} ms ({ratio['http']:.2f}x its floor), "
        f"the model's run behind it p50 {model['p50_ms']:.2f} ms ({ratio['model']:.2f}x): "
        f"at 1.5x, {left:.2f} ms would be left for the search, the passages and the middleware",
    ]


def cli(args: argparse.Namespace, settings: Settings) -> int:
    """`ragnotes bench`, as the CLI parsed it (`BENCH` in ragnotes_eval.tools declares the flags)."""
    if args.clients < 1 or args.seconds <= 0 or args.rounds < 1:
        raise ConfigError("--clients and --rounds must be at least 1, and --seconds above 0")
    options = BenchOptions(args.out, args.sizes, args.rounds, args.clients, args.seconds)
    run_bench(settings, options)
    print(f"report written to {args.out}", file=sys.stderr)
    return 0

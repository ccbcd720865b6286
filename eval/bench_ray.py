"""`make bench-ray`: what Ray costs and gives on this machine, measured in one run.

On a two-node Ray cluster started here (eval/local_ray.py, one CPU per node), over the real
corpus (bundled notes and the README mirror):

- embedding throughput: `ragnotes index --full` beside `ragnotes index --ray --full`, each into
  a fresh data directory, from the command's own summary line (chunks per second of the build);
- queries: 8 clients for 15 s against the plain `ragnotes serve`, then `serve --ray` with 1 and
  with 2 replicas through Ray's proxy (q/s and p50, every request a POST /api/ask).

It prints figures and asserts nothing. The cores are shared with whatever else runs, and under
contention a setup with more runnable threads (Ray's) gets a larger share of them, so beside the
rates it prints the CPU time each setup used (the processes it ran, read from /proc, Ray's own
included): chunks and queries per CPU-second hold on a busy machine, and are what a cluster of
dedicated cores multiplies. The machine's load average is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragnotes.corpus.curated import load_curated
from ragnotes.corpus.sync import sync_readmes
from ragnotes_eval.bench_http import many_clients, process_tree_cpu
from ragnotes_eval.load_server import serve_copy
from ragnotes_eval.local_ray import LocalCluster, local_cluster, serve_on_cluster
from ragnotes_eval.loopback import free_port, module_command
from ragnotes_eval.questions import load_questions

SUMMARY = re.compile(r"in ([\d.]+) s \((\d+) chunks/s; (\d+) embedded")
TICK = os.sysconf("SC_CLK_TCK")
WARM_UP_S = 2.0  # many_clients warms the server up for this long first


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _cpu_of(pid: int) -> float:
    """CPU seconds process `pid` has used (user and system), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


class ClusterCpu:
    """CPU seconds the cluster's processes use while the block runs, sampled every 0.2 s: a
    worker that ends keeps what it was last seen using (its last 0.2 s at most are missed)."""

    def __init__(self, cluster: LocalCluster) -> None:
        self._cluster = cluster
        self._start: dict[int, float] = {}
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def _pids(self) -> list[int]:
        return [n.pid for n in self._cluster.nodes] + self._cluster.descendants()

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(0.2):
            for pid in self._pids():
                self._seen[pid] = max(self._seen.get(pid, 0.0), _cpu_of(pid))

    def __enter__(self) -> ClusterCpu:
        self._start = {pid: _cpu_of(pid) for pid in self._pids()}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for pid in self._pids():
            self._seen[pid] = max(self._seen.get(pid, 0.0), _cpu_of(pid))

    @property
    def seconds(self) -> float:
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._seen.items())


def _index(env: dict[str, str], data: Path, cluster: LocalCluster, ray: bool) -> dict[str, Any]:
    command = module_command("ragnotes.service.cli", "index", "--full", *(["--ray"] if ray else []))
    cpu = _children_cpu()
    started = time.perf_counter()
    with ClusterCpu(cluster) as on_cluster:
        done = subprocess.run(
            command, env={**env, "RAGNOTES_DATA_DIR": str(data)}, capture_output=True, text=True
        )
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu + (on_cluster.seconds if ray else 0.0)
    found = SUMMARY.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{' '.join(command[3:])} failed: {done.stderr[-2000:]}")
    build_s, embedded = float(found[1]), int(found[3])
    return {
        "embedded": embedded,
        "build_s": build_s,
        "chunks_per_s": round(embedded / build_s, 1),
        "command_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "chunks_per_cpu_s": round(embedded / cpu, 1),
    }


def _fresh(root: Path, name: str, mirror: Path) -> Path:
    data = root / name
    sync_readmes(load_curated(), data / "readmes", mirror)
    return data


def _queries(
    cluster: LocalCluster, data: Path, questions: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    """q/s and latency from `many_clients` (eval/bench_http.py), and the server side's CPU a
    query: the plain server's process tree, or every process of the cluster, over the whole
    call (its 2 s warm-up included, at the measured rate, the same way for every setup)."""
    found: dict[str, Any] = {}
    with serve_copy(data, data.parent / "plain", "127.0.0.1", "bench") as server:
        cpu = process_tree_cpu(server.pid)
        run = many_clients(server.base_url, questions, clients, seconds, server.pid)
        found["plain"] = {**run, "cpu_s": process_tree_cpu(server.pid) - cpu}
    env = {"RAGNOTES_DATA_DIR": str(data), "RAGNOTES_RATE_LIMIT": "0"}
    port = free_port()  # Serve keeps the port of its first start on a cluster
    for replicas in (1, 2):
        log = data.parent / f"serve-{replicas}.log"
        with serve_on_cluster(cluster, env, replicas, port, log) as base_url:
            head = cluster.nodes[0].pid
            with ClusterCpu(cluster) as on_cluster:
                run = many_clients(base_url, questions, clients, seconds, head)
            found[f"ray_{replicas}"] = {**run, "cpu_s": on_cluster.seconds}
    for run in found.values():
        queries = run["queries_per_s"] * (seconds + WARM_UP_S)
        run["server_cpu_ms"] = round(run.pop("cpu_s") * 1000 / max(queries, 1), 2)
    return found


def run(mirror: Path, clients: int, seconds: float) -> dict[str, Any]:
    """The whole benchmark, as a report."""
    questions = [q.question for q in load_questions()]
    report: dict[str, Any] = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="ragnotes-bench-ray-") as tmp, local_cluster() as c:
        root = Path(tmp)
        env = {**c.env, "RAGNOTES_RATE_LIMIT": "0"}
        report["index"] = _index(env, _fresh(root, "local", mirror), c, ray=False)
        report["index_ray"] = _index(env, _fresh(root, "ray", mirror), c, ray=True)
        report["queries"] = _queries(c, root / "local", questions, clients, seconds)
    report["load_after"] = os.getloadavg()
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [
        "embedding (index --full, real corpus):",
        *(
            f"  {name:<12} {r['embedded']} chunks in {r['build_s']:.1f} s: "
            f"{r['chunks_per_s']:.0f} chunks/s (the command took {r['command_s']:.0f} s); "
            f"{r['cpu_s']:.0f} CPU-s, {r['chunks_per_cpu_s']:.1f} chunks per CPU-s"
            for name, r in (("index", report["index"]), ("index --ray", report["index_ray"]))
        ),
        "queries (POST /api/ask, 8 clients):",
        *(
            f"  {name:<12} {r['queries_per_s']:.0f} q/s, p50 {r['p50_ms']:.1f} ms, "
            f"p95 {r['p95_ms']:.1f} ms, {r['errors']} errors of {r['requests']}; "
            f"server side {r['server_cpu_ms']:.1f} CPU-ms a query"
            for name, r in report["queries"].items()
        ),
        "load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}".format(*report["load_before"]),
        "load average (1, 5, 15 min) after:  {:.2f} {:.2f} {:.2f}".format(*report["load_after"]),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragnotes_eval.bench_ray", description=__doc__)
    parser.add_argument("--mirror", type=Path, required=True, help="the README mirror")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--out", type=Path, default=Path("artifacts/bench-ray.json"))
    args = parser.parse_args(argv)
    report = run(args.mirror, args.clients, args.seconds)
    print(format_report(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

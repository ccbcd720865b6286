"""Load test: concurrent clients against a real server on loopback, with a re-index half-way.

Run: `ragnotes load` or `python -m ragnotes_eval.load` [--clients 50] [--seconds 60] [--data DIR].
It serves a copy of the index (eval/load_server.py), sends the eval questions from `--clients`
concurrent clients for `--seconds`, alternating POST /api/ask and GET /api/search across the
three modes, and half-way adds a note and re-indexes over HTTP. It prints requests, errors by
kind, latency percentiles, queries/s and the builds that answered, writes the same as JSON under
artifacts/, and exits 1 when any request failed or the new note did not become searchable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ragnotes.errors import ConfigError, RagnotesError
from ragnotes.index.searcher import MODES
from ragnotes.service.settings import Settings
from ragnotes_eval.load_server import Server, serve_copy
from ragnotes_eval.metrics import percentile
from ragnotes_eval.questions import load_questions
from ragnotes_eval.tools import load_arguments

NOTE = "load-test-canary.md"


@dataclass
class Tally:
    """What the clients saw: latencies of answered requests, failures by kind, answering builds."""

    requests: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    builds: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # the first few failures, for diagnosis

    def fail(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 20:
            self.samples.append(f"{time.strftime('%H:%M:%S')} {what}: {kind}")


@dataclass
class Reindex:
    """The mid-run re-index: the job, the build it published, whether the new note is found."""

    job_id: str | None = None
    state: str = "not started"
    build_id: str | None = None
    seconds: float | None = None  # from the request to the job's end
    searchable: bool = False
    detail: str = ""

    @property
    def landed(self) -> bool:
        return self.state == "succeeded" and self.searchable


async def _one_request(http: httpx.AsyncClient, i: int, question: str, tally: Tally) -> None:
    mode = MODES[i % len(MODES)]
    tally.requests += 1
    started = time.perf_counter()
    try:
        if i % 2:
            r = await http.post("/api/ask", json={"question": question, "k": 5, "mode": mode})
        else:
            r = await http.get("/api/search", params={"q": question, "k": 5, "mode": mode})
    except httpx.HTTPError as exc:
        tally.fail(type(exc).__name__, f"{exc.request.method} {exc.request.url.path} {exc!r}")
        return
    tally.latencies_ms.append((time.perf_counter() - started) * 1000)
    if not r.is_success:
        tally.fail(f"HTTP {r.status_code}", f"{r.request.method} {r.url.path} {r.text[:200]}")
        return
    tally.builds[r.json()["index"]["build_id"]] += 1


async def _client(
    http: httpx.AsyncClient, start: int, questions: Sequence[str], deadline: float, tally: Tally
) -> None:
    i = start
    while time.monotonic() < deadline:
        await _one_request(http, i, questions[i % len(questions)], tally)
        i += 1


async def _reindex(http: httpx.AsyncClient, server: Server, delay: float, budget: float) -> Reindex:
    """After `delay` s add a note, re-index over HTTP, wait up to `budget` s, search for the note."""
    await asyncio.sleep(delay)
    word = f"loadcanary{secrets.token_hex(4)}"
    text = f"# Load test canary\n\nThe word {word} is in this note only; a load test wrote it.\n"
    (server.notes_dir / NOTE).write_text(text, encoding="utf-8")
    outcome = Reindex()
    started = time.monotonic()
    auth = {"Authorization": f"Bearer {server.token}"}
    r = await http.post("/api/reindex", headers=auth)
    if r.status_code != 202:
        outcome.detail = f"POST /api/reindex answered {r.status_code}: {r.text[:200]}"
        return outcome
    outcome.job_id = r.json()["job_id"]
    while time.monotonic() < started + budget:
        job = (await http.get(f"/api/reindex/{outcome.job_id}")).json()
        outcome.state, outcome.build_id = job["state"], job.get("build_id")
        if outcome.state != "running":
            outcome.detail = job.get("error") or ""
            break
        await asyncio.sleep(0.5)
    outcome.seconds = round(time.monotonic() - started, 2)
    hit = (await http.get("/api/search", params={"q": word, "k": 1, "mode": "bm25"})).json()
    outcome.searchable = bool(hit["passages"]) and hit["passages"][0]["citation"]["path"] == NOTE
    return outcome


async def _live_build(http: httpx.AsyncClient) -> str | None:
    live = (await http.get("/api/index")).json()["live"]
    return None if live is None else str(live["build_id"])


async def drive(server: Server, clients: int, seconds: float) -> dict[str, Any]:
    """Run the clients and the re-index against `server`; the report as a dict."""
    questions = [q.question for q in load_questions()]
    tally = Tally()
    # Idle connections are dropped well before uvicorn's 5 s keep-alive timeout: at an equal
    # expiry a reused connection can be closed by the server as the request goes out.
    limits = httpx.Limits(
        max_connections=clients + 4, max_keepalive_connections=clients + 4, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as http:
        before = await _live_build(http)
        started = time.monotonic()
        deadline = started + seconds
        reindex = asyncio.create_task(_reindex(http, server, seconds / 2, max(120.0, 2 * seconds)))
        await asyncio.gather(
            *(_client(http, n * 7, questions, deadline, tally) for n in range(clients))
        )
        elapsed = time.monotonic() - started
        outcome = await reindex
        after = await _live_build(http)
    return summarize(tally, outcome, elapsed, clients, (before, after))


def summarize(
    tally: Tally, outcome: Reindex, elapsed: float, clients: int, builds: tuple[str | None, ...]
) -> dict[str, Any]:
    """The report: counts, latency percentiles (ms), throughput and the builds seen."""
    lat = tally.latencies_ms
    requests = tally.requests
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "errors": sum(tally.errors.values()),
        "errors_by_kind": dict(tally.errors),
        "error_samples": tally.samples,
        "latency_ms": {f"p{q}": round(percentile(lat, q), 1) for q in (50, 95, 99)} if lat else {},
        "queries_per_second": round(requests / elapsed, 1) if elapsed else 0.0,
        "build_before": builds[0],
        "build_after": builds[1],
        "answers_per_build": dict(tally.builds),
        "reindex": {**asdict(outcome), "landed": outcome.landed},
    }


def print_report(report: dict[str, Any], out: Path) -> None:
    lat, reindex = report["latency_ms"], report["reindex"]
    kinds = ", ".join(f"{k}: {v}" for k, v in report["errors_by_kind"].items()) or "none"
    print(f"{report['clients']} clients for {report['seconds']} s")
    print(f"requests {report['requests']}, errors {report['errors']} ({kinds})")
    for sample in report["error_samples"]:
        print(f"  {sample}")
    if lat:
        print(f"latency ms  p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}")
    print(f"queries/s {report['queries_per_second']}")
    print(f"build before {report['build_before']}, after {report['build_after']}")
    for build_id, answers in report["answers_per_build"].items():
        print(f"  {build_id} answered {answers}")
    print(
        f"re-index {reindex['state']} in {reindex['seconds']} s, build {reindex['build_id']}, "
        f"new note searchable: {reindex['searchable']} {reindex['detail']}".rstrip()
    )
    print(f"report: {out}")


def run_load(data_dir: Path, args: argparse.Namespace) -> int:
    """Serve a copy of `data_dir`, run the load, print and save the report; 0 when all went well."""
    if args.clients < 1 or args.seconds <= 0:
        raise ConfigError("--clients must be at least 1 and --seconds more than 0")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out: Path = args.out or Path("artifacts") / f"load-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ragnotes-load-") as scratch:
        token = secrets.token_urlsafe(16)
        with serve_copy(data_dir, Path(scratch), args.host, token) as server:
            report = asyncio.run(drive(server, args.clients, args.seconds))
        shutil.copyfile(server.log, out.with_suffix(".server.log"))
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report, out)
    return 0 if report["errors"] == 0 and report["reindex"]["landed"] else 1


def cli(args: argparse.Namespace, settings: Settings) -> int:
    """`ragnotes load`, as the CLI parsed it (`LOAD` in ragnotes_eval.tools declares the flags)."""
    return run_load(settings.data_dir, args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragnotes_eval.load", description=__doc__)
    parser.add_argument("--data", type=Path, help="data directory (default RAGNOTES_DATA_DIR)")
    load_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_load(args.data or Settings().data_dir, args)
    except RagnotesError as exc:
        print(f"load: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

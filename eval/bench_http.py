"""The HTTP half of `ragnotes bench`: one client's latency, N clients' throughput, and the CPU
the server and the client spent on each request.

The clients speak HTTP/1.1 over plain keep-alive sockets with the request bytes made once: on a
two-core machine the client shares the cores with the server, and a full client library spent
about 2 ms of CPU a request (httpx, measured under the same load), as much as the model. What the
clients still spend is measured (this process's CPU time) and printed beside the server's (its
process tree's, from /proc), so a throughput figure says what it cost on each side.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ragnotes_eval.metrics import percentile

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def request_bytes(host: str, question: str, k: int = 5) -> bytes:
    """A keep-alive POST /api/ask for `question`, as sent on the wire."""
    body = json.dumps({"question": question, "k": k}).encode()
    head = (
        f"POST /api/ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _status_and_length(head: bytes) -> tuple[int, int]:
    lines = head.split(b"\r\n")
    length = next(
        (
            int(v)
            for n, _, v in (x.partition(b":") for x in lines[1:])
            if n.lower() == b"content-length"
        ),
        0,
    )
    return int(lines[0].split()[1]), length


class Client:
    """One blocking keep-alive connection."""

    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        self.host = url.netloc
        self._sock = socket.create_connection((url.hostname, url.port or 80), timeout=30)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rb")

    def send(self, request: bytes) -> int:
        """Send one request; its status, once the whole response is read."""
        self._sock.sendall(request)
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self._file.readline()
            if not line:
                raise ConnectionError("the server closed the connection")
            head += line
        status, length = _status_and_length(head)
        self._file.read(length)
        return status

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def summary(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "queries_per_s": round(len(latencies) / seconds, 1) if seconds else 0.0,
    }


def one_client(
    base_url: str, questions: list[str], rounds: int, embed: Callable[[str], object]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One client asking each question `rounds` times, one request at a time; and the floor:
    each question embedded by `embed` in this process just before it is asked, so that both
    see the same machine even when other work comes and goes."""
    client = Client(base_url)
    requests = [(q, request_bytes(client.host, q)) for q in questions]
    latencies, errors, floor, floor_cpu, ratios = [], 0, [], [], []
    passes: list[list[float]] = [[] for _ in range(rounds)]  # each pass over the questions
    try:
        for question, request in requests[:10]:
            embed(question)
            client.send(request)
        started = time.perf_counter()
        for i, (question, request) in enumerate(requests * rounds):
            t, cpu = time.perf_counter(), time.thread_time()
            embed(question)
            floor.append((time.perf_counter() - t) * 1000)
            floor_cpu.append((time.thread_time() - cpu) * 1000)
            t = time.perf_counter()
            ok = client.send(request) == 200
            if ok:
                latencies.append((time.perf_counter() - t) * 1000)
                ratios.append(latencies[-1] / max(floor[-1], 1e-6))  # against its own floor
                passes[i // len(requests)].append(latencies[-1])
            errors += not ok
        elapsed = time.perf_counter() - started
    finally:
        client.close()
    bare = {
        "p50_ms": round(percentile(floor, 50), 3),
        "p99_ms": round(percentile(floor, 99), 3),
        "cpu_p50_ms": round(percentile(floor_cpu, 50), 3),
    }
    found = summary(latencies, errors, elapsed)
    found["own_floor_ratio"] = {p: round(percentile(ratios, p), 3) for p in (50, 99)}
    if rounds > 1 and passes[0] and passes[1]:
        # The first pass is the server's first seconds and every question's first sight: what
        # starts beside the first requests, or is made on a first sight, shows there.
        later = [x for p in passes[1:] for x in p]
        found["passes"] = {
            name: {"p50_ms": round(percentile(x, 50), 3), "p99_ms": round(percentile(x, 99), 3)}
            for name, x in (("first", passes[0]), ("later", later))
        }
    return found, bare


async def _async_client(
    base_url: str, requests: list[bytes], deadline: float, offset: int
) -> tuple[list[float], int]:
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    latencies, errors, i = [], 0, offset
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            status, length = _status_and_length(await reader.readuntil(b"\r\n\r\n"))
            await reader.readexactly(length)
            if status == 200:
                latencies.append((time.perf_counter() - started) * 1000)
            errors += status != 200
            i += 1
    finally:
        writer.close()
    return latencies, errors


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by `pid` and every process under it (Linux /proc)."""
    parent, used = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICKS
    tree, grew = {pid}, True
    while grew:
        more = {p for p, up in parent.items() if up in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(used.get(p, 0.0) for p in tree)


def many_clients(
    base_url: str, questions: list[str], clients: int, seconds: float, server_pid: int
) -> dict[str, Any]:
    """`clients` keep-alive clients for `seconds`; q/s, latency, and CPU a request per side."""
    host = urlsplit(base_url).netloc
    requests = [request_bytes(host, q) for q in questions]
    step = max(len(requests) // clients, 1)

    async def drive(seconds: float) -> list[tuple[list[float], int]]:
        deadline = time.perf_counter() + seconds
        runs = (_async_client(base_url, requests, deadline, n * step) for n in range(clients))
        return await asyncio.gather(*runs)

    asyncio.run(drive(2.0))  # warm up
    server_before, client_before = process_tree_cpu(server_pid), time.process_time()
    started = time.perf_counter()
    results = asyncio.run(drive(seconds))
    elapsed = time.perf_counter() - started
    server_cpu = process_tree_cpu(server_pid) - server_before
    client_cpu = time.process_time() - client_before
    latencies = [ms for got, _ in results for ms in got]
    report = {"clients": clients, "seconds": seconds}
    report |= summary(latencies, sum(e for _, e in results), elapsed)
    done = max(len(latencies), 1)
    report["server_cpu_ms"] = round(server_cpu * 1000 / done, 3)
    report["client_cpu_ms"] = round(client_cpu * 1000 / done, 3)
    return report

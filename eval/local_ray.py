"""A Ray cluster of two nodes on this machine, for the Ray test and the Ray benchmark.

Each node is one `ray start --block` process (the head, then a worker joining it), in a session
of its own, started and stopped here by its process id: never `ray stop`, which stops every Ray
process of the machine by name. Every port is chosen free, the dashboard is off, the temporary
folder is private, and Ray's token authentication is on: the nodes and every driver share a
random token through `RAY_AUTH_MODE` and `RAY_AUTH_TOKEN`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ragnotes_eval.loopback import free_port, module_command

STARTUP_SECONDS = 120.0
REPLICA_HEADER = "x-ragnotes-replica"  # service/ray_serve.py names each response's replica
OBJECT_STORE_BYTES = 300_000_000  # per node; vectors and texts are small


@dataclass
class LocalCluster:
    """Where the cluster listens, the environment its drivers need, and its node processes."""

    address: str
    env: dict[str, str]
    temp_dir: Path
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def descendants(self, node: int | None = None) -> list[int]:
        """Every process the nodes (or node number `node`) started, walking /proc from them."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        roots = {p.pid for i, p in enumerate(self.nodes) if node is None or i == node}
        found = set(roots)
        grew = True
        while grew:
            more = {pid for pid, parent in parents.items() if parent in found} - found
            found |= more
            grew = bool(more)
        return sorted(found - roots)

    def processes_titled(self, prefix: str) -> list[int]:
        """The cluster's processes whose title (Ray sets it, e.g. "ray::ServeReplica:...")
        starts with `prefix`."""
        found = []
        for pid in self.descendants():
            with contextlib.suppress(OSError):
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                if title.startswith(prefix):
                    found.append(pid)
        return found


def _ray_command() -> str:
    return str(Path(sys.executable).with_name("ray"))


def _node_ports(head: bool) -> list[str]:
    ports = [
        f"--node-manager-port={free_port()}",
        f"--object-manager-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--metrics-export-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
    ]
    if head:
        ports.append(f"--ray-client-server-port={free_port()}")
    return ports


def _start_node(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [_ray_command(), "start", "--block", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one below
        )


def _wait_for_nodes(cluster: LocalCluster, count: int) -> None:
    probe = (
        "import ray; ray.init(logging_level='ERROR'); "
        "print(sum(1 for n in ray.nodes() if n['Alive']))"
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if any(node.poll() is not None for node in cluster.nodes):
            raise RuntimeError(f"a Ray node stopped while starting; logs in {cluster.temp_dir}")
        done = subprocess.run(
            [sys.executable, "-c", probe], env=cluster.env, capture_output=True, text=True
        )
        if done.returncode == 0 and done.stdout.strip() == str(count):
            return
        time.sleep(1)
    raise RuntimeError(f"the Ray cluster did not reach {count} nodes; logs in {cluster.temp_dir}")


def stop_node(node: subprocess.Popen[bytes]) -> None:
    """Stop one node and everything it started (its process group), by its process id."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(timeout=wait)
            return


@contextlib.contextmanager
def local_cluster(cpus_per_node: int = 1) -> Iterator[LocalCluster]:
    """Two nodes of `cpus_per_node` CPUs each, with token authentication on."""
    temp_dir = Path(tempfile.mkdtemp(prefix="rn-ray-", dir="/tmp"))  # short: Ray's socket paths
    port = free_port()
    env = {
        **os.environ,
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_ADDRESS": f"127.0.0.1:{port}",
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    common = [
        f"--num-cpus={cpus_per_node}",
        f"--temp-dir={temp_dir}",
        f"--object-store-memory={OBJECT_STORE_BYTES}",
        "--disable-usage-stats",
    ]
    cluster = LocalCluster(f"127.0.0.1:{port}", env, temp_dir)
    head_env = {k: v for k, v in env.items() if k != "RAY_ADDRESS"}
    try:
        head = [
            "--head",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--include-dashboard=false",
        ]
        cluster.nodes.append(
            _start_node([*head, *common, *_node_ports(True)], head_env, temp_dir / "head.log")
        )
        _wait_for_nodes(cluster, 1)
        worker = [f"--address={cluster.address}", "--node-ip-address=127.0.0.1"]
        cluster.nodes.append(
            _start_node([*worker, *common, *_node_ports(False)], env, temp_dir / "worker.log")
        )
        _wait_for_nodes(cluster, 2)
        yield cluster
    finally:
        for node in reversed(cluster.nodes):
            stop_node(node)
        shutil.rmtree(temp_dir, ignore_errors=True)


def replicas_answering(base_url: str, count: int, timeout: float) -> set[str]:
    """The replicas (`X-Ragnotes-Replica`) seen answering /healthz, once `count` are or time is up."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        try:
            r = httpx.get(f"{base_url}/healthz", timeout=10)
            if r.status_code == 200:
                seen.add(r.headers[REPLICA_HEADER])
        except httpx.TransportError:
            time.sleep(0.5)
    return seen


@contextlib.contextmanager
def serve_on_cluster(
    cluster: LocalCluster, env: dict[str, str], replicas: int, port: int, log: Path
) -> Iterator[str]:
    """`ragnotes serve --ray --replicas N` on the cluster until the block ends; the proxy's URL,
    once every replica answers. Stopping the command removes the deployment."""
    base_url = f"http://127.0.0.1:{port}"
    command = ["serve", "--ray", "--replicas", str(replicas), "--port", str(port)]
    with open(log, "wb") as out:
        driver = subprocess.Popen(
            module_command("ragnotes.service.cli", *command),
            env={**cluster.env, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            if len(replicas_answering(base_url, replicas, STARTUP_SECONDS * 2)) < replicas:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{replicas} replicas did not answer; the log ends:\n{tail}")
            yield base_url
        finally:
            driver.send_signal(signal.SIGTERM)
            try:
                driver.wait(timeout=120)
            except subprocess.TimeoutExpired:
                driver.kill()
                driver.wait(timeout=10)

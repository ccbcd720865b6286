"""Joining a Ray cluster, for `ragnotes serve --ray` and `ragnotes index --ray`.

Ray is an extra (`pip install 'ragnotes[ray]'`): the plain install never imports it, and asking
for `--ray` without it is a one-line error saying what to install.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import socket
import sys

from ragnotes.errors import ConfigError
from ragnotes.index.vector_cache import FanOut
from ragnotes.service.settings import Settings

RAY_EXTRA = "pip install 'ragnotes[ray]'"


def add_ray_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """`--ray` and `--address`, for `serve` and `index`, which read them here."""
    parser.add_argument("--ray", action="store_true", help=what)
    parser.add_argument(
        "--address",
        metavar="ADDR",
        help="--ray: the cluster's address, host:port (default: RAY_ADDRESS, else a local one)",
    )


def require_ray() -> None:
    """Refuse `--ray` in one line when Ray is not installed."""
    if importlib.util.find_spec("ray") is None or importlib.util.find_spec("ray.serve") is None:
        raise ConfigError(f"--ray needs Ray, which the plain install leaves out; {RAY_EXTRA}")


def join(address: str | None, worker_logs: bool = False) -> str:
    """Connect this process to the cluster at `address` (else RAY_ADDRESS, else a new local
    one), printing the workers' logs here with `worker_logs`; where it joined, for the user."""
    require_ray()
    given = address or os.environ.get("RAY_ADDRESS")
    where = (
        f"the Ray cluster at {given}" if given else "a local Ray cluster started for this command"
    )
    if given:
        _check_reachable(given, where)
    import ray

    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=worker_logs)
    except ConnectionError as exc:
        raise ConfigError(
            f"cannot reach {where} ({exc}); start it with `ray start --head` or fix --address"
        ) from exc
    return where


def _check_reachable(address: str, where: str) -> None:
    """Refuse at once an address nothing answers on (Ray itself would retry for minutes)."""
    if address == "auto" or "://" in address:
        return  # found or reached by Ray's own means
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(
            f"{address!r} is not a Ray address; give it as HOST:PORT (e.g. 10.0.0.5:6379)"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ConfigError(
            f"cannot reach {where} ({exc.strerror or exc}); start it with `ray start --head` "
            "or fix --address"
        ) from exc


def cluster_cpus() -> int:
    """The CPUs of the cluster this process joined (at least 1)."""
    import ray

    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return max(1, int(resources.get("CPU", 1)))


def ray_fan_out(settings: Settings, args: argparse.Namespace) -> FanOut:
    """`ragnotes index --ray`: embedding on the cluster's workers, one per CPU."""
    from ragnotes.index.ray_embed import ModelSpec, RayFanOut

    where = join(args.address)
    workers = cluster_cpus()
    print(f"embedding on {where}: {workers} workers", file=sys.stderr)
    spec = ModelSpec(
        settings.model, settings.backend, settings.models_path.resolve(), settings.int8_form
    )
    return RayFanOut(spec, workers)

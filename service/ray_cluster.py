"""Joining a Ray cluster, for `ragnotes serve --ray` and `ragnotes index --ray`.

Ray is an extra (`pip install 'ragnotes[ray]'`): the plain install never imports it, and asking
for `--ray` without it is a one-line error saying what to install.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys

from corpus.errors import ConfigError
from index.vector_cache import FanOut
from service.settings import Settings

RAY_EXTRA = "pip install 'ragnotes[ray]'"


def require_ray() -> None:
    """Refuse `--ray` in one line when Ray is not installed."""
    if importlib.util.find_spec("ray") is None or importlib.util.find_spec("ray.serve") is None:
        raise ConfigError(f"--ray needs Ray, which the plain install leaves out; {RAY_EXTRA}")


def join(address: str | None, worker_logs: bool = False) -> str:
    """Connect this process to the cluster at `address` (else RAY_ADDRESS, else a new local
    one), printing the workers' logs here with `worker_logs`; where it joined, for the user."""
    require_ray()
    import ray

    if address is None and not os.environ.get("RAY_ADDRESS"):
        where = "a local Ray cluster started for this command"
    else:
        where = f"the Ray cluster at {address or os.environ['RAY_ADDRESS']}"
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=worker_logs)
    except ConnectionError as exc:
        raise ConfigError(
            f"cannot reach {where} ({exc}); start it with `ray start --head` or fix --address"
        ) from exc
    return where


def cluster_cpus() -> int:
    """The CPUs of the cluster this process joined (at least 1)."""
    import ray

    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return max(1, int(resources.get("CPU", 1)))


def ray_fan_out(settings: Settings, args: argparse.Namespace) -> FanOut:
    """`ragnotes index --ray`: embedding on the cluster's workers, one per CPU."""
    from index.ray_embed import ModelSpec, RayFanOut

    where = join(args.address)
    workers = cluster_cpus()
    print(f"embedding on {where}: {workers} workers", file=sys.stderr)
    spec = ModelSpec(settings.model, settings.backend, settings.models_path.resolve())
    return RayFanOut(spec, workers)

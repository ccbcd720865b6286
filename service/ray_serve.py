"""`ragnotes serve --ray`: the app of `ragnotes serve`, as a Ray Serve application of replicas.

Each replica builds the same FastAPI app (`create_app`) in its own process, so every guard (the
Host allowlist, the tokens, the body limit, the rate limit, which counts per replica) holds
as it does in one server, and the page, `/api/*` and `/mcp` answer through Ray's proxy. Every
replica reads the one data directory (a shared filesystem on a real cluster), memory-maps the
live build and follows `CURRENT` on its own, as `ragnotes serve` does. Re-index jobs belong to
the deployment, not to a replica (service/ray_jobs.py). Every response names the replica that
made it in `X-Ragnotes-Replica`.

`app_builder` is the entry point of a Serve config file (KubeRay's RayService, deploy/).
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from ray import serve

from ragnotes.service.app import create_app
from ragnotes.service.ray_cluster import cluster_cpus, join
from ragnotes.service.ray_jobs import ClusterJobs, remove_coordinator
from ragnotes.service.settings import Settings

APP_NAME = "ragnotes"
REPLICA_HEADER = b"x-ragnotes-replica"
Scope = dict[str, Any]
ASGIApp = Any


class ReplicaHeader:
    """ASGI middleware: every HTTP response carries the name of the replica that made it."""

    def __init__(self, app: ASGIApp, replica: str) -> None:
        self.app = app
        self.replica = replica.encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (REPLICA_HEADER, self.replica)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, named)


@serve.ingress()
class Replica:
    """One replica: the app, built when Ray starts the replica (the model loads there)."""

    def __init__(self, settings_data: dict[str, Any], watch_notes: bool = False) -> None:
        self._settings = Settings(**settings_data)
        self._watch = watch_notes

    def __serve_build_asgi_app__(self) -> ASGIApp:
        context = serve.get_replica_context()
        jobs = ClusterJobs(context.app_name, self._settings)
        app = create_app(self._settings, watch_notes=self._watch, jobs=jobs)
        app.add_middleware(ReplicaHeader, replica=context.replica_id.unique_id)
        return app


def application(settings: Settings, replicas: int | None, watch_notes: bool = False) -> Any:
    """The Serve application: `replicas` copies, or autoscaling from 1 to the cluster's CPUs."""
    scaling: dict[str, Any] = (
        {"num_replicas": replicas}
        if replicas
        else {"autoscaling_config": {"min_replicas": 1, "max_replicas": cluster_cpus()}}
    )
    # The ingress decorator hides the class from the type checker, hence `Any`.
    deployment: Any = serve.deployment(Replica)
    deployment = deployment.options(name="Ragnotes", **scaling)
    return deployment.bind(_portable(settings), watch_notes)


def _portable(settings: Settings) -> dict[str, Any]:
    """The settings with every path absolute, so a replica started elsewhere reads the same."""
    paths = {"data_dir": settings.data_dir.resolve(), "models_dir": settings.models_path.resolve()}
    return settings.model_copy(update=paths).model_dump()


def app_builder(args: dict[str, str]) -> Any:
    """A Serve config's `import_path` (deploy/): settings from the environment, `replicas` from
    the config's args (absent: autoscaling)."""
    replicas = int(args["replicas"]) if args.get("replicas") else None
    return application(Settings(), replicas)


def serve_on_ray(
    settings: Settings, address: str | None, replicas: int | None, host: str, port: int
) -> int:
    """Deploy, say where, and serve until interrupted; then remove the deployment."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # from now on, stopping removes the deployment
        signal.signal(sig, lambda *_: stop.set())
    where = join(address, worker_logs=True)  # a replica's errors show where it was started
    serve.start(http_options={"host": host, "port": port})
    count = (
        f"{replicas} replica{'s' if replicas > 1 else ''}"
        if replicas
        else f"1 to {cluster_cpus()} replicas (autoscaling)"
    )
    print(f"deploying {count} on {where} ...", file=sys.stderr)
    try:
        serve.run(application(settings, replicas), name=APP_NAME, route_prefix="/")
        print(
            f"serving on http://{host}:{port} through Ray Serve (API docs: /docs)", file=sys.stderr
        )
        stop.wait()
    finally:
        print("removing the deployment", file=sys.stderr)
        serve.delete(APP_NAME)
        remove_coordinator(APP_NAME)
    return 0

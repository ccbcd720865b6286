"""`ragnotes serve` and `ragnotes mcp`: the index answering over HTTP or stdio.

`serve` starts the app (service/app.py `create_app`) under uvicorn, as N processes
(service/workers.py) or as replicas on a Ray cluster (service/ray_serve.py); `mcp` speaks the
Model Context Protocol on stdin/stdout (service/mcp_server.py `run_stdio`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING

from ragnotes.errors import ConfigError
from ragnotes.service.ray_cluster import add_ray_arguments

if TYPE_CHECKING:
    from ragnotes.service.cli import Subcommands
    from ragnotes.service.settings import Settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.service.bind import check_bind, listen
    from ragnotes.service.workers import check_workers, run_workers

    # Before the model loads, so refusing is instant.
    check_bind(args.host, settings.allowed_hosts, settings.api_token)
    if args.ray:
        from ragnotes.service.ray_cluster import require_ray

        require_ray()
        if args.watch or args.workers != 1:
            raise ConfigError(
                "--watch and --workers are for one machine; with --ray, serve more copies with "
                "--replicas and re-index with POST /api/reindex (one build for every replica)"
            )
        from ragnotes.service.ray_serve import serve_on_ray

        return serve_on_ray(settings, args.address, args.replicas, args.host, args.port)
    check_workers(args.workers, settings, args.watch)
    listener = listen(args.host, args.port)  # a busy port fails here, at once
    where = f"http://{args.host}:{args.port}"
    if args.workers > 1:
        print(f"serving on {where} with {args.workers} workers", file=sys.stderr)
        return run_workers(settings, listener, args.workers)

    import uvicorn

    from ragnotes.service.app import create_app

    app = create_app(settings, watch_notes=args.watch)
    print(f"serving on {where}  (API docs: /docs)", file=sys.stderr)
    server = uvicorn.Server(uvicorn.Config(app, log_level="info"))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops cleanly, then raises Ctrl+C
        server.run(sockets=[listener])
    return 0 if server.started else 1


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from ragnotes.service.mcp_server import run_stdio

    return run_stdio(settings)


def positive(text: str) -> int:
    """A whole number of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def add_serve_commands(sub: Subcommands) -> None:
    """`serve` and `mcp`: the index answering over HTTP or stdio."""
    serve = sub.add_parser("serve", help="serve the API and the search page")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--notes", action="append", metavar="DIR", help="notes folder for re-indexing (repeatable)"
    )
    serve.add_argument("--watch", action="store_true", help="re-index when notes change")
    add_ray_arguments(serve, "serve replicas on a Ray cluster (pip install 'ragnotes[ray]')")
    serve.add_argument(
        "--replicas",
        type=positive,
        metavar="N",
        help="--ray: this many replicas (default: autoscaling from 1 to the cluster's CPUs)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes, e.g. one per core (reading only: re-index with `ragnotes index`)",
    )
    serve.set_defaults(handler=cmd_serve)

    mcp = sub.add_parser(
        "mcp", help="answer assistants over the Model Context Protocol on stdin/stdout"
    )
    mcp.add_argument(
        "--notes", action="append", metavar="DIR", help="a notes folder of the index (repeatable)"
    )
    mcp.set_defaults(handler=cmd_mcp)

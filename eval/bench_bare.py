"""Yardsticks for one client's latency: what a request costs before any search is done.

`ragnotes bench` divides one client's latency by the bare embedding of a question (the floor).
Part of that latency no change to the search can remove: the HTTP round trip and the model's
run. This module serves two bare routes that keep only those parts, with the same uvicorn
(its loop, its parser, its access log) on loopback, and no middleware, no index and no search:

- `POST /api/ask` with `--model`: the question is embedded as a hybrid search embeds it (the
  model's one run, which also gives the late-interaction rows), and a few bytes come back;
- without `--model`: the few bytes alone, the round trip of HTTP.

The bench asks each one the same questions as the real server, the floor measured between the
requests in the same way (eval/bench_http.py `one_client`), so the ratios can be read side by
side: the full request's ratio less the model route's is what the search, the passages and the
server's own middleware cost.

Run as `python -m ragnotes_eval.bench_bare --port N [--model]`; the bench starts and stops it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from ragnotes_eval.loopback import free_port, module_command

HOST = "127.0.0.1"


class Ask(BaseModel):
    """The body the bench sends; `k` is read and ignored."""

    question: str
    k: int = 5


def bare_app(model: bool) -> object:
    """The bare FastAPI app: GET /healthz, and POST /api/ask as the module docstring says."""
    from fastapi import FastAPI, Response

    from ragnotes.service.settings import Settings

    embedder = Settings().load_embedder() if model else None
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "index": "none"}

    @app.post("/api/ask")
    async def ask(request: Ask) -> Response:
        rows = 0
        if embedder is not None:
            rows = len(embedder.embed_query_with_late_interaction(request.question)[1])
        return Response(f'{{"rows":{rows}}}', media_type="application/json")

    return app


@contextmanager
def serve_bare(model: bool, log: Path, data_dir: Path | None = None) -> Iterator[tuple[str, int]]:
    """A bare server in a subprocess until the block ends: its base URL and process id. Its
    model is the one `data_dir`'s settings load (else the environment's)."""
    from ragnotes_eval.load_server import stop, wait_until_up

    port = free_port(HOST)
    command = module_command("ragnotes_eval.bench_bare", "--port", str(port))
    with open(log, "wb") as out:
        env = {**os.environ, **({"RAGNOTES_DATA_DIR": str(data_dir)} if data_dir else {})}
        command += ["--model"] if model else []
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=out)
        try:
            base_url = f"http://{HOST}:{port}"
            wait_until_up(base_url, proc, log)
            yield base_url, proc.pid
        finally:
            stop(proc)


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description="a bare route for the bench's yardsticks")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", action="store_true", help="embed the question")
    args = parser.parse_args(argv)
    uvicorn.run(bare_app(args.model), host=HOST, port=args.port, log_level="info")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

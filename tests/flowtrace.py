"""Which product modules each flow of ARCHITECTURE.md runs, found by running it under a profiler
(tests/flowmap.py writes and checks the lists).

A flow is run for real: `ragnotes index` of the fixture notes through the CLI's `main`, in this
process; then the app over that build under real uvicorn on loopback, asked `POST /api/ask`,
`POST /api/answer` (extractive) and `GET /results`. Each is run once to warm up (imports, the
model, the build loaded), then again with every profiled thread recording the module of each Python
function that starts: a module counts when any of its code runs, middleware and error handlers
included, or when a library runs a method for one of its classes (pydantic validating or writing
out a model it defines); module-level code (an import) does not count. Before the recorded run the
bounded `functools.lru_cache`s of the product are emptied, so the request is one the server has not
seen yet (a cached per-passage result would hide the code that computes it); singletons
(`functools.cache`: the Markdown parser, the HTML cleaner) stay built. The server's own threads
that no request starts (the index watcher, which polls `CURRENT`, and the one that prepares a
loaded build's passages, waited for first) are not recorded.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import shutil
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "tests" / "fixtures" / "notes"
# The ONNX export, kept where the test suite keeps it (tests/conftest.py) unless
# RAGNOTES_MODELS_DIR says otherwise: exported once, not on every run.
MODELS = ROOT / ".pytest_cache" / "d" / "ragnotes-models"
# Import name -> the folder it is mapped from (pyproject.toml), in the order of the layers.
FOLDERS = {
    "ragnotes.corpus": "corpus",
    "ragnotes.index": "index",
    "ragnotes.answers": "answers",
    "ragnotes.service": "service",
}
FLOWS = {
    "index": "`ragnotes index`, a first build of a notes folder,",
    "ask": "`POST /api/ask`",
    "answer": "`POST /api/answer`, extractive,",
    "results": "`GET /results`, the page's answer and passages,",
}
QUESTION = "when is batch scoring the right call?"
# Threads of the server's own that no request starts (service/live.py): not recorded. The one
# that prepares a loaded build's passages is waited for first, so that it fills no cache the
# recorded request would otherwise fill itself.
POLLING_THREAD = "ragnotes-index-watch"  # polls CURRENT
ONE_OFF_THREAD = "ragnotes-prepare"
SETTLE_SECONDS = 0.3  # after the response, for the server to finish the request's own code


def source_file(module: str) -> str:
    """`ragnotes.service.app` -> `service/app.py`, `ragnotes.errors` -> `ragnotes/errors.py`;
    a package is its `__init__.py`."""
    parts = module.split(".")
    folder = FOLDERS.get(".".join(parts[:2]))
    path = "/".join([folder, *parts[2:]] if folder else ["ragnotes", *parts[1:]])
    return f"{path}/__init__.py" if (ROOT / path).is_dir() else f"{path}.py"


def _product(module: str) -> bool:
    return module == "ragnotes" or module.startswith("ragnotes.")


class Tracer:
    """A profile function for sys.setprofile / threading.setprofile that, while `recording`,
    keeps the `__name__` of every product function's frame that starts."""

    def __init__(self) -> None:
        self.recording = False
        self.ignored: set[int] = set()
        self.seen: set[str] = set()

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if not self.recording or event != "call":
            return
        code = frame.f_code
        name = frame.f_globals.get("__name__", "")
        if not _product(name) and code.co_argcount and code.co_varnames[0] in ("self", "cls"):
            # a library's method run for one of our classes (a pydantic model validated or
            # written out): the class's module takes part
            owner = frame.f_locals.get(code.co_varnames[0])
            name = getattr(owner if isinstance(owner, type) else type(owner), "__module__", "")
        if not _product(name) or code.co_name == "<module>":
            return  # not ours, or an import running a module's top level
        if threading.get_ident() not in self.ignored:
            self.seen.add(name)

    @contextlib.contextmanager
    def record(self) -> Iterator[set[str]]:
        for thread in threading.enumerate():
            if thread.name == ONE_OFF_THREAD:
                thread.join(timeout=120)
        _empty_data_caches()
        background = (POLLING_THREAD, ONE_OFF_THREAD)
        self.ignored = {t.ident for t in threading.enumerate() if t.name in background and t.ident}
        self.seen = set()
        self.recording = True
        try:
            yield self.seen
        finally:
            self.recording = False


def _empty_data_caches() -> None:
    """Empty every bounded lru_cache of the product's loaded modules."""
    for name, module in list(sys.modules.items()):
        if not _product(name):
            continue
        for value in list(vars(module).values()):
            params = getattr(value, "cache_parameters", None)
            if callable(params) and params().get("maxsize") is not None:
                value.cache_clear()


@contextlib.contextmanager
def _environment(data: Path) -> Iterator[None]:
    """Only the RAGNOTES_* variables this run sets (a caller's own are put back after)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("RAGNOTES_")}
    for key in saved:
        del os.environ[key]
    os.environ["RAGNOTES_DATA_DIR"] = str(data)
    os.environ["RAGNOTES_MODELS_DIR"] = saved.get("RAGNOTES_MODELS_DIR") or str(MODELS)
    os.environ["RAGNOTES_ALLOWED_HOSTS"] = saved.get("RAGNOTES_ALLOWED_HOSTS", "")
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("RAGNOTES_")]:
            del os.environ[key]
        os.environ.update(saved)


def _cli() -> Callable[[list[str]], int]:
    """The `ragnotes` console script's function, as pyproject.toml names it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    module, function = project["scripts"]["ragnotes"].split(":")
    main: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
    return main


def _index(notes: Path) -> None:
    main = _cli()
    args = ["index", "--notes", str(notes), "--no-bundled", "--no-readmes"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(args)
    if status != 0:
        raise RuntimeError(f"ragnotes {' '.join(args)} failed ({status}): {out.getvalue()}")


def trace_build(tracer: Tracer, work: Path, notes: Path) -> set[str]:
    """`ragnotes index --notes NOTES` into a new data dir, after a first one warmed up."""
    with _environment(work / "warm-up"):
        _index(notes)
    with _environment(work / "data"):
        sys.setprofile(tracer.profile)
        threading.setprofile(tracer.profile)
        try:
            with tracer.record() as seen:
                _index(notes)
        finally:
            sys.setprofile(None)
            threading.setprofile(None)
    return set(seen)


# Each request: method, path, what httpx sends, and what its reply must hold to be the real path.
REQUESTS: dict[str, tuple[str, str, dict[str, Any], Callable[[httpx.Response], object]]] = {
    "ask": ("POST", "/api/ask", {"json": {"question": QUESTION, "k": 3}},
            lambda r: r.json()["passages"]),
    "answer": ("POST", "/api/answer",
               {"json": {"question": QUESTION, "k": 3, "generator": "extractive"}},
               lambda r: r.json()["answer"]["sentences"]),
    "results": ("GET", "/results", {"params": {"q": QUESTION}},
                lambda r: 'class="sentence"' in r.text),
}  # fmt: skip


def _send(base: str, flow: str) -> None:
    method, path, kwargs, answered = REQUESTS[flow]
    reply = httpx.request(method, base + path, timeout=120, **kwargs)
    try:
        ok = reply.status_code == 200 and bool(answered(reply))
    except (KeyError, TypeError, ValueError):  # another shape than the one checked
        ok = False
    if not ok:
        raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")


def trace_requests(tracer: Tracer, work: Path, notes: Path) -> dict[str, set[str]]:
    """Each request against the build in work/data, served by real uvicorn in a thread."""
    from ragnotes.service.app import create_app
    from ragnotes.service.settings import Settings
    from ragnotes_eval.loopback import served

    found: dict[str, set[str]] = {}
    with _environment(work / "data"):
        settings = Settings(notes_dir=str(notes), bundled_notes=False, readmes=False)
        # Every thread started from here on: the server's, its request threads, the model's pool.
        threading.setprofile(tracer.profile)
        try:
            with served(create_app(settings)) as base:
                for flow in REQUESTS:
                    _send(base, flow)  # the warm-up
                    with tracer.record() as seen:
                        _send(base, flow)
                        time.sleep(SETTLE_SECONDS)
                    found[flow] = set(seen)
        finally:
            threading.setprofile(None)
    return found


def trace_all() -> dict[str, list[str]]:
    """Every flow's modules, as sorted file paths (`service/app.py`)."""
    tracer = Tracer()
    with tempfile.TemporaryDirectory(prefix="ragnotes-flowmap-") as tmp:
        work = Path(tmp)
        notes = work / "notes"
        shutil.copytree(NOTES, notes)
        found = {"index": trace_build(tracer, work, notes), **trace_requests(tracer, work, notes)}
    return {flow: sorted(source_file(m) for m in found[flow]) for flow in FLOWS}

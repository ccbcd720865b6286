"""Where a request's CPU work runs: in the event loop's own thread when it is the only request
being answered, else on a worker thread.

Handing work to a thread and back costs two thread wake-ups, about 0.13-0.27 ms of one client's
5 ms request on two cores (eval/BENCHMARKS.md). When other requests are in flight, threads are
what lets their model runs overlap, so they still go to the threads; a request that is alone
runs in place, and the loop takes new connections again when it is done.

A request that is alone also leaves a core idle while its model runs. Its work is given the
spare thread (`work(spare)`), which a search hands what does not wait for the model: BM25's
scores, ready before the model is done, so the request never waits on the thread. With other
requests in flight the work gets None and does everything itself: the cores are busy, and a
hand-off would only add its wake-up to each request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TypeVar

from anyio import to_thread

T = TypeVar("T")


class CpuWork:
    """Runs CPU-bound request work (`run`), in place when no other request is running it."""

    def __init__(self) -> None:
        self.running = 0  # requests inside `run`, counted in the event loop's thread
        self._spare: ThreadPoolExecutor | None = None

    @property
    def spare(self) -> Executor:
        """One thread for what a lone request can do beside its own (made on first use)."""
        if self._spare is None:
            self._spare = ThreadPoolExecutor(1, thread_name_prefix="ragnotes-spare")
        return self._spare

    async def run(self, work: Callable[[Executor | None], T]) -> T:
        """`work(spare)` in place when alone, with the spare thread; else `work(None)` on a
        worker thread."""
        self.running += 1
        try:
            if self.running == 1:
                # Requests that arrived with this one reach `run` before it goes on, so it
                # sees them and leaves the loop free for them.
                await asyncio.sleep(0)
                if self.running == 1:
                    return work(self.spare)
            return await to_thread.run_sync(work, None)
        finally:
            self.running -= 1

    def close(self) -> None:
        """Stop the spare thread, if one was made."""
        if self._spare is not None:
            self._spare.shutdown(wait=False)

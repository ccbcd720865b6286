"""Connections dealt to worker processes in turn: the parent accepts, each worker serves.

With one listening socket shared by every worker, whichever event loop woke first accepted every
connection waiting, and a worker still loading took none; with a socket each (SO_REUSEPORT) the
kernel hashes connections over them, and 8 connections split 6/2 or worse in 3 tries of 10
(eval/BENCHMARKS.md). So the parent process accepts every connection and passes it, as a file
descriptor over a Unix socket (SCM_RIGHTS), to the next worker in turn, as Node's cluster module
does; the worker's uvicorn serves it like one it accepted itself. Keep-alive clients then spread
exactly: 8 over 2 workers are 4 and 4. Passing costs about 0.17 ms a connection, not a request
(a client that opens one per request waits 0.61 ms for a 404 instead of 0.45).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Callable

import uvicorn

_log = logging.getLogger("uvicorn.error")
_MAX_FDS = 64  # connections taken from the channel at once


class Dealer:
    """Accepts on `listener` in a thread and sends each connection to the next of the channels."""

    def __init__(self, listener: socket.socket, channels: list[socket.socket]) -> None:
        self.listener = listener
        self.channels = channels  # the parent's ends; a restarted worker's is replaced in place
        self._next = 0
        self._thread = threading.Thread(target=self._run, name="ragnotes-dealer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting (the listening socket is closed; connections already dealt stay)."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
        self.listener.close()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed: the server is stopping
            with conn:
                self._deal(conn)

    def _deal(self, conn: socket.socket) -> None:
        for _ in range(len(self.channels)):
            channel = self.channels[self._next]
            self._next = (self._next + 1) % len(self.channels)
            try:
                socket.send_fds(channel, [b"c"], [conn.fileno()])
                return
            except OSError:
                continue  # that worker is gone (it is being restarted): the next one
        _log.warning("no worker could take a connection; it was closed")


class HandedServer(uvicorn.Server):
    """uvicorn serving the connections that arrive on `channel` instead of accepting any."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._taking: set[asyncio.Task[None]] = set()  # held, so none is collected half-way

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app and its lifespan; no listening socket
        if self.should_exit:
            return
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._adopt, loop, self._protocol)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets)

    def _protocol(self) -> asyncio.Protocol:
        # What uvicorn's own `startup` makes for each connection it accepts.
        config = self.config
        make: Callable[..., asyncio.Protocol] = config.http_protocol_class
        return make(config=config, server_state=self.server_state, app_state=self.lifespan.state)

    def _adopt(
        self, loop: asyncio.AbstractEventLoop, protocol: Callable[[], asyncio.Protocol]
    ) -> None:
        try:
            data, fds, _, _ = socket.recv_fds(self.channel, _MAX_FDS, _MAX_FDS)
        except BlockingIOError:
            return
        if not data:  # the parent is gone: nothing more will come
            loop.remove_reader(self.channel.fileno())
            self.should_exit = True
            return
        for fd in fds:
            task = loop.create_task(self._take(loop, protocol, socket.socket(fileno=fd)))
            self._taking.add(task)
            task.add_done_callback(self._taking.discard)

    @staticmethod
    async def _take(
        loop: asyncio.AbstractEventLoop,
        protocol: Callable[[], asyncio.Protocol],
        conn: socket.socket,
    ) -> None:
        conn.setblocking(False)
        # uvloop sets this on the sockets it adopts, asyncio's own loop only on those it accepts
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await loop.connect_accepted_socket(protocol, conn)
        except OSError:  # the client left before this worker took it up
            conn.close()


def channel_pair() -> tuple[socket.socket, socket.socket]:
    """A Unix socket pair: the parent's end, which never blocks the dealer (a worker whose end
    is full or closed is skipped), and the worker's."""
    parent, worker = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    parent.setblocking(False)
    return parent, worker

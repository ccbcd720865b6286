"""Connections dealt to workers in turn, skipping a worker that is gone."""

from __future__ import annotations

import contextlib
import socket

from ragnotes.service.bind import listen
from ragnotes.service.handoff import Dealer, channel_pair


def test_connections_go_to_each_worker_in_turn_and_past_one_that_is_gone() -> None:
    with contextlib.ExitStack() as sockets:
        keep = sockets.enter_context

        def received(channel: socket.socket, count: int) -> list[socket.socket]:
            """`count` connections passed over `channel` (a worker's end)."""
            got: list[socket.socket] = []
            channel.settimeout(10)
            while len(got) < count:
                _, fds, _, _ = socket.recv_fds(channel, 64, 64)
                got += [keep(socket.socket(fileno=fd)) for fd in fds]
            return got

        listener = listen("127.0.0.1", 0)
        port = listener.getsockname()[1]
        pairs = [tuple(keep(s) for s in channel_pair()) for _ in range(3)]
        dealer = Dealer(listener, [ours for ours, _ in pairs])
        dealer.start()
        sockets.callback(dealer.stop)

        def connect(count: int) -> list[socket.socket]:
            return [keep(socket.create_connection(("127.0.0.1", port))) for _ in range(count)]

        clients = connect(6)
        taken = [received(theirs, 2) for _, theirs in pairs]
        # each worker holds the server's end of two of the six connections, which work
        peers = sorted(conn.getpeername()[1] for held in taken for conn in held)
        assert peers == sorted(c.getsockname()[1] for c in clients)
        for conn in (conn for held in taken for conn in held):
            conn.sendall(b"hi")
        assert all(c.recv(2) == b"hi" for c in clients)
        pairs[1][1].close()  # the second worker exits
        connect(4)
        assert [len(received(pairs[i][1], 2)) for i in (0, 2)] == [2, 2]

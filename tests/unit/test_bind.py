"""Where the server may listen: loopback, or elsewhere once told who may read it."""

from __future__ import annotations

import socket

import pytest

from ragnotes.errors import ConfigError
from ragnotes.service.bind import check_bind, is_loopback, listen


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, "", None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "example.org"])
def test_other_hosts_need_allowed_names_or_a_read_token(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(
        ConfigError, match=r"RAGNOTES_ALLOWED_HOSTS.*RAGNOTES_API_TOKEN.*127\.0\.0\.1"
    ):
        check_bind(host, "", None)
    with pytest.raises(ConfigError):
        check_bind(host, " ", "")
    check_bind(host, "notes.lan", None)
    check_bind(host, "", "a-read-token")


def test_workers_listen_on_sockets_of_their_own_and_a_taken_port_is_one_error() -> None:
    first = listen("127.0.0.1", 0)
    (port,) = {s.getsockname()[1] for s in first}
    with pytest.raises(ConfigError, match=rf"cannot listen on 127\.0\.0\.1:{port} .*--port"):
        listen("127.0.0.1", port, 2)
    first[0].close()
    sockets = listen("127.0.0.1", port, 3)
    try:
        assert len({s.fileno() for s in sockets}) == 3
        assert {s.getsockname()[1] for s in sockets} == {port}
        assert all(s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for s in sockets)
        # a second server, with one worker or several, is refused rather than let in beside them
        with pytest.raises(ConfigError, match="Address already in use"):
            listen("127.0.0.1", port)
        with pytest.raises(ConfigError, match="Address already in use"):
            listen("127.0.0.1", port, 2)
    finally:
        for s in sockets:
            s.close()

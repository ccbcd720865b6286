"""Where the server may listen: loopback, or elsewhere once told who may read it."""

from __future__ import annotations

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


def test_a_taken_port_is_one_error() -> None:
    with listen("127.0.0.1", 0) as first:
        port = first.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"cannot listen on 127\.0\.0\.1:{port} .*--port"):
            listen("127.0.0.1", port)
    with listen("127.0.0.1", port) as again:  # free once closed, TIME_WAIT or not
        assert again.getsockname()[1] == port

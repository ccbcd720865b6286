"""Where the server may listen: loopback always; any other address only once the server knows
the names it is reached by (RAGNOTES_ALLOWED_HOSTS) or reading needs a token (RAGNOTES_API_TOKEN).
And the listening sockets themselves, taken before the model loads, so a busy port is a one-line
error at once rather than after "serving".

Writes are a separate matter: re-indexing over HTTP always needs RAGNOTES_ADMIN_TOKEN.
"""

from __future__ import annotations

import ipaddress
import socket

from ragnotes.errors import ConfigError

_BACKLOG = 2048  # uvicorn's default


def is_loopback(host: str) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1; any other name or address counts as exposed."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_bind(host: str, allowed_hosts: str, api_token: str | None) -> None:
    """Refuse a non-loopback `host` unless host names or a read token are configured."""
    if is_loopback(host) or allowed_hosts.strip() or api_token:
        return
    raise ConfigError(
        f"refusing to serve on {host}, which other machines can reach, before you say who may "
        "read it: set RAGNOTES_ALLOWED_HOSTS (the names clients use, e.g. notes.lan) or "
        "RAGNOTES_API_TOKEN (a read token), or serve on 127.0.0.1"
    )


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`, or a ConfigError when the port is taken."""
    name = host.strip("[]")
    sock = socket.socket(socket.AF_INET6 if ":" in name else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart over TIME_WAIT
        sock.bind((name, port))
        sock.listen(_BACKLOG)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); another server may be "
            "using that port: stop it, or choose another with --port"
        ) from exc
    return sock

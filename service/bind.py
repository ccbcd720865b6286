"""Where the server may listen: loopback always, any other address only behind an admin token."""

from __future__ import annotations

import ipaddress

from corpus.errors import ConfigError


def is_loopback(host: str) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1; any other name or address counts as exposed."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_bind(host: str, admin_token: str | None) -> None:
    """Refuse a non-loopback `host` unless an admin token is set; the message names the fix."""
    if is_loopback(host) or admin_token:
        return
    raise ConfigError(
        f"refusing to serve on {host}, which other machines can reach, without an admin token; "
        "set RAGNOTES_ADMIN_TOKEN, or serve on 127.0.0.1"
    )

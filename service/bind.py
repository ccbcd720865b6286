"""Where the server may listen: loopback always; any other address only once the server knows
the names it is reached by (RAGNOTES_ALLOWED_HOSTS) or reading needs a token (RAGNOTES_API_TOKEN).

Writes are a separate matter: re-indexing over HTTP always needs RAGNOTES_ADMIN_TOKEN.
"""

from __future__ import annotations

import ipaddress

from ragnotes.errors import ConfigError


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

"""Who may open the web phone and use the control API (``GET /``, ``/_emulator/...``).

The rule follows the address the emulator listens on, as configured:

- on a loopback address (``127.0.0.1``, ``::1``, ``localhost``: the default) only programs
  of this machine can connect, so no key is asked. A page of some web site open in the same
  browser is still kept out: a request must name a loopback host in ``Host`` (a DNS name
  rebound to 127.0.0.1 does not), and a change must be sent as JSON, which a cross-site form
  cannot do without the permission (CORS) the emulator never gives;
- on any other address, every request must carry the emulator's API key (``X-API-KEY``) or
  its page token: ``?token=`` on the page URL that ``ivowaba emulator`` prints, which the page
  then keeps in a same-site, script-hidden cookie. The token is derived from the API key
  (an HMAC), so it is stable across restarts and does not reveal the key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Final

#: The query parameter and the cookie carrying the page token.
TOKEN_PARAMETER: Final = "token"
TOKEN_COOKIE: Final = "ivowaba_emulator_token"
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost."})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``, as given to listen on, or the host of
    a ``Host`` header without its port) is reachable from this machine only."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def page_token(api_key: str) -> str:
    """The token that opens the page of an emulator accepting ``api_key``."""
    return hmac.new(api_key.encode(), b"ivowaba emulator page", hashlib.sha256).hexdigest()[:32]


def host_of(header: str) -> str:
    """The host of a ``Host`` header, without its port (``[::1]:8080`` → ``::1``)."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class Access:
    """The rule for an emulator listening on ``host``."""

    def __init__(self, host: str) -> None:
        self.open = is_loopback(host)

    def refusal(
        self,
        *,
        api_key: str,
        host_header: str,
        key: str | None,
        token: str | None,
        method: str,
        content_type: str,
    ) -> tuple[int, str] | None:
        """Why the request is refused, as an HTTP status and a reason; ``None`` when it may
        go on."""
        if self.open:
            if not is_loopback(host_of(host_header)):
                return 403, "this emulator answers requests to a loopback host only"
        elif not _granted(api_key, key, token):
            return 401, (
                "this emulator listens beyond this machine: send its API key as X-API-KEY, "
                "or open the page URL it printed (with ?token=)"
            )
        if method == "POST" and content_type != "application/json":
            return 415, "a change must be sent as Content-Type: application/json"
        return None


def _granted(api_key: str, key: str | None, token: str | None) -> bool:
    if key is not None and hmac.compare_digest(key.encode(), api_key.encode()):
        return True
    return token is not None and hmac.compare_digest(token.encode(), page_token(api_key).encode())

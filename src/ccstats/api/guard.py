"""Who may call, and how often: client networks, per-customer rates, failed logins.

- A customer with allowed networks (CIDRs) answers requests from other client
  addresses with 403, after authentication (so the answer reveals nothing to
  strangers).
- Each customer may make `rate_limit` requests per second (its own setting, or
  the server's default); beyond that the answer is 429 with ``Retry-After``.
- A client address whose logins failed too often within a minute gets 429
  before its credentials are even checked, so that guessing keys, and making
  the server compute slow hashes for it, stays expensive.

Windows are kept in this process's memory (`limits`, moving windows); several
server processes each count their own requests.
"""

from __future__ import annotations

import ipaddress
import math
import time
from functools import lru_cache

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ccstats.api.envelope import forbidden, too_many_requests
from ccstats.model import Customer


@lru_cache(maxsize=1024)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def client_address(request: Request) -> str | None:
    """The address of the client of `request` (as uvicorn determined it), if known."""
    return request.client.host if request.client else None


def address_allowed(customer: Customer, client: str | None) -> bool:
    """Whether `client` (an IP address text) may call `customer`'s API."""
    return not customer.networks or address_in(customer.networks, client)


def address_in(networks: tuple[str, ...], client: str | None) -> bool:
    """Whether `client` (an IP address text) lies in one of `networks` (CIDRs)."""
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(networks))


class Guard:
    """Admission of requests: networks, request rates and failed logins."""

    def __init__(self, default_rate: int, failed_logins_per_minute: int) -> None:
        self._default_rate = default_rate
        self._failed_limit = (RateLimitItemPerMinute(failed_logins_per_minute)
                              if failed_logins_per_minute > 0 else None)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def admit(self, customer: Customer, client: str | None) -> None:
        """Raise 403 for a client outside the customer's networks, 429 over its rate."""
        if not address_allowed(customer, client):
            raise forbidden(f"requests from {client or 'this address'} are not allowed for "
                            "this customer; ask its administrator to add your network")
        rate = customer.rate_limit if customer.rate_limit is not None else self._default_rate
        if rate > 0:
            item = RateLimitItemPerSecond(rate)
            if not self._limiter.hit(item, "customer", customer.name):
                raise too_many_requests(self._retry_after(item, "customer", customer.name),
                                        f"more than {rate} requests per second")

    def check_login(self, client: str | None) -> None:
        """Raise 429 if logins from `client` failed too often in the last minute."""
        key = client or "unknown"
        if self._failed_limit and not self._limiter.test(self._failed_limit, "login", key):
            raise too_many_requests(self._retry_after(self._failed_limit, "login", key),
                                    "too many failed logins from this address")

    def login_failed(self, client: str | None) -> None:
        if self._failed_limit:
            self._limiter.hit(self._failed_limit, "login", client or "unknown")

    def _retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        reset = self._limiter.get_window_stats(item, *identifiers).reset_time
        return max(1, math.ceil(reset - time.time()))

"""Tenancy and authentication (api.md, "Tenancy and authentication").

The customer of a request is the first label of the ``Host`` header when the
host is ``<customer>.<base domain>``; for any other host it is the Basic auth
user name. The password must be one of that customer's keys. A name in the
credentials that differs from the host's customer, an unknown customer and a
wrong key all get the same 401.

Verifying a key costs a deliberately slow hash; a verified (customer, key) pair
is remembered for a short time under an HMAC of the key with a per-process
secret, so that plain keys are never held in memory beyond the request.
Changing a customer's keys or access through the API (the customer's routes or
the operator's, which the commands' ``--server`` use) forgets its entries at
once; a change made with the command line on the database reaches a running
server within that time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Request

from ccstats.api.envelope import forbidden, unauthorized
from ccstats.api.guard import Guard, client_address
from ccstats.model import Customer, Scope
from ccstats.service import Service

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Tenant:
    """The authenticated customer of a request and what its key may do."""

    customer: Customer
    scopes: frozenset[Scope]
    key_id: str
    """The id of the key the request was authenticated with."""

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise forbidden(f"this key lacks the {scope} scope")


def host_customer(host: str | None, base_domain: str) -> str | None:
    """The customer named by a ``Host`` header value, if it is ``<customer>.<base_domain>``."""
    if not host or host.startswith("["):
        return None
    name = host.rsplit(":", 1)[0].lower().rstrip(".")
    suffix = "." + base_domain.lower().strip(".")
    if not name.endswith(suffix):
        return None
    label = name[: -len(suffix)]
    return label if label and "." not in label else None


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic ...`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


class VerifiedKeys(Generic[V]):
    """Keys verified lately, each with what it proved (a tenant, ...), remembered for
    `seconds` under (a name, an HMAC of the key with a per-process secret): the plain
    key is never held, and the slow hash runs once per `seconds`."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic,
                 most: int = 10_000) -> None:
        self._seconds = seconds
        self._clock = clock
        self._most = most
        self._secret = secrets.token_bytes(32)
        self._found: dict[tuple[str, bytes], tuple[float, V]] = {}
        self._lock = threading.Lock()

    def _fingerprint(self, name: str, key: str) -> tuple[str, bytes]:
        return name, hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).digest()

    def get(self, name: str, key: str) -> V | None:
        """What `key` proved for `name`, if it was verified within the last `seconds`."""
        remembered = self._fingerprint(name, key)
        with self._lock:
            found = self._found.get(remembered)
        return found[1] if found and found[0] > self._clock() else None

    def put(self, name: str, key: str, value: V) -> None:
        remembered = self._fingerprint(name, key)
        now = self._clock()
        with self._lock:
            if len(self._found) >= self._most:
                self._found = {k: v for k, v in self._found.items() if v[0] > now}
                if len(self._found) >= self._most:
                    self._found.clear()
            self._found[remembered] = (now + self._seconds, value)

    def forget(self, name: str) -> None:
        """Drop the keys remembered for `name`."""
        with self._lock:
            for remembered in [k for k in self._found if k[0] == name]:
                del self._found[remembered]


class Authenticator:
    """Resolves and checks the tenant of each request."""

    def __init__(self, service: Service, guard: Guard, base_domain: str, cache_seconds: float,
                 clock: Callable[[], float] = time.monotonic,
                 refused: Callable[[str], bool] | None = None) -> None:
        """`refused(password)` says a password no customer may log in with (the operator
        key): it is asked after a successful check, so only right passwords pay for it."""
        self._service = service
        self._refused = refused
        self._guard = guard
        self._base_domain = base_domain
        self._verified: VerifiedKeys[Tenant] = VerifiedKeys(cache_seconds, clock)

    def tenant(self, request: Request) -> Tenant:
        """The tenant of `request`; raises a 401 problem when credentials do not match."""
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None:
            raise unauthorized()
        user, password = credentials
        named = host_customer(request.headers.get("host"), self._base_domain)
        if named is not None and user != named:
            raise unauthorized("wrong credentials for this customer")
        cached = self._verified.get(user, password)
        if cached is not None:
            return cached
        client = client_address(request)
        self._guard.check_login(client)
        found = self._service.authenticate(user, password)
        if found is None or (self._refused is not None and self._refused(password)):
            self._guard.login_failed(client)
            raise unauthorized("wrong credentials for this customer")
        customer, key = found
        tenant = Tenant(customer, frozenset(key.scopes), key.key_id)
        self._verified.put(user, password, tenant)
        return tenant

    def forget(self, customer_name: str) -> None:
        """Drop the remembered keys of a customer (after its keys or access changed)."""
        self._verified.forget(customer_name)

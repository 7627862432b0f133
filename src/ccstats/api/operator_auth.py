"""Authentication of the operator routes with the operator key (`ccstats.operator_key`).

Operator routes take ``Authorization: Bearer <key>``. A wrong key costs the same
slow hash as a right one; failed attempts are counted per client address by a
`Guard` of their own, so that guessing the operator key and guessing customers'
keys are limited apart. A verified key is remembered for
a short time as customers' keys are (`ccstats.api.auth.VerifiedKeys`), so that an
import sent in many parts pays the hash once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ccstats.api.auth import VerifiedKeys
from ccstats.api.envelope import ApiProblem
from ccstats.api.guard import Guard, client_address
from ccstats.errors import ApiError
from ccstats.operator_key import OperatorKey

if TYPE_CHECKING:
    from fastapi import Request

def operator_unauthorized() -> ApiProblem:
    return ApiProblem(401, [ApiError("error.unauthorized",
                                     "send the operator key: Authorization: Bearer <key>",
                                     None)],
                      {"WWW-Authenticate": 'Bearer realm="ccstats operator"'})


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class OperatorAuthenticator:
    """Checks the operator key of each request to an operator route."""

    def __init__(self, key: OperatorKey, failed_logins_per_minute: int, cache_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._key = key
        self._guard = Guard(0, failed_logins_per_minute)
        self._verified: VerifiedKeys[bool] = VerifiedKeys(cache_seconds, clock)

    def check(self, request: Request) -> None:
        """Return if `request` carries the operator key; else raise 401 (429 once the
        client's failed attempts exceed the limit)."""
        token = bearer_token(request.headers.get("authorization"))
        client = client_address(request)
        if token is None:
            self._guard.check_login(client)
            raise operator_unauthorized()
        if self._verified.get("", token):
            return
        self._guard.check_login(client)
        if not self._key.matches(token):
            self._guard.login_failed(client)
            raise operator_unauthorized()
        self._verified.put("", token, True)

    def is_operator_key(self, password: str) -> bool:
        """Whether `password` is the operator key (one slow hash): no customer may log in
        with it, even one whose chosen password it is."""
        return self._key.matches(password)

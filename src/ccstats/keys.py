"""API keys: generated, shown once, stored only as salted scrypt hashes.

A key is checked by hashing the presented password with each of the customer's
salts and comparing digests in constant time (`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ccstats.model import ApiKey, Scope

#: scrypt cost: about 30 ms on a current core, enough to make guessing expensive.
_N, _R, _P = 2**14, 8, 1


_NO_SALT = bytes(16)


def generate_secret() -> str:
    """A new random key (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def digest(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def new_key(password: str, scopes: tuple[Scope, ...]) -> ApiKey:
    """The stored form of `password`."""
    salt = secrets.token_bytes(16)
    return ApiKey(secrets.token_hex(4), salt, digest(password, salt), scopes)


def matching_key(password: str, keys: list[ApiKey]) -> ApiKey | None:
    """The key among `keys` whose hash `password` matches, or None.

    Every key is hashed and compared, so the time taken does not reveal which
    key (if any) matched; with no keys at all (an unknown customer) one hash is
    still computed, so that case costs as much as a wrong key.
    """
    if not keys:
        digest(password, _NO_SALT)
        return None
    found: ApiKey | None = None
    for key in keys:
        if hmac.compare_digest(digest(password, key.salt), key.digest):
            found = key
    return found

"""API keys: generated, shown once, stored only as salted scrypt hashes.

A generated key reads ``<key id>.<secret>``: the id (not secret, listed to
admins) says which stored hash to check, so a login costs one slow hash however
many keys the customer has. A key chosen by an operator (``--password``) has no
id in it; it is checked against every key of the customer. Digests are compared
in constant time (`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ccstats.model import ApiKey, Scope

#: scrypt cost: about 30 ms on a current core, enough to make guessing expensive.
_N, _R, _P = 2**14, 8, 1


_NO_SALT = bytes(16)


def generate(scopes: tuple[Scope, ...]) -> tuple[ApiKey, str]:
    """A new key with `scopes`: its stored form and the secret to show once."""
    key_id = secrets.token_hex(4)
    secret = f"{key_id}.{secrets.token_urlsafe(24)}"
    return new_key(secret, scopes, key_id), secret


def digest(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def new_key(password: str, scopes: tuple[Scope, ...], key_id: str | None = None) -> ApiKey:
    """The stored form of `password` (under a new random id unless `key_id` is given)."""
    salt = secrets.token_bytes(16)
    return ApiKey(key_id or secrets.token_hex(4), salt, digest(password, salt), scopes)


def matching_key(password: str, keys: list[ApiKey]) -> ApiKey | None:
    """The key among `keys` whose hash `password` matches, or None.

    A password that names one of the keys by its id is checked against that key
    only; any other against every key, so the time taken does not reveal which
    key (if any) matched. With no keys at all (an unknown customer) one hash is
    still computed, so that case costs as much as a wrong key.
    """
    named, dot, _ = password.partition(".")
    candidates = [key for key in keys if dot and key.key_id == named] or keys
    if not candidates:
        digest(password, _NO_SALT)
        return None
    found: ApiKey | None = None
    for key in candidates:
        if hmac.compare_digest(digest(password, key.salt), key.digest):
            found = key
    return found

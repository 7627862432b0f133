"""API keys: generated, shown once, stored only as salted scrypt hashes.

Every login attempt costs exactly one slow hash, however many keys the customer
has, whether it succeeds or not. A generated key reads ``<key id>.<secret>``: the
id (not secret, listed to admins) says which stored hash to check. A key chosen
by an operator (``customer create --password``) names no key id; only the key a
customer is created with can be chosen, so a password that names no key is
checked against the customer's first key alone. Digests are compared in
constant time (`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ccstats.model import ApiKey, Scope

#: scrypt cost: slow enough per key to make guessing expensive, while a verified key is
#: cached (see `ccstats.api.auth`) so that a client pays it once.
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
    """The key among `keys` (in the order they were added) that `password` is, or None.

    Exactly one hash is computed: against the key whose id `password` names, else
    against the first key (the only one that can hold a chosen password), else (no
    keys at all: an unknown customer) with a fixed salt, so that every attempt
    costs the same.
    """
    named, dot, _ = password.partition(".")
    key = next((key for key in keys if dot and key.key_id == named), keys[0] if keys else None)
    if key is None:
        digest(password, _NO_SALT)
        return None
    return key if hmac.compare_digest(digest(password, key.salt), key.digest) else None

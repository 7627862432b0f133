"""The operator key: one key, separate from every customer's, for the operator routes.

`ccstats serve --operator-key-file PATH` reads the key from the file's first line
and keeps only a salted scrypt hash of it (`ccstats.keys.digest`); digests are
compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from ccstats import keys

#: The environment variable from which the commands' ``--server`` take the key.
ENV = "CCSTATS_OPERATOR_KEY"

#: The shortest operator key accepted: a key is meant to be random, not remembered.
MIN_LENGTH = 24


def new_secret() -> str:
    """A new random operator key (what ``ccstats operator-key new`` prints)."""
    return secrets.token_urlsafe(32)


class OperatorKey:
    """The hash of the operator key; the key itself is not kept."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_LENGTH or secret != secret.strip():
            raise ValueError(f"the operator key must be at least {MIN_LENGTH} characters "
                             "without spaces around it; make one with ccstats operator-key new")
        self._salt = secrets.token_bytes(16)
        self._digest = keys.digest(secret, self._salt)

    @classmethod
    def from_file(cls, path: Path) -> OperatorKey:
        """The key on the first line of `path` (a trailing line break is not part of it)."""
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls(lines[0] if lines else "")

    def matches(self, secret: str) -> bool:
        """Whether `secret` is the operator key (one slow hash, constant-time comparison)."""
        return hmac.compare_digest(keys.digest(secret, self._salt), self._digest)



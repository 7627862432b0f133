"""Server settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ccstats.operator_key import OperatorKey
from ccstats.options import DEFAULT_MAX_DAYS

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
DEFAULT_RATE_LIMIT = 100
DEFAULT_FAILED_LOGINS = 30
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_KEEP_ALIVE = 15.0
DEFAULT_STREAM_BUFFER = 4


@dataclass(frozen=True, slots=True)
class Settings:
    """What an operator may configure (`ccstats serve` options)."""

    base_domain: str = "localhost"
    """Hosts ``<customer>.<base_domain>`` name their customer."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Larger request bodies get 413."""
    max_days: int = DEFAULT_MAX_DAYS
    """Longest `from`..`to` range of one statistics request, in days."""
    auth_cache_seconds: float = 60.0
    """How long a verified key is remembered, so that the slow hash runs once a minute."""
    rate_limit: int = DEFAULT_RATE_LIMIT
    """Requests per second per customer unless the customer has its own limit; 0: none."""
    failed_logins_per_minute: int = DEFAULT_FAILED_LOGINS
    """Failed logins from one client address within a minute before it gets 429; 0: none."""
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    """Seconds a request body may stall (no bytes arrive) before the request gets 408."""
    stream_keep_alive: float = DEFAULT_KEEP_ALIVE
    """Seconds between the keep-alive comments of a real-time stream."""
    stream_buffer: int = DEFAULT_STREAM_BUFFER
    """Snapshots a real-time stream holds for a client that has not read them yet; a
    client that falls further behind is dropped."""
    operator_key: OperatorKey | None = None
    """The hash of the operator key; None: the operator routes do not exist."""
    upload_root: Path | None = None
    """Where imports sent in parts wait (`ccstats.api.upload_spool`); None: the temporary
    folder."""

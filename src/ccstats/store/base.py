"""The storage interface. Callers (CLI, API) speak only to this protocol.

Contract shared by every implementation:

- **Events** are keyed by (customer, event id). A `writer` is one atomic batch:
  tables of normalized events (`ccstats.events.NORMALIZED_SCHEMA` plus
  ``line_no``) are added in order; an id already stored, or added earlier in the
  batch, is replaced (its old contribution to the sums is withdrawn), and within
  one table the last line of an id wins; unknown projects and users are
  registered. When the writer's block ends normally the whole batch becomes
  visible at once; if it raises, or `abort` was called, nothing is stored.
- **Sums** per (customer, project, user, UTC quarter-hour, field) hold ``cnt``
  (times counted), ``secs`` (seconds) and ``hits`` (contributions, which decide
  whether a field is present). They are derived from the events and can be
  recomputed by `rebuild` at any time.
- **Name mappings** (`NameMapping`) tie names of an outside system to project
  and user ids; at most one per (customer, source, kind, name), kept until replaced.
- **Statistics** are streamed by `records` as UTF-8 pieces that concatenate to
  the records in the requested order, already rendered for the requested format
  (see `ccstats.render` for the separator and what surrounds them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

import pyarrow as pa

from ccstats.model import (
    ApiKey,
    Customer,
    NameMapping,
    Preset,
    Project,
    Status,
    User,
    UserKind,
)
from ccstats.query import StatsQuery


class EventWriter(Protocol):
    """Adds events to one open batch."""

    def add(self, events: pa.Table) -> None:
        """Add normalized events, numbered by a ``line_no`` column; of an id that occurs
        more than once, the highest-numbered line wins."""
        ...

    def abort(self) -> None:
        """Store nothing of this batch."""
        ...


class Store(Protocol):
    """Persistence of customers, their metadata, events and sums."""

    # customers and keys
    def create_customer(self, name: str, timezone: str) -> Customer: ...
    def customer(self, name: str) -> Customer | None: ...
    def customers(self) -> list[Customer]: ...
    def set_access(self, customer_id: int, networks: tuple[str, ...],
                   rate_limit: int | None) -> None:
        """Replace the customer's allowed client networks and rate limit."""
        ...

    def add_key(self, customer_id: int, key: ApiKey) -> None: ...
    def keys(self, customer_id: int) -> list[ApiKey]: ...

    def revoke_key(self, customer_id: int, key_id: str) -> bool:
        """Forget a key; False if the customer has no key `key_id`."""
        ...

    # projects and users
    def projects(self, customer_id: int) -> list[Project]: ...
    def save_project(self, customer_id: int, project: Project) -> None: ...
    def users(self, customer_id: int) -> list[User]: ...
    def save_user(self, customer_id: int, user: User) -> None: ...

    # presets
    def presets(self, customer_id: int) -> list[Preset]: ...
    def create_preset(self, customer_id: int, name: str, fields: tuple[str, ...]) -> Preset: ...
    def delete_preset(self, customer_id: int, preset_id: int) -> bool: ...

    # names of outside systems (e.g. Asterisk queues and members) and their ids here
    def name_mappings(self, customer_id: int, source: str) -> list[NameMapping]:
        """The customer's mappings of `source`, ordered by kind, then name."""
        ...

    def save_name_mapping(self, customer_id: int, mapping: NameMapping) -> None:
        """Insert, or replace the one with the same (source, kind, name).

        Only stores the pair: it neither checks nor creates the project or user.
        """
        ...

    # events and sums
    def writer(self, customer_id: int) -> AbstractContextManager[EventWriter]:
        """An atomic batch of events of one customer (see the module docstring)."""
        ...

    def delete_event(self, customer_id: int, event_id: str) -> bool:
        """Remove one event and its contribution; False if the id is unknown."""
        ...

    def rebuild(self, customer_id: int | None = None) -> int:
        """Recompute the sums from the stored events; returns the number of events read."""
        ...

    def compact(self) -> None:
        """Merge the delta logs of the sums (answers stay the same; fewer rows to read)."""
        ...

    def event_count(self, customer_id: int) -> int: ...

    def events(self, customer_id: int) -> Iterator[pa.Table]:
        """The customer's stored events (normalized, one version per id), in blocks."""
        ...

    # statistics
    def records(self, query: StatsQuery) -> Iterator[bytes]:
        """The rendered records of `query`, in order (see the module docstring)."""
        ...

    def migrate(self) -> None:
        """Create or upgrade the tables (a no-op when they are current)."""
        ...

    def close(self) -> None: ...


__all__ = ["Customer", "Project", "Status", "Store", "User", "UserKind"]

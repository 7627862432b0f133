"""The storage interface. Its one caller is `ccstats.service.Service`, which the command
line, the API and the importers speak to.

Contract shared by every implementation:

- **Events** are keyed by (customer, event id). A `writer` is one atomic batch:
  tables of normalized events (`ccstats.events.NORMALIZED_SCHEMA` plus
  ``line_no``) are added in order; an id already stored, or added earlier in the
  batch, is replaced (its old contribution to the sums is withdrawn), and within
  one table the last line of an id wins; unknown projects and users are
  registered. A batch may also give names of an outside system ids
  (`EventWriter.map_names`). When the writer's block ends normally the whole
  batch, its name mappings and the projects and users they create included,
  becomes visible at once; if it raises, or `abort` was called, nothing is stored.
- **Sums** per (customer, project, user, UTC quarter-hour, field) hold ``cnt``
  (times counted), ``secs`` (seconds) and ``hits`` (contributions, which decide
  whether a field is present). They are derived from the events and can be
  recomputed by `rebuild` at any time.
- **Metadata changes that depend on what is stored** (creating a customer, a
  project or a user; changing some members of one; revoking a key while another
  admin key remains; adding a key below a limit) are one method each, which checks
  and changes at once, so that concurrent callers cannot both pass the check: each
  implementation says how far that holds across processes. Giving new names of an
  outside system free ids is done by a batch (`EventWriter.map_names`), which
  writers of one store do one at a time.
- **Keys** are listed in the order they were added: the first is the key the
  customer was created with.
- **Name mappings** (`NameMapping`) tie names of an outside system to project
  and user ids; at most one per (customer, source, kind, name), kept until replaced.
- **Statistics** are the pipeline's (`ccstats.pipeline`): a store runs the
  statements it writes, as a `ccstats.pipeline.source.CellSource`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import AbstractContextManager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from ccstats.model import (
    ApiKey,
    Customer,
    MappingKind,
    NameMapping,
    Preset,
    Project,
    Queue,
    Scope,
    Status,
    User,
    UserKind,
)
from ccstats.pipeline.source import CellSource
from ccstats.store.erasure import Erasure
from ccstats.store.selection import EventSelection

if TYPE_CHECKING:  # (ccstats.retention reads ccstats.store.selection)
    from ccstats.retention import Cutoff


class Revocation(Enum):
    """What `Store.revoke_key` did."""

    REVOKED = "revoked"
    UNKNOWN = "unknown"
    """The customer has no such key."""
    LAST_ADMIN = "last admin"
    """Kept: no other key of the customer has the admin scope."""


def has_admin(keys: Sequence[ApiKey]) -> bool:
    return any(Scope.ADMIN in key.scopes for key in keys)


def refusal(keys: Sequence[ApiKey], key_id: str) -> Revocation | None:
    """Why key `key_id` cannot be revoked from the customer's `keys`, or None if it can."""
    found = [key for key in keys if key.key_id == key_id]
    if not found:
        return Revocation.UNKNOWN
    if has_admin(found) and not has_admin([key for key in keys if key.key_id != key_id]):
        return Revocation.LAST_ADMIN
    return None


#: The table and id column (in every store) that a mapping of each kind points into.
ENTITY_TABLES = {MappingKind.PROJECT: ("projects", "project_id"),
                 MappingKind.USER: ("users", "user_id")}

#: Chooses the id of a name seen for the first time: given the name, the mappings of
#: its kind (name -> id) and the ids of the customer's projects (or users), it returns
#: the id and the name of the project (or user) to create when that id has none.
ChooseId = Callable[[str, Mapping[str, int], AbstractSet[int]], tuple[int, str]]


def map_new_names(names: Sequence[str], mapped: dict[str, int], taken: set[int],
                  choose: ChooseId, save: Callable[[str, int, str | None], None]
                  ) -> dict[str, int]:
    """`EventWriter.map_names` over the mappings `mapped` and ids `taken` that the batch
    sees: `save(name, id, title)` stores a new mapping with the batch, and the project
    or user of `id` named `title` unless `title` is None (it exists)."""
    for name in names:
        if name not in mapped:
            target, title = choose(name, mapped, taken)
            save(name, target, None if target in taken else title)
            mapped[name] = target
            taken.add(target)
    return {name: mapped[name] for name in names}


class NameMapper(Protocol):
    """Gives names of an outside system ids, within one open batch."""

    def map_names(self, source: str, kind: MappingKind, names: Sequence[str],
                  choose: ChooseId) -> dict[str, int]:
        """The ids of `names` (of `source`, of `kind`); a name without a mapping gets
        the id `choose` picks (creating its project or user if that id has none).

        The names are mapped in order, each seeing the mappings made before it, and
        `choose` sees the mappings and ids, stored or of this batch, at the moment it
        is called. The new mappings and the projects and users they create are stored
        with the batch: none of them if it is aborted or fails.
        """
        ...


class EventWriter(NameMapper, Protocol):
    """Adds events to one open batch (and maps names within it)."""

    def add(self, events: pa.Table) -> None:
        """Add normalized events, numbered by a ``line_no`` column; of an id that occurs
        more than once, the highest-numbered line wins."""
        ...

    def abort(self) -> None:
        """Store nothing of this batch."""
        ...


class Store(CellSource, Protocol):
    """Persistence of customers, their metadata, events and sums."""

    # customers and keys
    def create_customer(self, name: str, timezone: str, key: ApiKey) -> Customer | None:
        """Create customer `name` with its first key `key`; None if the name is taken
        (of concurrent creators of one name, exactly one gets the customer)."""
        ...

    def customer(self, name: str) -> Customer | None: ...
    def customers(self) -> list[Customer]: ...
    def set_access(self, customer_id: int, networks: tuple[str, ...],
                   rate_limit: int | None, keep_days: int | None) -> None:
        """Replace the customer's allowed client networks, rate limit and retention."""
        ...

    def add_key(self, customer_id: int, key: ApiKey, limit: int | None = None) -> bool:
        """Add `key`, unless the customer holds `limit` keys already (then False)."""
        ...

    def keys(self, customer_id: int) -> list[ApiKey]:
        """The customer's keys in the order they were added."""
        ...

    def revoke_key(self, customer_id: int, key_id: str) -> Revocation:
        """Forget a key, unless it is the customer's last key with the admin scope."""
        ...

    # projects and users
    def projects(self, customer_id: int) -> list[Project]: ...

    def create_project(self, customer_id: int, project: Project) -> bool:
        """Add `project`; False (and nothing changed) if its id exists."""
        ...

    def update_project(self, customer_id: int, project_id: int, name: str | None,
                       status: Status | None) -> Project | None:
        """Change the given members of a project; the result, or None for an unknown id."""
        ...

    def save_project(self, customer_id: int, project: Project) -> None:
        """Insert or replace `project` (every member)."""
        ...

    # queues (`CellSource.queues` lists them)
    def create_queue(self, customer_id: int, queue: Queue) -> bool:
        """Add `queue`; False (and nothing changed) if its id exists."""
        ...

    def update_queue(self, customer_id: int, queue_id: int, name: str | None,
                     status: Status | None) -> Queue | None:
        """Change the given members of a queue; the result, or None for an unknown id."""
        ...

    def users(self, customer_id: int) -> list[User]: ...

    def create_user(self, customer_id: int, user: User) -> bool:
        """Add `user`; False (and nothing changed) if its id exists."""
        ...

    def update_user(self, customer_id: int, user_id: int, name: str | None,
                    kind: UserKind | None, status: Status | None) -> User | None:
        """Change the given members of a user; the result, or None for an unknown id."""
        ...

    def save_user(self, customer_id: int, user: User) -> None:
        """Insert or replace `user` (every member)."""
        ...

    # presets
    def presets(self, customer_id: int) -> list[Preset]: ...
    def create_preset(self, customer_id: int, name: str, fields: tuple[str, ...]) -> Preset: ...
    def delete_preset(self, customer_id: int, preset_id: int) -> bool: ...

    # names of outside systems (e.g. Asterisk queues and members) and their ids here
    def name_mappings(self, customer_id: int, source: str) -> list[NameMapping]:
        """The customer's mappings of `source`, ordered by kind, then name."""
        ...

    def save_name_mapping(self, customer_id: int, mapping: NameMapping, title: str) -> None:
        """Insert, or replace the one with the same (source, kind, name), and create the
        project or user of its id, named `title`, unless it exists."""
        ...

    # events and sums
    def writer(self, customer_id: int) -> AbstractContextManager[EventWriter]:
        """An atomic batch of events of one customer (see the module docstring)."""
        ...

    def delete_event(self, customer_id: int, event_id: str) -> bool:
        """Remove one event and its contribution; False if the id is unknown."""
        ...

    def withdraw_events(self, customer_id: int, selection: EventSelection) -> int:
        """Remove the current events that `selection` takes, and their contributions, in
        one transaction; the number removed."""
        ...

    def erase_user(self, customer_id: int, user_id: int) -> Erasure | None:
        """Remove every row that names user `user_id`: its events (withdrawn, queue calls
        it answered included), its sums rows, its name and the name mappings to it
        (`ccstats.store.erasure`); None (nothing changed) if the customer has no such user.
        The user's statistics are empty afterwards and every other user's unchanged; an
        event naming the id later registers it again as a new user."""
        ...

    def prune_before(self, customer_id: int, cutoff: Cutoff) -> int:
        """Remove the customer's events and rows before `cutoff` (`ccstats.retention`) at
        once: readers see all of it or none; the number of events removed."""
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

    def live_events(self, customer_id: int, since: int) -> pa.Table:
        """The current versions (normalized) of the customer's open intervals and of its
        queue calls, open or closed, that started at `since` (epoch seconds) or later:
        what the real-time answers are made of (realtime.md)."""
        ...

    def change_mark(self, customer_id: int) -> int:
        """A number that grows whenever a batch or a deletion of the customer is committed,
        by any process writing to the store (the real-time stream watches it)."""
        ...

    def migrate(self) -> None:
        """Create or upgrade the tables (a no-op when they are current)."""
        ...

    def backup(self, destination: Path) -> int:
        """Write a consistent copy of the store, as it is between two writes, to the new
        file `destination`; the number of events in it. Raise `InvalidRequest` (param
        ``path``) where the store cannot (ClickHouse: its own tools back it up)."""
        ...

    def close(self) -> None: ...


__all__ = ["ChooseId", "Customer", "EventWriter", "NameMapper", "Project", "Revocation",
           "Status", "Store", "User", "UserKind"]

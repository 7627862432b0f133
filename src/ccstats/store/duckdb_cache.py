"""What the DuckDB store keeps in memory of its file, under one rule of invalidation.

The store keeps three things between requests:

- **metadata** read on every request (customers, projects, users, presets), in a
  `MetadataCache`;
- per customer, an **id index** (`IdIndex`): the hashes of its stored event ids,
  so that a batch of new ids skips the lookup of versions to replace;
- per customer, the **entities** (`Entities`): project, user and queue ids known to
  be in the tables, so that a batch whose ids are all known skips registering them.

One rule holds for all three: a write transaction stages its changes in a
`StagedChanges`; they reach the cache when the transaction commits, and are
dropped when it rolls back. Every committed transaction forgets the metadata
(any write may have changed it); one whose commit failed may or may not have
committed, so the cache forgets everything, to be read again from the file.

Values are loaded from the committed state of the file (the loaders read on a
cursor of their own), and while the write lock is held (the store calls the cache
from its transactions only, besides the metadata reads), so no commit can come
between a load and its use. The file has one writing process, this one, so
nothing else changes what the cache holds.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ccstats.model import MappingKind
from ccstats.store.id_index import Hashes, IdIndex
from ccstats.store.metadata_cache import MetadataCache


@dataclass
class Entities:
    """Project, user and queue ids that a customer's ``projects``, ``users`` and ``queues``
    tables hold.

    It may miss ids (then a batch adds its rows as usual), never lists one the
    tables lack, so a batch whose ids are all listed skips adding rows.
    """

    projects: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    queues: set[int] = field(default_factory=set)

    def copy(self) -> Entities:
        return Entities(set(self.projects), set(self.users), set(self.queues))

    def holds(self, other: Entities) -> bool:
        return (other.projects <= self.projects and other.users <= self.users
                and other.queues <= self.queues)

    def note(self, other: Entities) -> None:
        self.projects |= other.projects
        self.users |= other.users
        self.queues |= other.queues

    def of_kind(self, kind: MappingKind) -> set[int]:
        return self.projects if kind is MappingKind.PROJECT else self.users


class StoreCache:
    """The DuckDB store's cache (see the module docstring).

    `load_ids(customer_id)` reads the hashes of the customer's stored event ids, in
    ascending order; `load_entities(customer_id)` its project and user ids.
    """

    def __init__(self, load_ids: Callable[[int], Hashes],
                 load_entities: Callable[[int], Entities]) -> None:
        self._load_ids = load_ids
        self._load_entities = load_entities
        self.metadata: MetadataCache[Hashable, Any] = MetadataCache()
        self._indexes: dict[int, IdIndex] = {}
        self._entities: dict[int, Entities] = {}

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """Metadata `key`, loaded with `load` unless kept since the last commit."""
        return self.metadata.get(key, load)

    def stage(self) -> StagedChanges:
        """The changes of a transaction that begins."""
        return StagedChanges(self)

    def commit(self, changes: StagedChanges) -> None:
        """Apply the changes of a transaction that has committed."""
        for customer_id, added in changes.ids.items():
            if customer_id in self._indexes:  # (one not read yet is read with them)
                self._indexes[customer_id].merge(added)
        self._entities.update(changes.entities)
        self.metadata.invalidate()

    def forget(self) -> None:
        """Forget everything (a commit whose outcome is unknown)."""
        self._indexes.clear()
        self._entities.clear()
        self.metadata.invalidate()

    def index(self, customer_id: int) -> IdIndex:
        """The customer's committed id index, read on first use."""
        if customer_id not in self._indexes:
            self._indexes[customer_id] = IdIndex(self._load_ids(customer_id))
        return self._indexes[customer_id]

    def entities(self, customer_id: int) -> Entities:
        """The customer's committed entities, read on first use."""
        if customer_id not in self._entities:
            self._entities[customer_id] = self._load_entities(customer_id)
        return self._entities[customer_id]


class StagedChanges:
    """What one open transaction changes in a `StoreCache`, kept apart until it commits."""

    def __init__(self, cache: StoreCache) -> None:
        self._cache = cache
        self.ids: dict[int, IdIndex] = {}
        """Per customer, the id hashes this transaction stores."""
        self.entities: dict[int, Entities] = {}
        """Per customer, the entities once this transaction commits."""

    def may_hold_any(self, customer_id: int, hashes: Hashes) -> bool:
        """Whether any of `hashes` may be a stored id, or one this transaction stored."""
        added = self.ids.get(customer_id)
        return self._cache.index(customer_id).may_contain_any(hashes) or (
            added is not None and added.may_contain_any(hashes))

    def add_ids(self, customer_id: int, hashes: Hashes) -> None:
        """Note `hashes` (ascending) as ids this transaction stores."""
        self.ids.setdefault(customer_id, IdIndex(hashes[:0])).add(hashes)

    def entities_of(self, customer_id: int) -> Entities:
        """The customer's entities as this transaction sees them (to read and note)."""
        if customer_id not in self.entities:
            self.entities[customer_id] = self._cache.entities(customer_id).copy()
        return self.entities[customer_id]

"""What the administering commands need, from a database or from a running server.

`ccstats.service.Service` (``--db``) and `ccstats.operator_client.OperatorClient`
(``--server``) both provide it, so that each command is written once and prints
the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

from ccstats.model import NameMapping, Preset, Project, Queue, Status, User, UserKind
from ccstats.retention import Pruned
from ccstats.service import BackupReport, ImportReport, Unchanged
from ccstats.store.erasure import Erasure


class CustomerView(Protocol):
    """A customer as the commands show it."""

    @property
    def name(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def networks(self) -> tuple[str, ...]: ...
    @property
    def rate_limit(self) -> int | None: ...
    @property
    def keep_days(self) -> int | None: ...


class KeyView(Protocol):
    """A key as the commands show it: never its secret or hash."""

    @property
    def key_id(self) -> str: ...
    @property
    def scopes(self) -> Sequence[str]: ...


class Administration(Protocol):
    """Customers, keys, the sums, imports, and what customers own besides events
    (projects, queues, users, presets, name mappings); the semantics are `Service`'s
    methods of these names."""

    def customers(self) -> Sequence[CustomerView]: ...

    def create_customer(self, name: str, timezone: str = "UTC", password: str | None = None
                        ) -> str: ...

    def set_access(self, customer_name: str, networks: Iterable[str] | None = None,
                   rate_limit: int | Unchanged | None = Unchanged.UNCHANGED,
                   keep_days: int | Unchanged | None = Unchanged.UNCHANGED) -> CustomerView: ...

    def create_key(self, customer_name: str, scopes: Iterable[str]) -> tuple[KeyView, str]: ...

    def keys(self, customer_name: str) -> Sequence[KeyView]: ...

    def revoke_key(self, customer_name: str, key_id: str) -> None: ...

    def rebuild(self, customer_name: str | None = None) -> int: ...

    def compact(self) -> None: ...

    def prune(self, customer_name: str | None = None) -> Sequence[Pruned]: ...

    def backup(self, destination: str, force: bool = False) -> BackupReport: ...

    def projects(self, customer_name: str) -> Sequence[Project]: ...

    def update_project(self, customer_name: str, project_id: int, name: str | None = None,
                       status: Status | None = None) -> Project: ...

    def queues(self, customer_name: str) -> Sequence[Queue]: ...

    def update_queue(self, customer_name: str, queue_id: int, name: str | None = None,
                     status: Status | None = None) -> Queue: ...

    def users(self, customer_name: str) -> Sequence[User]: ...

    def update_user(self, customer_name: str, user_id: int, name: str | None = None,
                    kind: UserKind | None = None, status: Status | None = None) -> User: ...

    def presets(self, customer_name: str) -> Sequence[Preset]: ...

    def create_preset(self, customer_name: str, name: str, fields: list[str]) -> Preset: ...

    def name_mappings(self, customer_name: str, source: str) -> Sequence[NameMapping]: ...

    def save_name_mapping(self, customer_name: str, mapping: NameMapping, title: str
                          ) -> None: ...

    def import_files(self, customer_name: str, paths: list[Path], skip_invalid: bool = False,
                     rejects: Path | None = None, progress: Callable[[int], None] | None = None,
                     ) -> ImportReport: ...

    def erase_user(self, customer_name: str, user_id: int) -> Erasure: ...

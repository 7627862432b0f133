"""What the administering commands need, from a database or from a running server.

`ccstats.service.Service` (``--db``) and `ccstats.operator_client.OperatorClient`
(``--server``) both provide it, so that each command is written once and prints
the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from ccstats.retention import Pruned
from ccstats.service import BackupReport, Unchanged


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
    """Customers, keys and the sums; the semantics are `Service`'s methods of these names."""

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

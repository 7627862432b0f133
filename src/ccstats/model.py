"""What a customer owns besides events: projects, users, presets and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The longest name of a project, queue, user or preset.
MAX_NAME_LENGTH = 200
#: What such a name must be, as the refusals say it.
NAME_RULE = f"name must be a non-empty string of at most {MAX_NAME_LENGTH} characters"


def valid_name(name: str) -> bool:
    """Whether `name` may name a project, queue, user or preset (`NAME_RULE`)."""
    return bool(name.strip()) and len(name) <= MAX_NAME_LENGTH


class Status(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class UserKind(StrEnum):
    AGENT = "agent"
    SYSTEM = "system"


class Scope(StrEnum):
    """What a key may do: ``read`` statistics and metadata, ``write`` events, ``admin``."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


ALL_SCOPES: tuple[Scope, ...] = (Scope.READ, Scope.WRITE, Scope.ADMIN)


@dataclass(frozen=True, slots=True)
class Customer:
    """A tenant. `customer_id` is internal; clients know the customer by `name`."""

    customer_id: int
    name: str
    timezone: str
    networks: tuple[str, ...] = ()
    """Client networks (CIDRs) allowed to call the API; empty: any."""
    rate_limit: int | None = None
    """Requests per second allowed to this customer; None: the server's default."""
    keep_days: int | None = None
    """Whole local days of events and sums kept before today (`ccstats.retention`);
    None: everything is kept."""


@dataclass(frozen=True, slots=True)
class Project:
    project_id: int
    name: str
    status: Status

    def public(self) -> dict[str, object]:
        return {"projectid": self.project_id, "name": self.name, "status": str(self.status)}


@dataclass(frozen=True, slots=True)
class Queue:
    """An inbound queue (queues-and-kpis.md §1): metadata like a project."""

    queue_id: int
    name: str
    status: Status

    def public(self) -> dict[str, object]:
        return {"queueid": self.queue_id, "name": self.name, "status": str(self.status)}


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    name: str
    kind: UserKind
    status: Status

    def public(self) -> dict[str, object]:
        return {
            "userid": self.user_id,
            "name": self.name,
            "kind": str(self.kind),
            "status": str(self.status),
        }


class MappingKind(StrEnum):
    """What a name of an outside system is mapped to: a project or a user."""

    PROJECT = "project"
    USER = "user"


@dataclass(frozen=True, slots=True)
class NameMapping:
    """A name of an outside system (an Asterisk queue or queue member) and its id here.

    `source` names the system (``queue_log``), `name` is the name as that system
    writes it (``Local/2004@from-internal/n``), `target_id` the project or user id.
    """

    source: str
    kind: MappingKind
    name: str
    target_id: int


@dataclass(frozen=True, slots=True)
class Preset:
    """A named list of KPI names (a column preset)."""

    preset_id: int
    name: str
    fields: tuple[str, ...]

    def public(self) -> dict[str, object]:
        return {"id": self.preset_id, "name": self.name, "fields": list(self.fields)}


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key: only its salted hash is kept (see `ccstats.keys`)."""

    key_id: str
    salt: bytes
    digest: bytes
    scopes: tuple[Scope, ...]

    def public(self) -> dict[str, object]:
        """What may be shown of a stored key: never its secret or hash."""
        return {"keyid": self.key_id, "scopes": [str(s) for s in self.scopes]}

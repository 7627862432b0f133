"""Projects, queues, users and name mappings on ClickHouse: their rows, and how batches
register them.

``projects``, ``users`` and ``name_mappings`` are ReplacingMergeTree tables of rows
with a ``version``: the latest version of an id says what it is. A change made on
purpose writes the current tick (`ccstats.store.clickhouse_batches.tick`); a batch
registers the unknown projects and users its events name with `REGISTERED_VERSION`,
below every tick, so that a registration never overrides a name or status set on
purpose, whichever process wrote it and in whatever order.

The functions here read and write; the checks that must not interleave with other
changes of this process are the caller's (`ccstats.store.clickhouse_store` holds
its metadata lock around them).
"""

from __future__ import annotations

from collections.abc import Sequence

from clickhouse_driver import Client

from ccstats.model import MappingKind, NameMapping, Project, Status, User, UserKind
from ccstats.store.base import ENTITY_TABLES
from ccstats.store.clickhouse_batches import tick
from ccstats.store.clickhouse_schema import insert_columns

#: The version of the project and user rows a batch registers for unknown ids: lower
#: than any version of a row written on purpose (a tick), so it never overrides one.
REGISTERED_VERSION = 0


#: The id column of each table of named rows (id, name, status): projects and queues.
NAMED_COLUMNS = {"projects": "project_id", "queues": "queue_id"}


def named(client: Client, table: str, customer_id: int, ident: int | None = None
          ) -> list[tuple[int, str, Status]]:
    """(id, name, status) of the customer's projects or queues (only `ident`, if given),
    by id."""
    column = NAMED_COLUMNS[table]
    only = "" if ident is None else f" AND {column} = {int(ident)}"
    rows = client.execute(
        f"SELECT {column}, argMax(name, version), argMax(status, version) FROM {table} "
        f"WHERE customer_id = %(c)s{only} GROUP BY {column} ORDER BY {column}",
        {"c": customer_id})
    return [(int(r[0]), r[1], Status(r[2])) for r in rows]


def insert_named(client: Client, table: str, customer_id: int, ident: int, name: str,
                 status: Status) -> None:
    """Write the latest version of a project or queue."""
    client.execute(
        f"INSERT INTO {table} (customer_id, {NAMED_COLUMNS[table]}, name, status, version) "
        "VALUES", [(customer_id, ident, name, str(status), tick())])


def projects(client: Client, customer_id: int, project_id: int | None = None
             ) -> list[Project]:
    """The customer's projects (only `project_id`, if given), by id."""
    return [Project(*row) for row in named(client, "projects", customer_id, project_id)]


def users(client: Client, customer_id: int, user_id: int | None = None) -> list[User]:
    """The customer's users (only `user_id`, if given), by id."""
    only = "" if user_id is None else f" AND user_id = {int(user_id)}"
    rows = client.execute(
        "SELECT user_id, argMax(name, version), argMax(kind, version), "
        f"argMax(status, version) FROM users WHERE customer_id = %(c)s{only} "
        "GROUP BY user_id ORDER BY user_id", {"c": customer_id})
    return [User(int(r[0]), r[1], UserKind(r[2]), Status(r[3])) for r in rows]


def insert_project(client: Client, customer_id: int, project: Project) -> None:
    insert_named(client, "projects", customer_id, project.project_id, project.name,
                 project.status)


def insert_user(client: Client, customer_id: int, user: User) -> None:
    client.execute(
        "INSERT INTO users (customer_id, user_id, name, kind, status, version) VALUES",
        [(customer_id, user.user_id, user.name, str(user.kind), str(user.status), tick())])


def entity_ids(client: Client, customer_id: int, kind: MappingKind) -> set[int]:
    """The ids of the customer's projects (or users: `kind`)."""
    table, column = ENTITY_TABLES[kind]
    return {int(r[0]) for r in client.execute(
        f"SELECT DISTINCT {column} FROM {table} WHERE customer_id = %(c)s",
        {"c": customer_id})}


def register(client: Client, customer_id: int, project_ids: set[int],
             user_ids: set[int], queue_ids: set[int]) -> None:
    """Add the projects, users and queues of `project_ids`, `user_ids`, `queue_ids` that are
    not known yet (as rows of `REGISTERED_VERSION`, which any other row of the id
    overrides)."""
    _register_named(client, "projects", customer_id, project_ids, "Project")
    _register_named(client, "queues", customer_id, queue_ids, "Queue")
    new = sorted(user_ids - entity_ids(client, customer_id, MappingKind.USER))
    insert_columns(client, "users", ["customer_id", "user_id", "name", "kind", "status",
                                     "version"],
                   [[customer_id] * len(new), new, [f"User {u}" for u in new],
                    ["agent"] * len(new), ["active"] * len(new),
                    [REGISTERED_VERSION] * len(new)])


def _register_named(client: Client, table: str, customer_id: int, ids: set[int],
                    title: str) -> None:
    """Add the projects or queues (`table`) of `ids` that are not known yet, named
    ``<title> <id>``."""
    if not ids:
        return
    column = NAMED_COLUMNS[table]
    known = {int(r[0]) for r in client.execute(
        f"SELECT DISTINCT {column} FROM {table} WHERE customer_id = %(c)s",
        {"c": customer_id})}
    new = sorted(ids - known)
    insert_columns(client, table, ["customer_id", column, "name", "status", "version"],
                   [[customer_id] * len(new), new, [f"{title} {i}" for i in new],
                    ["active"] * len(new), [REGISTERED_VERSION] * len(new)])


def stored_mappings(client: Client, customer_id: int, source: str, kind: MappingKind
                    ) -> dict[str, int]:
    """The customer's stored mappings of `source` and `kind`: name -> id."""
    return {str(r[0]): int(r[1]) for r in client.execute(
        "SELECT name, argMax(target_id, version) FROM name_mappings "
        "WHERE customer_id = %(c)s AND source = %(s)s AND kind = %(k)s GROUP BY name",
        {"c": customer_id, "s": source, "k": str(kind)})}


def insert_mappings(client: Client, customer_id: int,
                    mappings: Sequence[tuple[NameMapping, str | None]]) -> None:
    """Store `mappings` and, of each that has a title and whose id has no project (or
    user) yet, the project (user) named so."""
    if not mappings:
        return
    existing = {kind: entity_ids(client, customer_id, kind)
                for kind in {mapping.kind for mapping, _ in mappings}}
    for mapping, title in mappings:
        exists = mapping.target_id in existing[mapping.kind]
        _insert_mapping(client, customer_id, mapping, None if exists else title)
        existing[mapping.kind].add(mapping.target_id)


def _insert_mapping(client: Client, customer_id: int, mapping: NameMapping,
                    title: str | None) -> None:
    """Store `mapping` and, unless `title` is None, a new project or user named `title`."""
    if title is not None and mapping.kind is MappingKind.PROJECT:
        insert_project(client, customer_id, Project(mapping.target_id, title, Status.ACTIVE))
    elif title is not None:
        insert_user(client, customer_id,
                    User(mapping.target_id, title, UserKind.AGENT, Status.ACTIVE))
    client.execute(
        "INSERT INTO name_mappings (customer_id, source, kind, name, target_id, "
        "version) VALUES", [(customer_id, mapping.source, str(mapping.kind),
                             mapping.name, mapping.target_id, tick())])

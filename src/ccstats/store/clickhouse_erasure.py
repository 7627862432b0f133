"""Erasing a user on ClickHouse: withdrawn at once, then every row naming it deleted.

The tables keep history: ``events`` and ``live_events`` every version of an event
(deletions are marker rows), the sums tables delta rows per batch, ``users`` and
``name_mappings`` every version of a row. An erasure therefore

1. withdraws the user's current events in a batch (`clickhouse_writes.withdraw_events`):
   its statistics are empty from then on, everyone else's unchanged;
2. covers the versions of other users that deleting the user's rows would bring back:
   an event whose latest row is the user's deletion marker, over an older version of
   another user, gets a deletion marker carrying that older version (`_cover_exposed`);
   ``live_events`` needs none, as each of its versions has its own gone row;
3. deletes, on every server (the local tables of each shard), every row naming the
   user: events and live events of any batch, sums rows, ``users`` rows and the
   name mappings whose latest version points to it (``OPTIMIZE ... FINAL`` first
   keeps only the latest version of each name, so that no older one comes back);
4. waits for those mutations, up to `MUTATION_SECONDS`.

The statements name only numeric ids, never a name: ``system.mutations`` keeps their
text. The parts the mutations replaced are removed by each server after its
``old_parts_lifetime``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from clickhouse_driver import Client

from ccstats.store import clickhouse_entities, clickhouse_writes
from ccstats.store.clickhouse_batches import Batch, visible_events
from ccstats.store.clickhouse_schema import READ_EVENT_COLUMNS, SUMS_TABLES, local_name, read_events
from ccstats.store.clickhouse_target import Target, cluster_hosts
from ccstats.store.erasure import Erasure, Scrub
from ccstats.store.selection import EventSelection

#: How long an erasure waits for its mutations before it answers `Scrub.RUNNING`.
MUTATION_SECONDS = 600.0
#: Seconds between two looks at ``system.mutations``.
POLL_SECONDS = 0.2

#: The tables whose rows name a user in a ``user_id`` column.
USER_TABLES = ("events", "live_events", *SUMS_TABLES, "users")


@dataclass(frozen=True, slots=True)
class Started:
    """An erasure whose rows are withdrawn and whose mutations are started: the user's
    name, events and mappings, and per server the mutations (table, id) to wait for."""

    user_id: int
    name: str
    events: int
    mappings: int
    mutations: dict[tuple[str, int], set[tuple[str, str]]]


def start(target: Target, client: Client, customer_id: int, zone: str,
          user_id: int) -> Started | None:
    """Steps 1 to 3 of the module docstring; None (nothing changed) for an unknown user.
    The caller holds the store's write and metadata locks, so that no batch or change of
    this process comes in between."""
    c, u = int(customer_id), int(user_id)
    found = clickhouse_entities.users(client, c, u)
    if not found:
        return None
    mappings = _current_mappings(client, c, u)
    events = clickhouse_writes.withdraw_events(client, c, zone, EventSelection(user_id=u))
    _cover_exposed(client, c, u)
    return Started(u, found[0].name, events, mappings, _delete_rows(target, c, u))


def finish(target: Target, started: Started) -> Erasure:
    """Step 4: wait for the mutations (no lock needed)."""
    done = _wait(target, started.mutations)
    return Erasure(started.user_id, started.name, started.events, started.mappings,
                   Scrub.DONE if done else Scrub.RUNNING)


def _current_mappings(client: Client, customer_id: int, user_id: int) -> int:
    """How many names map to the user now."""
    rows = client.execute(
        f"""SELECT count() FROM (
                SELECT argMax(target_id, version) AS target FROM name_mappings
                WHERE customer_id = {customer_id} AND kind = 'user'
                GROUP BY source, name)
            WHERE target = {user_id}""")
    return int(rows[0][0])


def _cover_exposed(client: Client, customer_id: int, user_id: int) -> None:
    """Append deletion markers, in a batch of their own, over the latest version of another
    user of each event whose latest row is the user's (a deletion, after the withdrawal)."""
    c, u, visible = customer_id, user_id, visible_events(customer_id)
    rows = client.execute(
        f"""SELECT {READ_EVENT_COLUMNS} FROM (
                SELECT * FROM events
                WHERE customer_id = {c} AND user_id <> {u} AND {visible}
                  AND event_id IN (
                      SELECT event_id FROM (
                          SELECT event_id, user_id FROM events
                          WHERE customer_id = {c} AND {visible} AND event_id IN (
                              SELECT event_id FROM events
                              WHERE customer_id = {c} AND user_id = {u})
                          ORDER BY event_id, batch DESC, seq DESC LIMIT 1 BY event_id)
                      WHERE user_id = {u})
                ORDER BY event_id, batch DESC, seq DESC LIMIT 1 BY event_id)
            WHERE deleted = 0""", columnar=True)
    exposed = read_events(rows)
    if not exposed.num_rows:
        return
    batch = Batch(client, c)
    clickhouse_writes.append_events(client, c, batch.batch, batch.next_block(), exposed,
                                    deleted=1)
    batch.commit()


def _statements(target: Target, customer_id: int, user_id: int) -> list[str]:
    """The DDL each server runs on its local tables."""
    c, u = customer_id, user_id
    mappings = local_name("name_mappings", target)
    return [f"OPTIMIZE TABLE {mappings} FINAL",
            *(f"ALTER TABLE {local_name(table, target)} DELETE "
              f"WHERE customer_id = {c} AND user_id = {u}" for table in USER_TABLES),
            f"ALTER TABLE {mappings} DELETE "
            f"WHERE customer_id = {c} AND kind = 'user' AND target_id = {u}"]


def _delete_rows(target: Target, customer_id: int, user_id: int
                 ) -> dict[tuple[str, int], set[tuple[str, str]]]:
    """Start the mutations on every server; per server, its mutations that were not done
    before (ours among them)."""
    started: dict[tuple[str, int], set[tuple[str, str]]] = {}
    for host, port in cluster_hosts(target):
        server = target.client(host, port)
        try:
            before = _unfinished(server, target)
            for statement in _statements(target, customer_id, user_id):
                server.execute(statement)
            started[(host, port)] = _unfinished(server, target) - before
        finally:
            server.disconnect()
    return started


def _unfinished(server: Client, target: Target) -> set[tuple[str, str]]:
    """The database's mutations (table, id: ids are per table) not done on `server`."""
    return {(str(row[0]), str(row[1])) for row in server.execute(
        "SELECT table, mutation_id FROM system.mutations "
        "WHERE database = %(db)s AND is_done = 0",
        {"db": target.database})}


def _wait(target: Target, started: dict[tuple[str, int], set[tuple[str, str]]]) -> bool:
    """Whether the mutations `started` finished within `MUTATION_SECONDS`."""
    deadline = time.monotonic() + MUTATION_SECONDS
    for (host, port), mutations in started.items():
        server = target.client(host, port)
        try:
            remaining = mutations & _unfinished(server, target)
            while remaining:
                if time.monotonic() > deadline:
                    return False
                time.sleep(POLL_SECONDS)
                remaining &= _unfinished(server, target)
        finally:
            server.disconnect()
    return True

"""Changes of the stored events of the DuckDB store, inside an open transaction.

An `IncomingBatch` is one table of events added by a writer: of an id repeated
in it the last line wins, and an id already stored is replaced (its old
contribution to the sums withdrawn, see `ccstats.store.contributions`). It runs as
a sequence of small steps, each of which looks at what the batch holds and what
the transaction's `StagedChanges` know, and skips its work when there is none: a
batch of new ids never looks for stored versions, one of known projects and users
registers none. A `Deletion` withdraws stored events.

Every step's tables are temporary tables of the caller's `TempTables`, dropped when
its block ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats.buckets import DAY, QUARTER
from ccstats.events import NO_ID, QUEUE_CALL
from ccstats.store.contributions import sums_sql
from ccstats.store.duckdb_cache import Entities, StagedChanges
from ccstats.store.grains import derive_grains
from ccstats.store.id_index import Hashes
from ccstats.store.queue_call_rows import merged_sql, queue_call_rows_sql
from ccstats.store.temp_tables import TempTables

#: The columns of a stored event besides its customer.
EVENT_COLUMNS = ("event_id, type, subtype, project_id, user_id, t_start, t_answer, t_end, "
                 "queue_id")

#: The sums tables, one per grain: quarter-hours, local hours, local days.
SUMS_TABLES = ("sums", "sums_hour", "sums_day")

#: The order in which a batch's rows are appended to each sums table: by day, then
#: by user. A user's rows of a day then lie together, so that a query for a few
#: users skips the row groups of the others, and runs of one user id compress; a
#: large batch, such as a rebuild, keeps the time order that date ranges skip by.
_APPEND_ORDER = {"sums": f"qh // {DAY // QUARTER}, user_id", "sums_hour": "day, user_id",
                 "sums_day": "day, user_id"}


def count(db: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def id_hashes(db: duckdb.DuckDBPyConnection, source: str, ordered: bool = False) -> Hashes:
    """The 64-bit hashes of the event ids of `source` (a table, optionally filtered),
    in ascending order if `ordered` (DuckDB sorts millions faster than numpy)."""
    order = " ORDER BY h" if ordered else ""
    column = db.execute(f"SELECT hash(event_id) AS h FROM {source}{order}").fetchnumpy()["h"]
    hashes: Hashes = np.asarray(column, dtype=np.uint64)
    return hashes


def append_sums(temp: TempTables, customer_id: int, zone: str, deltas: str) -> None:
    """Append the quarter-hour delta rows `deltas` (a query) of a customer to every grain."""
    grains = derive_grains(temp, zone, deltas)
    if grains is None:
        return
    for table, delta in zip(SUMS_TABLES, grains, strict=True):
        temp.db.execute(f"INSERT INTO {table} SELECT {customer_id}, * FROM {delta} "
                        f"ORDER BY {_APPEND_ORDER[table]}")


def append_queue_calls(temp: TempTables, customer_id: int, rows: list[str]) -> None:
    """Append the queue-call rows of the queries `rows` (one row per key) of a customer."""
    if rows:
        temp.db.execute(f"INSERT INTO queue_calls SELECT {customer_id}, * "
                        f"FROM ({merged_sql(rows)})")


@dataclass(frozen=True)
class Change:
    """What a batch does to the stored events: the versions of `new` (a relation) are
    stored, replacing those of `replaced` (a temporary table; None: nothing stored
    is replaced)."""

    new: str
    replaced: str | None = None


class IncomingBatch:
    """One table of events (`ccstats.store.base.EventWriter.add`) applied to an open
    transaction of customer `customer_id`, whose zone is `zone`."""

    def __init__(self, temp: TempTables, customer_id: int, zone: str,
                 staged: StagedChanges, events: pa.Table) -> None:
        self._temp = temp
        self._db = temp.db
        self._customer_id = customer_id
        self._zone = zone
        self._staged = staged
        self._events = events
        self._ids: Hashes = np.array([], dtype=np.uint64)
        self._repeats = False
        self._deltas: list[str] = []
        self._queue_calls: list[str] = []

    def apply(self) -> None:
        """Store the batch: every step, in order."""
        change = self.find_replaced(self.stage_incoming())
        change = self.skip_unchanged(change)
        self.negate_old(change)
        self.add_new(change)
        self.write_sums()
        append_queue_calls(self._temp, self._customer_id, self._queue_calls)
        self.write_events(change)
        self.register_entities(change)
        self._staged.add_ids(self._customer_id, self._ids)

    def stage_incoming(self) -> str:
        """Make the events readable and hash their ids; the relation of the versions to
        store (of an id repeated, its last line)."""
        incoming = self._temp.register("incoming", self._events)
        self._ids = np.sort(id_hashes(self._db, incoming))  # sorted once for the cache
        # (equal hashes are nearly always a repeated id; when they are not, the
        # repeats' path merely finds nothing to drop)
        self._repeats = bool(np.any(self._ids[1:] == self._ids[:-1]))
        if not self._repeats:
            return incoming
        return self._temp.create(
            "latest", f"""SELECT * FROM {incoming} QUALIFY row_number()
                          OVER (PARTITION BY event_id ORDER BY line_no DESC) = 1""")

    def find_replaced(self, batch: str) -> Change:
        """The stored versions of the batch's ids (unless the cache rules every id out)."""
        if not self._staged.may_hold_any(self._customer_id, self._ids):
            return Change(batch)
        previous = self._temp.create(
            "previous", f"""SELECT {EVENT_COLUMNS} FROM events
                            WHERE customer_id = {self._customer_id}
                              AND event_id IN (SELECT event_id FROM {batch})""")
        return Change(batch, previous if count(self._db, previous) else None)

    def skip_unchanged(self, change: Change) -> Change:
        """Leave out the events stored again unchanged: they need no work."""
        if change.replaced is None:
            return change
        same = " AND ".join(
            f"p.{col} IS NOT DISTINCT FROM b.{col}" for col in EVENT_COLUMNS.split(", "))
        unchanged = self._temp.create(
            "unchanged", f"""SELECT p.event_id FROM {change.replaced} p
                             JOIN {change.new} b USING (event_id) WHERE {same}""")
        if not count(self._db, unchanged):
            return change
        self._db.execute(f"DELETE FROM {change.replaced} "
                         f"WHERE event_id IN (SELECT event_id FROM {unchanged})")
        changed = self._temp.create(
            "changed", f"""SELECT * FROM {change.new}
                           WHERE event_id NOT IN (SELECT event_id FROM {unchanged})""")
        return Change(changed, change.replaced)

    def negate_old(self, change: Change) -> None:
        """Remove the replaced versions, and withdraw their contribution to the sums."""
        replaced = change.replaced
        if replaced is None:
            return
        self._db.execute(f"""DELETE FROM events WHERE customer_id = {self._customer_id}
                             AND event_id IN (SELECT event_id FROM {replaced})""")
        self._deltas.append(sums_sql(replaced, -1))
        self._queue_calls.append(queue_call_rows_sql(replaced, -1))

    def add_new(self, change: Change) -> None:
        """Add the contribution of the new versions to the sums, and to the queue calls
        if the batch holds any."""
        self._deltas.append(sums_sql(change.new))
        if pc.any(pc.equal(self._events["type"], QUEUE_CALL)).as_py():
            self._queue_calls.append(queue_call_rows_sql(change.new))

    def write_sums(self) -> None:
        """Append the contributions withdrawn and added, in one pass over the grains."""
        deltas = " UNION ALL ".join(f"SELECT * FROM ({query})" for query in self._deltas)
        append_sums(self._temp, self._customer_id, self._zone,
                    deltas if len(self._deltas) > 1 else self._deltas[0])

    def write_events(self, change: Change) -> None:
        self._db.execute(f"INSERT INTO events SELECT {self._customer_id}, {EVENT_COLUMNS} "
                         f"FROM {change.new}")

    def register_entities(self, change: Change) -> None:
        """Add the projects, users and queues of the new versions that are not stored yet
        (an unanswered queue call names no user, another event no queue)."""
        stored = self._events if not self._repeats else self._db.sql(
            f"SELECT project_id, user_id, queue_id FROM {change.new}").to_arrow_table()
        seen = Entities(_distinct(stored["project_id"]), _distinct(stored["user_id"]),
                        _distinct(stored["queue_id"]))
        known = self._staged.entities_of(self._customer_id)
        if known.holds(seen):
            return
        c, new = self._customer_id, change.new
        self._db.execute(
            f"""INSERT INTO projects SELECT DISTINCT {c}, project_id,
                'Project ' || project_id, 'active' FROM {new} ON CONFLICT DO NOTHING""")
        self._db.execute(
            f"""INSERT INTO users SELECT DISTINCT {c}, user_id, 'User ' || user_id, 'agent',
                'active' FROM {new} WHERE user_id <> {NO_ID} ON CONFLICT DO NOTHING""")
        self._db.execute(
            f"""INSERT INTO queues SELECT DISTINCT {c}, queue_id, 'Queue ' || queue_id,
                'active' FROM {new} WHERE queue_id <> {NO_ID} ON CONFLICT DO NOTHING""")
        known.note(seen)


@dataclass(frozen=True)
class Deletion:
    """The removal of the events of customer `customer_id` that match `condition` (SQL on
    the stored columns, with `params` for its ``?``), and of their contributions."""

    customer_id: int
    condition: str
    params: tuple[object, ...] = ()

    def apply(self, temp: TempTables, zone: str) -> int:
        """Remove the events (inside an open transaction); the number removed."""
        c = self.customer_id
        where = f"WHERE customer_id = {c} AND {self.condition}"
        deleted = temp.create("deleted", f"SELECT {EVENT_COLUMNS} FROM events {where}",
                              list(self.params))
        removed = count(temp.db, deleted)
        if removed:
            append_sums(temp, c, zone, sums_sql(deleted, -1))
            append_queue_calls(temp, c, [queue_call_rows_sql(deleted, -1)])
            temp.db.execute(f"DELETE FROM events {where}", list(self.params))
        return removed


def _distinct(column: pa.ChunkedArray) -> set[int]:
    """The ids of `column` that name something (not `NO_ID`)."""
    return set(pc.unique(column).to_pylist()) - {NO_ID}

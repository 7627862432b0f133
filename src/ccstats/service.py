"""The operations of ccstats, shared by the command line, the HTTP API and the importers.

`Service` binds a store to validation, keys and query parsing, and is the only
way to the store: nothing else holds one. Every method takes the customer by
name and raises `ccstats.errors.NotFound` for an unknown one.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from ccstats import buckets, export, keys, render, retention, spreadsheet
from ccstats.catalog import BY_NAME
from ccstats.copy import copy_customer
from ccstats.errors import (
    EventsRejected,
    InvalidRequest,
    NotFound,
    bad_arguments,
    required,
    wrong_format,
)
from ccstats.events import EventError
from ccstats.ingest.group_commit import GroupCommit
from ccstats.ingest.json_array import ArraySyntaxError, array_elements
from ccstats.ingest.lines import LineBlock, block_to_table, file_blocks, skip_bom
from ccstats.ingest.readahead import read_ahead
from ccstats.ingest.rules import NOT_JSON
from ccstats.ingest.validate import ValidatedBlock, Validator
from ccstats.model import (
    ALL_SCOPES,
    NAME_RULE,
    ApiKey,
    Customer,
    NameMapping,
    Preset,
    Project,
    Queue,
    Scope,
    Status,
    User,
    UserKind,
    valid_name,
)
from ccstats.pipeline.records import records
from ccstats.query import (
    DEFAULT_MAX_DAYS,
    Endpoint,
    OutputFormat,
    StatsQuery,
    parse_inbound_query,
    parse_kpi_query,
    parse_query,
)
from ccstats.realtime import answers, clock
from ccstats.realtime.answers import Answer
from ccstats.realtime.options import (
    StreamQuery,
    parse_queues_query,
    parse_stream_query,
    parse_users_query,
)
from ccstats.store import open_store
from ccstats.store.base import NameMapper, Revocation, Store
from ccstats.store.duckdb_backup import check_destination
from ccstats.store.erasure import Erasure
from ccstats.store.selection import EventSelection

__all__ = ["EventsRejected", "ImportReport", "InvalidRequest", "NotFound", "Service"]

#: The problems of at most this many lines are reported for one batch or import.
ERROR_LIMIT = 100
#: Keys one customer may hold.
MAX_KEYS = 100

_CUSTOMER_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_NOT_WHITESPACE = re.compile(rb"[^ \t\r\n]")


@dataclass(slots=True)
class ImportReport:
    """What an import did: events stored, lines rejected, and the first problems."""

    stored: int = 0
    accepted: int = 0
    lines: int = 0
    rejected: int = 0
    problems: list[tuple[str, EventError]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What `Service.backup` wrote: the file, its size, its events and the time taken."""

    path: str
    bytes: int
    events: int
    seconds: float


class Unchanged(Enum):
    """Marks an option left as it is."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


def parse_scopes(names: Iterable[str]) -> tuple[Scope, ...]:
    """Scopes by name (at least one, repeats dropped); 417 for an unknown one."""
    chosen: list[Scope] = []
    for raw in names:
        name = raw.strip()
        if name not in {str(s) for s in ALL_SCOPES}:
            raise InvalidRequest([bad_arguments(
                "scopes", f"unknown scope {name[:40]!r}; use read, write and/or admin")])
        if Scope(name) not in chosen:
            chosen.append(Scope(name))
    if not chosen:
        raise InvalidRequest([required("scopes", "give at least one of read, write, admin")])
    return tuple(chosen)


def parse_networks(texts: Iterable[str]) -> tuple[str, ...]:
    """Normalized CIDRs (``10.1.2.3`` is ``10.1.2.3/32``); ValueError names a bad one."""
    found: list[str] = []
    for raw in texts:
        text = raw.strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text[:60]!r} is not a network; write CIDRs such as "
                             "203.0.113.0/24 or 2001:db8::/32") from None
        if str(network) not in found:
            found.append(str(network))
    return tuple(found)


def valid_customer_name(name: str) -> bool:
    return 1 <= len(name) <= 63 and set(name) <= _CUSTOMER_NAME_CHARS


class Service:
    """ccstats on one store."""

    def __init__(self, store: Store, max_days: int = DEFAULT_MAX_DAYS) -> None:
        self._store = store
        self.max_days = max_days
        # One validator (an in-memory DuckDB) per thread: batches validate in parallel.
        self._local = threading.local()
        self._validators: list[Validator] = []
        self._validators_lock = threading.Lock()
        # Batches that wait for the store while another is written go in together.
        self._group_commit = GroupCommit(store)

    @classmethod
    def open(cls, db: str, max_days: int = DEFAULT_MAX_DAYS) -> Service:
        return cls(open_store(db), max_days)

    def close(self) -> None:
        with self._validators_lock:
            for validator in self._validators:
                validator.close()
            self._validators.clear()
        self._store.close()

    # the database -------------------------------------------------------------------
    def migrate(self) -> None:
        """Create or upgrade the tables (a no-op when they are current)."""
        self._store.migrate()

    def check_store(self) -> None:
        """Return once the store answers (else raise `StoreUnavailable`)."""
        self._store.customers()

    def compact(self) -> None:
        """Merge the delta logs of the sums (answers stay the same; fewer rows to read)."""
        self._store.compact()

    def backup(self, destination: str, force: bool = False) -> BackupReport:
        """Write a consistent copy of the database to the new file `destination`, an
        absolute path, while the service goes on (`Store.backup`); `force` replaces a
        file there. A mistake in the path is an `InvalidRequest` naming ``path``."""
        path = Path(destination)
        if not path.is_absolute():
            raise InvalidRequest([bad_arguments("path", f"{destination} is not an absolute "
                                                        "path")])
        check_destination(path, force)
        started = time.perf_counter()
        try:
            events = self._store.backup(path)
        except OSError as error:  # the folder is not writable, the disk is full...
            raise InvalidRequest([bad_arguments("path", f"cannot write {path}: "
                                                        f"{error.strerror or error}")]) from None
        return BackupReport(str(path), path.stat().st_size, events,
                            time.perf_counter() - started)

    def copy_customer(self, name: str, destination: Service) -> int:
        """Copy customer `name` into the store of `destination` (`ccstats.copy`; an
        unknown customer is an InvalidRequest); returns the number of events copied."""
        return copy_customer(self._store, destination._store, name)

    # customers ----------------------------------------------------------------------
    def customers(self) -> list[Customer]:
        return self._store.customers()

    def customer(self, name: str) -> Customer:
        found = self._store.customer(name)
        if found is None:
            raise NotFound(f"unknown customer {name!r}")
        return found

    def create_customer(self, name: str, timezone: str = "UTC", password: str | None = None
                        ) -> str:
        """Create a customer with one key holding every scope; returns the key."""
        problems = []
        if not valid_customer_name(name):
            problems.append(wrong_format("name", "a customer name is 1-63 characters of "
                                                 "a-z, 0-9 and -"))
        if not buckets.is_known_zone(timezone):
            problems.append(bad_arguments("timezone", f"unknown time zone {timezone!r}; use an "
                                                      "IANA name such as Europe/Budapest"))
        if password is not None and not password:
            problems.append(wrong_format("password", "the password must not be empty"))
        if problems:
            raise InvalidRequest(problems)
        key, secret = (keys.new_key(password, ALL_SCOPES), password) if password else \
            keys.generate(ALL_SCOPES)
        if self._store.create_customer(name, timezone, key) is None:
            raise InvalidRequest([bad_arguments("name", f"customer {name!r} already exists")])
        return secret

    def authenticate(self, name: str, password: str) -> tuple[Customer, ApiKey] | None:
        """The customer and its key `password`, or None if it is no key of it."""
        customer = self._store.customer(name)
        if customer is None:
            keys.matching_key(password, [])
            return None
        key = keys.matching_key(password, self._store.keys(customer.customer_id))
        return (customer, key) if key else None

    # keys and access ---------------------------------------------------------------
    def create_key(self, customer_name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
        """A new key of the customer with `scopes`; returns it with its secret (shown once)."""
        customer = self.customer(customer_name)
        key, secret = keys.generate(parse_scopes(scopes))
        if not self._store.add_key(customer.customer_id, key, MAX_KEYS):
            raise InvalidRequest([bad_arguments(
                "scopes", f"a customer has at most {MAX_KEYS} keys; revoke one first")])
        return key, secret

    def keys(self, customer_name: str) -> list[ApiKey]:
        return self._store.keys(self.customer(customer_name).customer_id)

    def revoke_key(self, customer_name: str, key_id: str) -> None:
        """Forget a key at once. The customer's last admin key cannot be revoked."""
        outcome = self._store.revoke_key(self.customer(customer_name).customer_id, key_id)
        if outcome is Revocation.UNKNOWN:
            raise NotFound(f"unknown key {key_id[:40]!r}", "keyid")
        if outcome is Revocation.LAST_ADMIN:
            raise InvalidRequest([bad_arguments(
                "keyid", "this is the customer's last key with the admin scope; create "
                         "another admin key first")])

    def set_access(self, customer_name: str, networks: Iterable[str] | None = None,
                   rate_limit: int | Unchanged | None = UNCHANGED,
                   keep_days: int | Unchanged | None = UNCHANGED) -> Customer:
        """Change the allowed client networks (CIDRs; none: any), the rate limit
        (requests per second; None: the server's default) and/or the retention (whole
        days, `ccstats.retention`; None: forever). Returns the customer."""
        customer = self.customer(customer_name)
        problems = []
        chosen = customer.networks
        if networks is not None:
            try:
                chosen = parse_networks(networks)
            except ValueError as error:
                problems.append(wrong_format("networks", str(error)))
        limit = customer.rate_limit if isinstance(rate_limit, Unchanged) else rate_limit
        if limit is not None and not 1 <= limit <= 1_000_000:
            problems.append(bad_arguments("rate_limit", "the rate limit is a number of "
                                                        "requests per second, 1-1000000"))
        days = customer.keep_days if isinstance(keep_days, Unchanged) else keep_days
        if days is not None and not 1 <= days <= retention.MAX_KEEP_DAYS:
            problems.append(bad_arguments("keep_days", "the retention is a number of whole "
                                                       f"days, 1-{retention.MAX_KEEP_DAYS}"))
        if problems:
            raise InvalidRequest(problems)
        self._store.set_access(customer.customer_id, chosen, limit, days)
        return self.customer(customer_name)

    # projects and users ------------------------------------------------------------
    def projects(self, customer_name: str) -> list[Project]:
        return self._store.projects(self.customer(customer_name).customer_id)

    def users(self, customer_name: str) -> list[User]:
        return self._store.users(self.customer(customer_name).customer_id)

    def create_project(self, customer_name: str, project: Project) -> Project:
        """Add a project; refuses an id that already exists."""
        if not self._store.create_project(self.customer(customer_name).customer_id, project):
            raise InvalidRequest([bad_arguments("projectid",
                                                f"project {project.project_id} already exists; "
                                                "change it with PUT")])
        return project

    def update_project(self, customer_name: str, project_id: int, name: str | None = None,
                       status: Status | None = None) -> Project:
        """Change what is given of a project (NotFound for an unknown id)."""
        updated = self._store.update_project(self.customer(customer_name).customer_id,
                                             project_id, name, status)
        if updated is None:
            raise NotFound(f"unknown project {project_id}", "project_id")
        return updated

    def queues(self, customer_name: str) -> list[Queue]:
        return self._store.queues(self.customer(customer_name).customer_id)

    def create_queue(self, customer_name: str, queue: Queue) -> Queue:
        """Add a queue; refuses an id that already exists."""
        if not self._store.create_queue(self.customer(customer_name).customer_id, queue):
            raise InvalidRequest([bad_arguments("queueid", f"queue {queue.queue_id} already "
                                                           "exists; change it with PUT")])
        return queue

    def update_queue(self, customer_name: str, queue_id: int, name: str | None = None,
                     status: Status | None = None) -> Queue:
        """Change what is given of a queue (NotFound for an unknown id)."""
        updated = self._store.update_queue(self.customer(customer_name).customer_id,
                                           queue_id, name, status)
        if updated is None:
            raise NotFound(f"unknown queue {queue_id}", "queue_id")
        return updated

    def create_user(self, customer_name: str, user: User) -> User:
        """Add a user; refuses an id that already exists."""
        if not self._store.create_user(self.customer(customer_name).customer_id, user):
            raise InvalidRequest([bad_arguments("userid", f"user {user.user_id} already exists; "
                                                          "change it with PUT")])
        return user

    def update_user(self, customer_name: str, user_id: int, name: str | None = None,
                    kind: UserKind | None = None, status: Status | None = None) -> User:
        """Change what is given of a user (NotFound for an unknown id)."""
        updated = self._store.update_user(self.customer(customer_name).customer_id, user_id,
                                          name, kind, status)
        if updated is None:
            raise NotFound(f"unknown user {user_id}", "user_id")
        return updated

    def presets(self, customer_name: str) -> list[Preset]:
        return self._store.presets(self.customer(customer_name).customer_id)

    def create_preset(self, customer_name: str, name: str, fields: list[str]) -> Preset:
        """Add a preset named `name` (the API's rule for names: `NAME_RULE`) of KPIs
        `fields`."""
        customer = self.customer(customer_name)
        if not valid_name(name):
            raise InvalidRequest([wrong_format("name", NAME_RULE)])
        unknown = [f for f in fields if f not in BY_NAME]
        if unknown or not fields:
            raise InvalidRequest([bad_arguments(
                "fields", f"unknown field(s) {', '.join(unknown)}" if unknown
                else "a preset needs at least one field")])
        return self._store.create_preset(customer.customer_id, name,
                                         tuple(dict.fromkeys(fields)))

    def delete_preset(self, customer_name: str, preset_id: int) -> None:
        """Remove a preset (NotFound for an unknown id)."""
        if not self._store.delete_preset(self.customer(customer_name).customer_id, preset_id):
            raise NotFound(f"unknown preset {preset_id}", "preset_id")

    # names of outside systems -------------------------------------------------------
    def name_mappings(self, customer_name: str, source: str) -> list[NameMapping]:
        """The customer's mappings of `source`, ordered by kind, then name."""
        return self._store.name_mappings(self.customer(customer_name).customer_id, source)

    def save_name_mapping(self, customer_name: str, mapping: NameMapping, title: str) -> None:
        """Insert or replace `mapping`; its project or user, named `title`, is created
        unless it exists."""
        self._store.save_name_mapping(self.customer(customer_name).customer_id, mapping,
                                      title)

    # events ------------------------------------------------------------------------
    def ingest(self, customer_name: str, data: bytes) -> int:
        """Store one atomic batch (NDJSON, or a JSON array of events); returns its events.

        A UTF-8 byte-order mark at the start is skipped. The elements of an array are
        validated as lines are (their problems name the element). Raises
        EventsRejected (nothing stored) if any line is invalid. Batches of a
        customer that wait while another is stored go in together, in one
        transaction (see `ccstats.ingest.group_commit`).
        """
        customer = self.customer(customer_name)
        checked = self._validated(data)
        self._group_commit.store(customer.customer_id, checked)
        return _event_count(checked)

    def ingest_mapped(self, customer_name: str, derive: Callable[[NameMapper], bytes]) -> int:
        """Store one atomic batch of the events `derive` makes, which may give names of
        an outside system ids (with the batch's `NameMapper`); returns its events.

        `derive` answers a batch as `ingest` takes it. The names it maps, and the
        projects and users that creates, are stored with the events: none of them
        if a line is invalid (EventsRejected) or anything raises.
        """
        customer = self.customer(customer_name)
        with self._store.writer(customer.customer_id) as writer:
            checked = self._validated(derive(writer))
            for block in checked:
                writer.add(block.events)
        return _event_count(checked)

    def _validated(self, data: bytes) -> list[ValidatedBlock]:
        """The validated blocks of one batch (see `ingest`); EventsRejected if a line is
        invalid."""
        report = ImportReport()
        start = skip_bom(data)
        if _first_byte(data, start) == b"[":
            try:
                elements = array_elements(data, start)
            except ArraySyntaxError as error:
                raise EventsRejected([error.problem], 1) from None
            checked = list(self._checked([elements.block], "", report))
            problems = elements.described([p for _, p in report.problems], NOT_JSON)
        else:
            checked = list(self._checked([block_to_table(data, 1, start)], "", report))
            problems = [p for _, p in report.problems]
        if report.rejected:
            raise EventsRejected(problems, report.rejected)
        return checked

    def import_files(
        self,
        customer_name: str,
        paths: list[Path],
        skip_invalid: bool = False,
        rejects: Path | None = None,
        progress: Callable[[int], None] | None = None,
        names: Sequence[str] | None = None,
    ) -> ImportReport:
        """Import NDJSON files as one atomic batch (the last line of an id wins).

        Without `skip_invalid`, any invalid line stores nothing (the report lists the
        problems); with it, the valid lines are stored and the invalid ones are
        counted and, if `rejects` is given, copied there verbatim. Blocks are read
        and validated in a background thread while the previous ones are stored.
        The report names each file by its path, or by its entry of `names`.
        """
        customer = self.customer(customer_name)
        report = ImportReport()
        with (rejects.open("wb") if rejects else contextlib.nullcontext() as rejected_out,
              self._store.writer(customer.customer_id) as writer):
            checked = (
                block
                for path, name in zip(paths, names or [str(p) for p in paths], strict=True)
                for block in self._checked(file_blocks(path), name, report,
                                           rejected_out, progress)
            )
            for block in read_ahead(checked):
                if not report.rejected or skip_invalid:
                    writer.add(block.events)
            if report.rejected and not skip_invalid:
                writer.abort()
            else:
                report.stored = report.accepted
        return report

    def _validator(self) -> Validator:
        """This thread's validator."""
        validator: Validator | None = getattr(self._local, "validator", None)
        if validator is None:
            validator = self._local.validator = Validator()
            with self._validators_lock:
                self._validators.append(validator)
        return validator

    def _checked(
        self,
        blocks: Iterable[LineBlock],
        source: str,
        report: ImportReport,
        rejected_out: BinaryIO | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[ValidatedBlock]:
        """Validate `blocks`, counting lines and problems into `report` as they go."""
        for block in blocks:
            room = max(ERROR_LIMIT - report.rejected, 0)
            checked = self._validator().validate(block.table, room)
            rejected = sorted([*checked.rejected_lines, *(n for n, _ in block.not_utf8)])
            # the first `room` bad lines of either kind (the validator never sees the
            # lines that are not UTF-8)
            shown = set(rejected[:room])
            problems = [*(replace(p, unit=block.unit) for p in checked.errors if p.line in shown),
                        *(EventError(n, None, "error.wrong_format", "not UTF-8 text", block.unit)
                          for n, _ in block.not_utf8 if n in shown)]
            report.lines += block.line_count
            report.accepted += checked.events.num_rows
            report.rejected += len(rejected)
            report.problems.extend((source, p) for p in sorted(problems, key=_line_of))
            if rejected_out is not None and rejected:
                _copy_lines(block, checked.rejected_lines, rejected_out)
            if progress:
                progress(block.byte_count)
            yield checked

    def delete_event(self, customer_name: str, event_id: str) -> bool:
        return self._store.delete_event(self.customer(customer_name).customer_id, event_id)

    def withdraw_events(self, customer_name: str, selection: EventSelection) -> int:
        """Remove the customer's events that `selection` takes, with their contributions,
        at once; the number removed."""
        return self._store.withdraw_events(self.customer(customer_name).customer_id,
                                           selection)

    def erase_user(self, customer_name: str, user_id: int) -> Erasure:
        """Remove every event of the user (queue calls it answered included: the queues'
        statistics lose them), its sums, its name and the name mappings to it
        (`Store.erase_user`); NotFound for an unknown id. What the files still hold is
        the answer's `scrub`."""
        erased = self._store.erase_user(self.customer(customer_name).customer_id, user_id)
        if erased is None:
            raise NotFound(f"unknown user {user_id}", "user_id")
        return erased

    def event_count(self, customer_name: str) -> int:
        """The customer's stored events (one per id)."""
        return self._store.event_count(self.customer(customer_name).customer_id)

    def export_events(self, customer_name: str, out: BinaryIO, date_from: str | None = None,
                      date_to: str | None = None,
                      progress: Callable[[int], None] | None = None) -> int:
        """Write the customer's current events to `out` as NDJSON (`ccstats.export`), only
        those starting on the local dates `date_from`..`date_to` (yyyymmdd, either may be
        None) if given; returns the number of events written. `progress` is told how
        many stored events were read."""
        days = export.export_days(date_from, date_to)
        return export.export_events(self._store, self.customer(customer_name), out, days, progress)

    def rebuild(self, customer_name: str | None = None) -> int:
        """Recompute the sums from the stored events; the number of events read. The
        customers with a retention are pruned again, as the events that straddle their
        cutoff bring back sums of days before it."""
        customer_id = self.customer(customer_name).customer_id if customer_name else None
        total = self._store.rebuild(customer_id)
        self.prune(customer_name)
        return total

    def prune(self, customer_name: str | None = None, now: int | None = None
              ) -> list[retention.Pruned]:
        """Remove what each customer with a retention keeps no longer at `now` (default:
        the clock; `ccstats.retention`), or only customer `customer_name`'s."""
        moment = int(time.time()) if now is None else now
        chosen = self.customers() if customer_name is None else [self.customer(customer_name)]
        return [self._prune(found, moment) for found in chosen
                if found.keep_days is not None or customer_name is not None]

    def _prune(self, customer: Customer, now: int) -> retention.Pruned:
        if customer.keep_days is None:
            return retention.Pruned(customer.name, None, None, 0)
        cutoff = retention.cutoff(customer.timezone, customer.keep_days, now)
        removed = self._store.prune_before(customer.customer_id, cutoff)
        return retention.Pruned(customer.name, customer.keep_days, cutoff.day, removed)

    # statistics ---------------------------------------------------------------------
    def plan(self, customer_name: str, params: Mapping[str, str],
             endpoint: Endpoint = Endpoint.USERBASED) -> StatsQuery:
        """Validate the options of a statistics `endpoint` (raises InvalidRequest with
        every problem)."""
        customer = self.customer(customer_name)
        c, store = customer.customer_id, self._store
        if endpoint is Endpoint.INBOUND:
            return parse_inbound_query(params, customer, store.projects(c), store.queues(c),
                                       self.max_days)
        if endpoint is Endpoint.KPIS:
            return parse_kpi_query(params, customer, store.projects(c), store.users(c),
                                   store.queues(c), self.max_days)
        return parse_query(params, customer, store.projects(c), store.users(c),
                           store.presets(c), self.max_days)

    def stream(self, query: StatsQuery) -> Iterator[bytes]:
        """The answer body of a validated query, in chunks (a workbook: of its csv answer)."""
        if query.output is OutputFormat.XLSX:
            lines = replace(query, output=OutputFormat.CSV)
            return spreadsheet.workbook(query, render.stream(lines, records(lines, self._store)))
        return render.stream(query, records(query, self._store))

    def query(self, customer_name: str, params: Mapping[str, str],
              endpoint: Endpoint = Endpoint.USERBASED) -> bytes:
        """The whole answer body of a statistics request."""
        return b"".join(self.stream(self.plan(customer_name, params, endpoint)))

    # real time ----------------------------------------------------------------------
    def online_users(self, customer_name: str, params: Mapping[str, str],
                     now: int | None = None) -> Answer:
        """``GET /v2/onlineusers`` (realtime.md §2) at `now` (default: the server's clock);
        raises InvalidRequest with every problem of the options."""
        customer = self.customer(customer_name)
        c = customer.customer_id
        users = self._store.users(c)
        query = parse_users_query(params, self._store.projects(c), users)
        return answers.online_users(*self._live(customer, now), query, users)

    def realtime_queues(self, customer_name: str, params: Mapping[str, str],
                        now: int | None = None) -> Answer:
        """``GET /v2/realtime/queues`` (realtime.md §2) at `now` (default: the server's
        clock); raises InvalidRequest with every problem of the options."""
        customer = self.customer(customer_name)
        c = customer.customer_id
        queues = self._store.queues(c)
        query = parse_queues_query(params, self._store.projects(c), queues)
        return answers.realtime_queues(*self._live(customer, now), query, queues)

    def stream_query(self, customer_name: str, params: Mapping[str, str]) -> StreamQuery:
        """The options of ``GET /v2/realtime/stream``; raises InvalidRequest with every
        problem."""
        c = self.customer(customer_name).customer_id
        return parse_stream_query(params, self._store.projects(c), self._store.users(c),
                                  self._store.queues(c))

    def snapshot(self, customer_name: str, query: StreamQuery, now: int | None = None) -> bytes:
        """A snapshot of ``GET /v2/realtime/stream`` (realtime.md §2) at `now` (default: the
        server's clock): the data of one ``snapshot`` event."""
        customer = self.customer(customer_name)
        c = customer.customer_id
        return answers.snapshot(*self._live(customer, now), query, self._store.users(c),
                                self._store.queues(c))

    def change_mark(self, customer_name: str) -> int:
        """A number that grows with every batch or deletion of the customer committed by any
        process (`Store.change_mark`)."""
        return self._store.change_mark(self.customer(customer_name).customer_id)

    def _live(self, customer: Customer, now: int | None) -> tuple[pa.Table, clock.Moment]:
        """The customer's live events at `now` (default: the server's clock), and that
        moment: what every real-time answer is made of."""
        moment = clock.moment(customer.timezone, int(time.time()) if now is None else now)
        return self._store.live_events(customer.customer_id, moment.since), moment


def _event_count(blocks: list[ValidatedBlock]) -> int:
    return sum(block.events.num_rows for block in blocks)


def _line_of(problem: EventError) -> int:
    return problem.line


def _copy_lines(block: LineBlock, numbers: list[int], out: BinaryIO) -> None:
    """Write the rejected lines of `block` verbatim (in line order), each ending in a newline."""
    lines = block.table
    chosen = lines.filter(pc.is_in(lines.column("line_no"), pa.array(numbers, pa.int64())))
    found = dict(zip(chosen.column("line_no").to_pylist(),
                     (raw.encode("utf-8") for raw in chosen.column("raw").to_pylist()),
                     strict=True))
    found.update(block.not_utf8)
    for number in sorted(found):
        # (a line's string runs on over the blank lines after it)
        out.write(found[number].partition(b"\n")[0] + b"\n")


def _first_byte(data: bytes, start: int) -> bytes:
    """The first byte of `data` from `start` on that is not whitespace (b"" if none)."""
    found = _NOT_WHITESPACE.search(data, start)
    return found.group() if found else b""



"""The `ccstats` command line (api.md, "Command line").

Every command takes ``--db URL``, after its name or before it (``ccstats --db URL
import ...``); given in both places, the command's own wins. Without it: env
``CCSTATS_DB``, else ``ccstats.duckdb`` (the demo: ``ccstats-demo.duckdb`` only).
Failures print one line to stderr that says what to do, and exit with status 2
(bad input) or 1 (anything else).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TimeRemainingColumn,
)

from ccstats import render
from ccstats.administration import Administration
from ccstats.api.settings import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_FAILED_LOGINS,
    DEFAULT_KEEP_ALIVE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RATE_LIMIT,
    DEFAULT_STREAM_BUFFER,
    Settings,
)
from ccstats.api.upload_spool import spool_root
from ccstats.digits import parse_digits
from ccstats.errors import InvalidRequest, NotFound, StoreUnavailable
from ccstats.model import Status, UserKind
from ccstats.operator_key import ENV as OPERATOR_KEY_ENV
from ccstats.operator_key import OperatorKey, new_secret
from ccstats.options import DEFAULT_MAX_DAYS
from ccstats.query import Endpoint
from ccstats.retention import MAX_KEEP_DAYS
from ccstats.service import UNCHANGED, ImportReport, Service, Unchanged, parse_networks
from ccstats.store import redacted_url
from ccstats.store.erasure import Scrub

if TYPE_CHECKING:
    from ccstats.importers.queue_log.summary import QueueLogSummary

DEFAULT_DB = "ccstats.duckdb"
#: Seconds between the server's prunes (`serve --prune-every`).
DEFAULT_PRUNE_EVERY = 3600.0
#: The demo's own database: it holds a published all-scope key, so never real data.
DEMO_DB = "ccstats-demo.duckdb"
_err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def _service(db: str, max_days: int = DEFAULT_MAX_DAYS) -> Iterator[Service]:
    try:
        service = Service.open(db, max_days)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--db") from None
    except StoreUnavailable as error:
        _err.print(f"error: {error.detail}", markup=False)
        sys.exit(1)
    try:
        with _failures():
            yield service
    finally:
        service.close()


@contextmanager
def _failures() -> Iterator[None]:
    """A refusal of the service (or of a server, `_administration`) as one line and an
    exit status."""
    try:
        yield
    except NotFound as error:
        _err.print(f"error: {error}")
        sys.exit(2)
    except InvalidRequest as error:
        for problem in error.errors:
            _err.print(f"error: {problem}")
        sys.exit(2)
    except StoreUnavailable as error:
        _err.print(f"error: {error.detail}; nothing was changed", markup=False)
        sys.exit(1)


@contextmanager
def _administration(db: str, server: str | None) -> Iterator[Administration]:
    """The database `db`, or with `server` the operator routes of that running server
    (`ccstats.operator_client`), the key taken from env CCSTATS_OPERATOR_KEY."""
    if server is None:
        with _service(db) as service:
            yield service
        return
    ctx = click.get_current_context()
    if (ctx.get_parameter_source("db") is ParameterSource.COMMANDLINE
            or ctx.find_root().params.get("db_before")):
        raise click.UsageError("give --db or --server, not both")
    key = os.environ.get(OPERATOR_KEY_ENV, "").strip()
    if not key:
        raise click.UsageError(f"--server needs the operator key in env {OPERATOR_KEY_ENV} "
                               "(the key of the server's --operator-key-file)")
    from ccstats.operator_client import OperatorClient, OperatorRefused

    try:
        with _failures(), OperatorClient(server, key) as client:
            yield client
    except OperatorRefused as error:
        _err.print(f"error: {error}", markup=False)
        sys.exit(1)


def _given_db(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A command's database: its own --db, else the --db given before the command, else
    what the option falls back to."""
    if ctx.get_parameter_source(str(param.name)) is ParameterSource.COMMANDLINE:
        return value
    before: str | None = ctx.find_root().params.get("db_before")
    return before or value


DB_HELP = ("Database: a file path or duckdb:///path (embedded DuckDB), or "
           "clickhouse://host:port/database[?cluster=name].")
db_option = click.option("--db", envvar="CCSTATS_DB", default=DEFAULT_DB, show_default=True,
                         callback=_given_db, help=DB_HELP)
customer_option = click.option("--customer", required=True, help="Customer name.")
server_option = click.option(
    "--server", default=None, metavar="URL",
    help="Instead of --db: the running server at URL (started with --operator-key-file); "
         f"the operator key is read from env {OPERATOR_KEY_ENV}.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_before", default=None, metavar="URL",
              help=f"{DB_HELP} For the command that follows; its own --db wins. "
                   f"Default: env CCSTATS_DB, else {DEFAULT_DB}.")
def main(db_before: str | None) -> None:
    """ccstats: contact-centre statistics, VCC Live compatible."""
    # SIGTERM (a process manager's stop) ends every command the way Ctrl-C does, so the
    # store is closed and checkpointed on the way out; `serve` shuts down gracefully.
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@main.group()
def customer() -> None:
    """Create and list customers."""


@customer.command("create")
@click.argument("name")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--password", default=None, help="Use this API key instead of a generated one.")
@db_option
@server_option
def customer_create(name: str, timezone: str, password: str | None, db: str,
                    server: str | None) -> None:
    """Create customer NAME with one API key holding the read, write and admin scopes."""
    with _administration(db, server) as service:
        secret = service.create_customer(name, timezone, password)
        click.echo(f"customer {name} created (time zone {timezone})")
        if password is None:
            click.echo(f"API key (shown once): {secret}")


@customer.command("list")
@db_option
@server_option
def customer_list(db: str, server: str | None) -> None:
    """List customers: name, time zone, allowed networks, rate limit and retention."""
    with _administration(db, server) as service:
        for found in service.customers():
            click.echo(f"{found.name}\t{found.timezone}\t{_networks_text(found.networks)}"
                       f"\t{_rate_text(found.rate_limit)}\t{_keep_text(found.keep_days)}")


@customer.command("set")
@click.argument("name")
@click.option("--allow", default=None, metavar="CIDRS",
              help="Comma-separated client networks allowed to call the API "
                   "(e.g. 203.0.113.0/24,2001:db8::/32); 'any' removes the restriction.")
@click.option("--rate-limit", default=None, metavar="N|default",
              help="Requests per second allowed to this customer; 'default' uses the "
                   "server's --rate-limit.")
@click.option("--keep-days", default=None, metavar="N|forever",
              help="Keep N whole days before today of the customer's events and sums "
                   "(older ones go: ccstats prune, and the server's --prune-every); "
                   "'forever' keeps everything.")
@db_option
@server_option
def customer_set(name: str, allow: str | None, rate_limit: str | None,
                 keep_days: str | None, db: str, server: str | None) -> None:
    """Change who may reach customer NAME's API (networks, rate limit) and how long its
    data is kept."""
    if allow is None and rate_limit is None and keep_days is None:
        raise click.UsageError("give --allow, --rate-limit and/or --keep-days")
    networks = None if allow is None else ([] if allow.strip() == "any" else allow.split(","))
    limit: int | Unchanged | None = UNCHANGED
    if rate_limit is not None:
        if rate_limit.strip() == "default":
            limit = None
        elif (per_second := parse_digits(rate_limit.strip())) is not None:
            limit = per_second
        else:
            raise click.BadParameter("a number of requests per second, or 'default'",
                                     param_hint="--rate-limit")
    days = UNCHANGED if keep_days is None else _keep_days(keep_days)
    with _administration(db, server) as service:
        found = service.set_access(name, networks, limit, days)
        click.echo(f"customer {found.name}: networks {_networks_text(found.networks)}, "
                   f"rate limit {_rate_text(found.rate_limit)}, "
                   f"keeps {_keep_text(found.keep_days)}")


def _keep_days(text: str) -> int | None:
    """The value of ``--keep-days``: whole days, or None for 'forever'."""
    if text.strip() == "forever":
        return None
    days = parse_digits(text.strip())
    if days is None or not 1 <= days <= MAX_KEEP_DAYS:
        raise click.BadParameter(f"a number of whole days, 1-{MAX_KEEP_DAYS}, or 'forever'",
                                 param_hint="--keep-days")
    return days


def _networks_text(networks: tuple[str, ...]) -> str:
    return ",".join(networks) if networks else "any"


def _rate_text(rate_limit: int | None) -> str:
    return "default" if rate_limit is None else f"{rate_limit}/s"


def _keep_text(keep_days: int | None) -> str:
    return "forever" if keep_days is None else f"{keep_days} days"


@main.group()
def key() -> None:
    """Create, list and revoke a customer's API keys."""


@key.command("create")
@customer_option
@click.option("--scopes", default="read", show_default=True,
              help="Comma-separated scopes: read, write, admin.")
@db_option
@server_option
def key_create(customer: str, scopes: str, db: str, server: str | None) -> None:
    """Create an API key; its secret is printed once and stored only as a hash."""
    with _administration(db, server) as service:
        created, secret = service.create_key(customer, scopes.split(","))
        click.echo(f"key {created.key_id} ({','.join(created.scopes)}) created")
        click.echo(f"API key (shown once): {secret}")


@key.command("list")
@customer_option
@db_option
@server_option
def key_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's keys: id and scopes (secrets are never stored)."""
    with _administration(db, server) as service:
        for found in service.keys(customer):
            click.echo(f"{found.key_id}\t{','.join(found.scopes)}")


@key.command("revoke")
@click.argument("key_id")
@customer_option
@db_option
@server_option
def key_revoke(key_id: str, customer: str, db: str, server: str | None) -> None:
    """Revoke key KEY_ID of the customer at once."""
    with _administration(db, server) as service:
        service.revoke_key(customer, key_id)
        click.echo(f"key {key_id} revoked")


def _progress(counter: ProgressColumn) -> Progress:
    """A progress bar on stderr, showing `counter`; none when stderr is no terminal."""
    return Progress("[progress.description]{task.description}", BarColumn(), counter,
                    TimeRemainingColumn(), console=_err, transient=True,
                    disable=not _err.is_terminal)


@main.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@customer_option
@click.option("--format", "input_format", type=click.Choice(["ndjson", "queue_log"]),
              default="ndjson", show_default=True,
              help="ndjson: ccstats events; queue_log: an Asterisk queue_log (docs/asterisk.md).")
@click.option("--skip-invalid", is_flag=True,
              help="Store the valid lines and count the invalid ones instead of stopping.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="With --skip-invalid: write the invalid lines to this file.")
@click.option("--follow", is_flag=True,
              help="queue_log: keep importing what is appended to FILE until Ctrl-C/SIGTERM, "
                   "storing what goes on (calls, pauses, waiting callers) as open events.")
@db_option
@server_option
def import_(files: tuple[Path, ...], customer: str, input_format: str, skip_invalid: bool,
            rejects: Path | None, follow: bool, db: str, server: str | None) -> None:
    """Store the events of FILES as one atomic batch.

    NDJSON: by default any invalid line stops the import before anything is
    stored, and the problems are listed (up to 100). queue_log: every call,
    ring, pause and login session that has ended is stored; lines that are no
    queue_log line and unknown events are counted and reported.

    With --server the files are sent to the server in parts and imported there
    as one batch (--rejects and --follow are for --db).
    """
    if rejects and not skip_invalid:
        raise click.UsageError("--rejects needs --skip-invalid")
    if server is not None and (rejects or follow):
        raise click.UsageError(f"{'--rejects' if rejects else '--follow'} is for --db: the "
                               "server keeps no rejected lines and follows no file of "
                               "this machine")
    if input_format == "queue_log":
        if skip_invalid:
            raise click.UsageError("--skip-invalid is for --format ndjson")
        _import_queue_log(list(files), customer, follow, db, server)
        return
    if follow:
        raise click.UsageError("--follow is for --format queue_log")
    total = sum(path.stat().st_size for path in files)
    with _administration(db, server) as service:
        with _progress(DownloadColumn()) as bar:
            task = bar.add_task("validating" if server is None else "sending", total=total)
            report = service.import_files(
                customer, list(files), skip_invalid, rejects,
                progress=lambda size: bar.advance(task, size),
            )
            bar.update(task, description="storing")
        _print_report(report, skip_invalid, rejects)
        if report.rejected and not skip_invalid:
            sys.exit(2)


def _import_queue_log(files: list[Path], customer: str, follow: bool, db: str,
                      server: str | None) -> None:
    from ccstats.importers.queue_log import importer
    from ccstats.importers.queue_log.summary import summarize

    if server is not None:
        from ccstats.operator_client import OperatorClient

        with _administration(db, server) as client, _progress(DownloadColumn()) as bar:
            assert isinstance(client, OperatorClient)
            task = bar.add_task("sending", total=sum(path.stat().st_size for path in files))
            _print_queue_log_report(client.import_logs(
                customer, files, lambda size: bar.advance(task, size)))
        return
    with _service(db) as service:
        if not follow:
            _print_queue_log_report(summarize(importer.import_logs(service, customer, files)))
            return
        if len(files) != 1:
            raise click.UsageError("--follow takes one FILE")
        stop = threading.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_: stop.set())
        click.echo(f"following {files[0]} (Ctrl-C to stop)")
        importer.follow(service, customer, files[0], stop,
                        lambda report: _print_queue_log_report(summarize(report)))
        click.echo("stopped")


def _print_queue_log_report(report: QueueLogSummary) -> None:
    for source, line in report.malformed:
        _err.print(f"{source}: line {line}: not a queue_log line, skipped", markup=False)
    if report.malformed_count > len(report.malformed):
        _err.print(f"... {report.malformed_count} lines skipped in all", markup=False)
    click.echo(f"read {report.lines} lines ({report.records} queue_log events): "
               f"{report.inbound} inbound calls, {report.outbound} outbound calls, "
               f"{report.userstates} user states; stored {report.stored} events")
    if report.open_calls or report.open_sessions or report.open_pauses:
        click.echo(f"still open, imported once ended: {report.open_calls} calls, "
                   f"{report.open_sessions} login sessions, {report.open_pauses} pauses")
    if report.going_on:
        click.echo(f"going on, stored open until the log ends them: {report.going_on} events")
    if report.withdrawn:
        click.echo(f"withdrawn: {report.withdrawn} events stored before that the log no "
                   "longer makes (a call given up, available time interrupted)")
    if report.lost_calls:
        click.echo(f"{report.lost_calls} calls never ended (the member took another call "
                   "or Asterisk restarted): not imported")
    if report.implausible_count:
        click.echo(f"{report.implausible_count} calls longer than a day not imported "
                   f"(lines {', '.join(map(str, report.implausible))})")
    if report.unknown:
        listed = ", ".join(f"{name}: {n}" for name, n in report.unknown.items())
        click.echo(f"unknown events, counted and not imported: {listed}")


def _print_report(report: ImportReport, skip_invalid: bool, rejects: Path | None) -> None:
    for source, problem in report.problems:
        _err.print(f"{source}: {problem}" if source else str(problem), markup=False)
    if report.rejected > len({(source, problem.line) for source, problem in report.problems}):
        _err.print(f"... and more: {report.rejected} invalid lines in all")
    if report.rejected and not skip_invalid:
        _err.print(f"nothing stored: {report.rejected} of {report.lines} lines are invalid "
                   "(fix them, or use --skip-invalid to store the valid ones)")
        return
    message = f"stored {report.stored} events from {report.lines} lines"
    if report.rejected:
        message += f"; rejected {report.rejected} invalid lines"
        if rejects:
            message += f" (written to {rejects})"
    click.echo(message)


@main.command()
@customer_option
@click.option("--resource", type=click.Choice([e.value for e in Endpoint]),
              default=Endpoint.USERBASED.value, show_default=True,
              help="Which statistics: /v2/statistics/<resource>.")
@click.option("--from", "date_from", required=True, metavar="YYYYMMDD")
@click.option("--to", "date_to", required=True, metavar="YYYYMMDD")
@click.option("--dimensions", required=True, help="e.g. project,user,date,time")
@click.option("--projects", default=None, help="Comma-separated project ids.")
@click.option("--users", default=None, help="Comma-separated user ids (userbased).")
@click.option("--hide-system-users", is_flag=True)
@click.option("--queues", default=None, help="Comma-separated queue ids (inbound).")
@click.option("--manual-sla", default=None, help="Service level threshold in seconds "
                                                 "(inbound; default 30).")
@click.option("--fields", default=None, help="Comma-separated field names.")
@click.option("--kpis", default=None, help="Comma-separated KPI names (kpis).")
@click.option("--preset", default=None, help="Column preset id (userbased).")
@click.option("--of", "output", default="json", show_default=True,
              help="json, csv, tab or xlsx (an Excel workbook: redirect it to a file).")
@click.option("--timezone", default=None, help="IANA zone (default: the customer's).")
@click.option("--interval", default=None, help="Slot length for time: 60, 30 or 15.")
@db_option
def query(customer: str, resource: str, date_from: str, date_to: str, dimensions: str,
          hide_system_users: bool, output: str, db: str, **lists: str | None) -> None:
    """Print exactly the bytes `GET /v2/statistics/<resource>` answers for these options.

    A workbook (``--of xlsx``) is written only to a file or a pipe, never to a terminal.
    """
    if output.strip().lower() == "xlsx" and sys.stdout.isatty():
        raise click.UsageError("--of xlsx writes a binary workbook: redirect the output to a "
                               "file, e.g. ccstats query ... --of xlsx > answer.xlsx")
    params = {
        "from": date_from, "to": date_to, "dimensions": dimensions, "of": output,
        "hide_system_users": "true" if hide_system_users else None,
        **{name: value for name, value in lists.items()},
    }
    given = {name: value for name, value in params.items() if value is not None}
    with _service(db) as service:
        out = sys.stdout.buffer
        try:
            # (a workbook is refused, if at all, before its first chunk)
            for chunk in service.stream(service.plan(customer, given, Endpoint(resource))):
                out.write(chunk)
        except InvalidRequest as error:
            sys.stderr.buffer.write(render.error_body(e.as_dict() for e in error.errors))
            sys.stderr.buffer.write(b"\n")
            sys.exit(2)
        out.flush()


@main.command()
@click.option("--customer", default=None, help="Only this customer (default: all).")
@db_option
@server_option
def rebuild(customer: str | None, db: str, server: str | None) -> None:
    """Recompute every statistic from the stored raw events."""
    with _administration(db, server) as service:
        count = service.rebuild(customer)
        click.echo(f"rebuilt the sums of {count} events")


@main.command()
@click.option("--customer", default=None,
              help="Only this customer (default: every customer with --keep-days).")
@db_option
@server_option
def prune(customer: str | None, db: str, server: str | None) -> None:
    """Remove the events and sums older than each customer's retention (customer set
    --keep-days): the answers for the days kept stay the same."""
    with _administration(db, server) as service:
        done = service.prune(customer)
        for found in done:
            if found.kept_from is None:
                click.echo(f"{found.customer}: keeps everything (no --keep-days), "
                           "nothing removed")
            else:
                click.echo(f"{found.customer}: kept from {found.kept_from.isoformat()} "
                           f"({found.keep_days} days), {found.events} events removed")
        if not done:
            click.echo("no customer has a retention (ccstats customer set NAME --keep-days N)")


@main.command()
@db_option
@server_option
def compact(db: str, server: str | None) -> None:
    """Merge the logs of replaced and deleted events' sums (answers stay the same)."""
    with _administration(db, server) as service:
        service.compact()
        click.echo("compacted the sums")


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace DESTINATION if it exists (with --db).")
@db_option
@server_option
def backup(destination: Path, force: bool, db: str, server: str | None) -> None:
    """Write a consistent copy of the DuckDB database to the new file DESTINATION.

    With --server the running server writes it, and DESTINATION is a path on the
    server's machine; writes go on meanwhile (a batch waits while the file is copied).
    """
    if server is not None and force:
        raise click.UsageError("--force is for --db: the server never replaces a file")
    target = str(destination) if server is not None else str(destination.absolute())
    with _administration(db, server) as service:
        written = service.backup(target, force)
        click.echo(f"backed up {written.events} events to {written.path} "
                   f"({written.bytes / 1e6:.1f} MB) in {written.seconds:.2f} s")


@main.command()
@click.argument("backup_file", metavar="BACKUP",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the database file if it exists.")
@db_option
def restore(backup_file: Path, force: bool, db: str) -> None:
    """Make the DuckDB database file --db from BACKUP (a file of `ccstats backup`).

    The database must not be in use: stop the server first. BACKUP is checked to be
    a ccstats database (an older one is migrated) and left as it is.
    """
    from ccstats.store import duckdb_backup

    path = db.removeprefix("duckdb://")
    if "://" in path:
        raise click.BadParameter("restore writes a DuckDB file; ClickHouse is restored with "
                                 "its own tools (docs/clickhouse.md)", param_hint="--db")
    with _failures():
        events = duckdb_backup.restore(backup_file, Path(path).absolute(), force)
    click.echo(f"restored {events} events into {path}")


@main.command()
@db_option
def migrate(db: str) -> None:
    """Create the tables of the database (or bring them up to date)."""
    with _service(db) as service:
        service.migrate()
        click.echo("the database is ready")


@main.command("copy")
@customer_option
@click.option("--from", "source", required=True, metavar="URL",
              help="Database that holds the customer.")
@click.option("--to", "destination", required=True, metavar="URL",
              help="Database to copy it into (migrated, without that customer).")
def copy_(customer: str, source: str, destination: str) -> None:
    """Copy a customer with its keys, metadata and events into another database."""
    if click.get_current_context().find_root().params.get("db_before"):
        raise click.UsageError("copy reads --from and writes --to; --db does not apply")

    with _service(source) as origin, _service(destination) as target:
        copied = origin.copy_customer(customer, target)
        click.echo(f"copied customer {customer} with {copied} events")


@main.command("export")
@customer_option
@click.option("--from", "date_from", default=None, metavar="YYYYMMDD",
              help="Only events that start (or happen) on this local date of the customer's "
                   "zone or later.")
@click.option("--to", "date_to", default=None, metavar="YYYYMMDD",
              help="Only events that start (or happen) on this local date or earlier.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@db_option
def export_(customer: str, date_from: str | None, date_to: str | None, output: Path | None,
            db: str) -> None:
    """Write the customer's current events as NDJSON that `ccstats import` takes back.

    One line per stored event (replaced versions and deleted events are gone; intervals
    still going on keep "end": null), timestamps in UTC as 2024-03-31T01:00:00Z. The
    file holds events only: names and states of projects, users and queues are not in
    it (an import registers them as "Project <id>" etc.).
    """
    with _service(db) as service:
        total = service.event_count(customer)
        with _progress(MofNCompleteColumn()) as bar:
            task = bar.add_task("exporting", total=total)
            written = _export_to(service, customer, date_from, date_to, output,
                                 lambda read: bar.advance(task, read))
        _err.print(f"exported {written} events of customer {customer}", markup=False)


def _export_to(service: Service, customer: str, date_from: str | None, date_to: str | None,
               output: Path | None, progress: Callable[[int], None]) -> int:
    """Export to `output` (None: standard output); a file left unfinished is removed."""
    if output is None:
        written = service.export_events(customer, sys.stdout.buffer, date_from, date_to,
                                        progress)
        sys.stdout.buffer.flush()
        return written
    try:
        with output.open("wb") as out:
            return service.export_events(customer, out, date_from, date_to, progress)
    except BaseException:
        output.unlink(missing_ok=True)
        raise


@main.group()
def project() -> None:
    """Change projects."""


@project.command("set-status")
@click.argument("project_id", type=int)
@click.argument("status", type=click.Choice([s.value for s in Status]))
@customer_option
@db_option
@server_option
def project_set_status(project_id: int, status: str, customer: str, db: str,
                       server: str | None) -> None:
    """Make project PROJECT_ID active or inactive (inactive ones are not in the default query)."""
    with _administration(db, server) as service:
        updated = service.update_project(customer, project_id, status=Status(status))
        click.echo(f"project {updated.project_id} ({updated.name}) is now {updated.status}")


@project.command("list")
@customer_option
@db_option
@server_option
def project_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's projects."""
    with _administration(db, server) as service:
        for found in service.projects(customer):
            click.echo(f"{found.project_id}\t{found.status}\t{found.name}")


@main.group()
def queue() -> None:
    """Change queues."""


@queue.command("set-status")
@click.argument("queue_id", type=int)
@click.argument("status", type=click.Choice([s.value for s in Status]))
@customer_option
@db_option
@server_option
def queue_set_status(queue_id: int, status: str, customer: str, db: str,
                     server: str | None) -> None:
    """Make queue QUEUE_ID active or inactive."""
    with _administration(db, server) as service:
        updated = service.update_queue(customer, queue_id, status=Status(status))
        click.echo(f"queue {updated.queue_id} ({updated.name}) is now {updated.status}")


@queue.command("list")
@customer_option
@db_option
@server_option
def queue_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's queues."""
    with _administration(db, server) as service:
        for found in service.queues(customer):
            click.echo(f"{found.queue_id}\t{found.status}\t{found.name}")


@main.group()
def user() -> None:
    """Change, list and erase users."""


@user.command("set-kind")
@click.argument("user_id", type=int)
@click.argument("kind", type=click.Choice([k.value for k in UserKind]))
@customer_option
@db_option
@server_option
def user_set_kind(user_id: int, kind: str, customer: str, db: str, server: str | None) -> None:
    """Make user USER_ID an agent or a system user (hidden by hide_system_users)."""
    with _administration(db, server) as service:
        updated = service.update_user(customer, user_id, kind=UserKind(kind))
        click.echo(f"user {updated.user_id} ({updated.name}) is now a {updated.kind} user")


@user.command("list")
@customer_option
@db_option
@server_option
def user_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's users."""
    with _administration(db, server) as service:
        for found in service.users(customer):
            click.echo(f"{found.user_id}\t{found.kind}\t{found.status}\t{found.name}")


@user.command("erase")
@click.argument("user_id", type=int)
@customer_option
@db_option
@server_option
def user_erase(user_id: int, customer: str, db: str, server: str | None) -> None:
    """Erase user USER_ID for good: its events (queue calls it answered included), its sums,
    its name and the names mapped to it. Other users' statistics stay the same.

    With --db the DuckDB file is rewritten at once, so that no free block keeps the
    erased bytes; a server rewrites its file at its next start (docs/operations.md).
    """
    with _administration(db, server) as service:
        erased = service.erase_user(customer, user_id)
    mapped = f" and {erased.mappings} name mapping(s)" if erased.mappings else ""
    click.echo(f"erased user {erased.user_id} ({erased.name}) of {customer}: "
               f"{erased.events} events, their sums, the name{mapped}")
    if server is None and erased.scrub is Scrub.PENDING:
        with _service(db):  # opening the file rewrites it (`ccstats.store.duckdb_erasure`)
            erased = dataclasses.replace(erased, scrub=Scrub.DONE)
    click.echo(_SCRUBBED[erased.scrub])


#: What the files hold after an erasure (`ccstats.store.erasure.Scrub`).
_SCRUBBED = {
    Scrub.DONE: "no file of the database holds them any more",
    Scrub.PENDING: "the server's database file keeps their bytes in free blocks until its "
                   "next start rewrites it (a backup taken meanwhile is written without them)",
    Scrub.RUNNING: "ClickHouse is still running the mutations that delete them (see "
                   "system.mutations)",
}


@main.group()
def preset() -> None:
    """Column presets: named lists of KPIs."""


@preset.command("create")
@click.argument("name")
@click.option("--fields", required=True, help="Comma-separated KPI names.")
@customer_option
@db_option
@server_option
def preset_create(name: str, fields: str, customer: str, db: str, server: str | None) -> None:
    """Create a preset NAME; prints its id."""
    with _administration(db, server) as service:
        created = service.create_preset(customer, name, [f.strip() for f in fields.split(",")])
        click.echo(f"preset {created.preset_id} created")


@preset.command("list")
@customer_option
@db_option
@server_option
def preset_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's presets."""
    with _administration(db, server) as service:
        for found in service.presets(customer):
            click.echo(f"{found.preset_id}\t{found.name}\t{','.join(found.fields)}")


@main.group()
def mapping() -> None:
    """Asterisk queues → projects and queue members → users (see docs/asterisk.md)."""


@mapping.command("list")
@customer_option
@db_option
@server_option
def mapping_list(customer: str, db: str, server: str | None) -> None:
    """List the mappings: kind, name in the log, id, and the project or user name."""
    from ccstats.importers.queue_log import names

    with _administration(db, server) as service:
        for found, name in names.listed(service, customer):
            kind = "queue" if found.kind == "project" else "member"
            click.echo(f"{kind}\t{found.name}\t{found.kind} {found.target_id}\t{name}")


@mapping.command("set")
@click.argument("kind", type=click.Choice(["queue", "member"]))
@click.argument("name")
@click.argument("target_id", metavar="ID", type=int)
@customer_option
@db_option
@server_option
def mapping_set(kind: str, name: str, target_id: int, customer: str, db: str,
                server: str | None) -> None:
    """Map queue or member NAME (as the log writes it) to project or user ID.

    Events imported before keep their ids: import the log again to move them.
    """
    from ccstats.importers.queue_log import names

    with _administration(db, server) as service:
        saved = names.set_mapping(service, customer, kind, name, target_id)
        click.echo(f"{kind} {saved.name} → {saved.kind} {saved.target_id}")


def _serve(service: Service, settings: Settings, host: str, port: int,
           trusted_proxies: tuple[str, ...] = (), prune_every: float = 0) -> None:
    from ccstats.api.app import create_app
    from ccstats.api.pruning import PruneSchedule
    from ccstats.api.server import run

    # One JSON line per request (see ccstats.api.middleware), and per customer pruned
    # (ccstats.api.pruning), on stderr.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("ccstats.access", "ccstats.retention"):
        lines = logging.getLogger(name)
        lines.addHandler(handler)
        lines.setLevel(logging.INFO)
        lines.propagate = False

    app = create_app(service, settings)
    with PruneSchedule(service, app.state.metrics, prune_every):
        run(app, host, port, trusted_proxies)


def _proxy_networks(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    try:
        return parse_networks(value.split(","))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


host_option = click.option("--host", default="127.0.0.1", show_default=True)
port_option = click.option("--port", default=8000, show_default=True, type=int)
base_domain_option = click.option(
    "--base-domain", default="localhost", show_default=True,
    help="Hosts <customer>.<base domain> name their customer.")


@main.command()
@host_option
@port_option
@base_domain_option
@click.option("--max-body-bytes", default=DEFAULT_MAX_BODY_BYTES, show_default=True, type=int,
              help="Larger request bodies get 413.")
@click.option("--max-days", default=DEFAULT_MAX_DAYS, show_default=True, type=int,
              help="Longest from..to range of one statistics request.")
@click.option("--rate-limit", default=DEFAULT_RATE_LIMIT, show_default=True,
              type=click.IntRange(min=0),
              help="Requests per second per customer, unless the customer has its own "
                   "(ccstats customer set); 0: no limit.")
@click.option("--max-failed-logins", default=DEFAULT_FAILED_LOGINS, show_default=True,
              type=click.IntRange(min=0),
              help="Failed logins per minute from one client address before it gets 429; "
                   "0: no limit.")
@click.option("--body-timeout", default=DEFAULT_BODY_TIMEOUT, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds a request body may stall (nothing of it arrives) before the "
                   "request gets 408.")
@click.option("--stream-keep-alive", default=DEFAULT_KEEP_ALIVE, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds between the keep-alive comments of GET /v2/realtime/stream.")
@click.option("--stream-buffer", default=DEFAULT_STREAM_BUFFER, show_default=True,
              type=click.IntRange(min=1),
              help="Snapshots a real-time stream holds for a client that has not read them; "
                   "a client further behind is dropped.")
@click.option("--trusted-proxies", default="", metavar="CIDRS", callback=_proxy_networks,
              help="Comma-separated networks of reverse proxies (e.g. 127.0.0.1,::1): a "
                   "request from one of them is from the client its X-Forwarded-For names. "
                   "Default: none (X-Forwarded-For is ignored).")
@click.option("--operator-key-file", default=None, metavar="PATH",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve the operator routes (/v2/operator/...; the commands' --server), "
                   "which take the key on this file's first line (make one with "
                   "`ccstats operator-key new > PATH`); only its hash is kept. Without it "
                   "those routes do not exist.")
@click.option("--prune-every", default=DEFAULT_PRUNE_EVERY, show_default=True,
              type=click.FloatRange(min=0), metavar="SECONDS",
              help="Prune the customers with a retention (customer set --keep-days) shortly "
                   "after the start, then every SECONDS; 0: never (run ccstats prune).")
@db_option
def serve(host: str, port: int, base_domain: str, max_body_bytes: int, max_days: int,
          rate_limit: int, max_failed_logins: int, body_timeout: float,
          stream_keep_alive: float, stream_buffer: int, trusted_proxies: tuple[str, ...],
          operator_key_file: Path | None, prune_every: float,
          db: str) -> None:
    """Serve the HTTP API."""
    settings = Settings(base_domain=base_domain, max_body_bytes=max_body_bytes,
                        max_days=max_days, rate_limit=rate_limit,
                        failed_logins_per_minute=max_failed_logins, body_timeout=body_timeout,
                        stream_keep_alive=stream_keep_alive, stream_buffer=stream_buffer,
                        operator_key=_operator_key(operator_key_file),
                        upload_root=spool_root(db))
    with _service(db, max_days) as service:
        _serve(service, settings, host, port, trusted_proxies, prune_every)


def _operator_key(path: Path | None) -> OperatorKey | None:
    if path is None:
        return None
    try:
        return OperatorKey.from_file(path)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint="--operator-key-file") from None


@main.group("operator-key")
def operator_key() -> None:
    """The operator key of `serve --operator-key-file` and the commands' --server."""


@operator_key.command("new")
def operator_key_new() -> None:
    """Print a new random operator key (e.g. `ccstats operator-key new > FILE`)."""
    click.echo(new_secret())


@main.command()
@host_option
@port_option
@click.option("--db", default=DEMO_DB, show_default=True, callback=_given_db,
              help="The demo's own database (CCSTATS_DB is not read); one that holds other "
                   "customers is refused.")
@click.option("--live/--no-live", default=True, show_default=True,
              help="Keep a live shift going while serving: the demo's agents and callers post "
                   "their events to the server every few seconds.")
def demo(host: str, port: int, db: str, live: bool) -> None:
    """Create the demo customer (once) in its own database and serve it, with a live shift."""
    from ccstats.demo import customer as demo_customer

    with _service(db) as service:
        if others := demo_customer.other_customers(service):
            raise click.BadParameter(
                f"{db} holds other customers ({', '.join(others[:5])}); the demo serves the "
                f"published key {demo_customer.PASSWORD!r} with every scope, so it needs a "
                f"database of its own (by default {DEMO_DB})", param_hint="--db")
        span, created = demo_customer.prepare(service)
        if created:
            click.echo(f"generated the demo customer into {redacted_url(db)}")
        name, key = demo_customer.NAME, demo_customer.PASSWORD
        url = f"http://{name}.localhost:{port}/v2/statistics/userbased"
        first, last = span.first.strftime("%Y%m%d"), span.last.strftime("%Y%m%d")
        four_weeks = (span.first + dt.timedelta(days=27)).strftime("%Y%m%d")
        examples = (
            f"{url}?from={first}&to={four_weeks}&dimensions=user",
            f"{url}?from={last}&to={last}&dimensions=project,user,time&of=csv",
            f"{url}?from={first}&to={last}&dimensions=project,date"
            "&fields=callInAnswered,callInMissed,callOutReached&of=tab",
        )
        click.echo(f"\nccstats demo on http://{name}.localhost:{port}/ (data from {span.first} "
                   f"to {span.last})\ncustomer: {name}   API key: {key}\n")
        for example in examples:
            click.echo(f"  curl -u {name}:{key} '{example}'")
        click.echo("")
        _serve_demo(service, host, port, live)


def _serve_demo(service: Service, host: str, port: int, live: bool) -> None:
    """Serve the demo; with `live`, a live shift posts its events to the server meanwhile.

    The shift stops after the server: by then the server accepts no request, so the
    intervals the shift still has open are closed through the service itself.
    """
    if not live:
        _serve(service, Settings(), host, port)
        return
    from ccstats.demo import customer as demo_customer
    from ccstats.demo.live.leftovers import drop_leftovers
    from ccstats.demo.live.shift import PERIOD, LiveShift

    try:
        drop_leftovers(service, demo_customer.NAME)
    except Exception as error:  # leftovers mislead only the real-time views: go on
        _err.print(f"warning: open events of an earlier live shift stay: {error}", markup=False)
    shift = LiveShift(_local_url(host, port))
    click.echo(f"A live shift is going on: {len(shift.roster.agents)} agents and their callers "
               f"in {len(shift.roster.queues)} queues post events every {PERIOD:g} s "
               "(Ctrl-C stops the server and the shift).\n")
    shift.start()
    try:
        _serve(service, Settings(), host, port)
    finally:
        shift.stop(lambda body: service.ingest(demo_customer.NAME, body))


def _local_url(host: str, port: int) -> str:
    """The address at which this machine reaches a server listening on `host`."""
    wildcard = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
    address = wildcard.get(host, host)
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"

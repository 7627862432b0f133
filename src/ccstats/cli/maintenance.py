"""The database's upkeep: rebuild, prune, compact, backup, restore, migrate, and a
customer's data taken elsewhere (copy, export)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import MofNCompleteColumn

from ccstats.cli.common import (
    administration,
    customer_option,
    db_option,
    db_or_server_options,
    err,
    failures,
    open_service,
    progress_bar,
)
from ccstats.service import Service


@click.command()
@click.option("--customer", default=None, help="Only this customer (default: all).")
@db_or_server_options
def rebuild(customer: str | None, db: str, server: str | None) -> None:
    """Recompute every statistic from the stored raw events."""
    with administration(db, server) as service:
        count = service.rebuild(customer)
        click.echo(f"rebuilt the sums of {count} events")


@click.command()
@click.option("--customer", default=None,
              help="Only this customer (default: every customer with --keep-days).")
@db_or_server_options
def prune(customer: str | None, db: str, server: str | None) -> None:
    """Remove the events and sums older than each customer's retention (customer set
    --keep-days): the answers for the days kept stay the same."""
    with administration(db, server) as service:
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


@click.command()
@db_or_server_options
def compact(db: str, server: str | None) -> None:
    """Merge the logs of replaced and deleted events' sums (answers stay the same)."""
    with administration(db, server) as service:
        service.compact()
        click.echo("compacted the sums")


@click.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace DESTINATION if it exists (with --db).")
@db_or_server_options
def backup(destination: Path, force: bool, db: str, server: str | None) -> None:
    """Write a consistent copy of the DuckDB database to the new file DESTINATION.

    With --server the running server writes it, and DESTINATION is a path on the
    server's machine; writes go on meanwhile (a batch waits while the file is copied).
    """
    if server is not None and force:
        raise click.UsageError("--force is for --db: the server never replaces a file")
    target = str(destination) if server is not None else str(destination.absolute())
    with administration(db, server) as service:
        written = service.backup(target, force)
        click.echo(f"backed up {written.events} events to {written.path} "
                   f"({written.bytes / 1e6:.1f} MB) in {written.seconds:.2f} s")


@click.command()
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
    with failures():
        events = duckdb_backup.restore(backup_file, Path(path).absolute(), force)
    click.echo(f"restored {events} events into {path}")


@click.command()
@db_option
def migrate(db: str) -> None:
    """Create the tables of the database (or bring them up to date)."""
    with open_service(db) as service:
        service.migrate()
        click.echo("the database is ready")


@click.command("copy")
@customer_option
@click.option("--from", "source", required=True, metavar="URL",
              help="Database that holds the customer.")
@click.option("--to", "destination", required=True, metavar="URL",
              help="Database to copy it into (migrated, without that customer).")
def copy_(customer: str, source: str, destination: str) -> None:
    """Copy a customer with its keys, metadata and events into another database."""
    if click.get_current_context().find_root().params.get("db_before"):
        raise click.UsageError("copy reads --from and writes --to; --db does not apply")

    with open_service(source) as origin, open_service(destination) as target:
        copied = origin.copy_customer(customer, target)
        click.echo(f"copied customer {customer} with {copied} events")


@click.command("export")
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
    with open_service(db) as service:
        total = service.event_count(customer)
        with progress_bar(MofNCompleteColumn()) as bar:
            task = bar.add_task("exporting", total=total)
            written = _export_to(service, customer, date_from, date_to, output,
                                 lambda read: bar.advance(task, read))
        err.print(f"exported {written} events of customer {customer}", markup=False)


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


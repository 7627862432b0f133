"""The `ccstats` command line (api.md, "Command line").

Every command takes ``--db URL`` (env ``CCSTATS_DB``, default ``ccstats.duckdb``).
Failures print one line to stderr that says what to do, and exit with status 2
(bad input) or 1 (anything else).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from ccstats import render
from ccstats.api.settings import DEFAULT_MAX_BODY_BYTES, Settings
from ccstats.errors import NotFound, QueryRejected, StoreUnavailable
from ccstats.model import Status, UserKind
from ccstats.query import DEFAULT_MAX_DAYS
from ccstats.service import ImportReport, Service

DEFAULT_DB = "ccstats.duckdb"
_err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def _service(db: str, max_days: int = DEFAULT_MAX_DAYS) -> Iterator[Service]:
    try:
        service = Service.open(db, max_days)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--db") from None
    except StoreUnavailable as error:
        _err.print(f"error: {error}", markup=False)
        sys.exit(1)
    try:
        yield service
    except NotFound as error:
        _err.print(f"error: {error}")
        sys.exit(2)
    except QueryRejected as error:
        for problem in error.errors:
            _err.print(f"error: {problem}")
        sys.exit(2)
    finally:
        service.close()


db_option = click.option(
    "--db", envvar="CCSTATS_DB", default=DEFAULT_DB, show_default=True,
    help="Database: a file path or duckdb:///path (embedded DuckDB), or "
         "clickhouse://host:port/database[?cluster=name].",
)
customer_option = click.option("--customer", required=True, help="Customer name.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ccstats: contact-centre statistics, VCC Live compatible."""


@main.group()
def customer() -> None:
    """Create and list customers."""


@customer.command("create")
@click.argument("name")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--password", default=None, help="Use this API key instead of a generated one.")
@db_option
def customer_create(name: str, timezone: str, password: str | None, db: str) -> None:
    """Create customer NAME with one API key holding the read, write and admin scopes."""
    with _service(db) as service:
        secret = service.create_customer(name, timezone, password)
        click.echo(f"customer {name} created (time zone {timezone})")
        if password is None:
            click.echo(f"API key (shown once): {secret}")


@customer.command("list")
@db_option
def customer_list(db: str) -> None:
    """List customers and their time zones."""
    with _service(db) as service:
        for found in service.store.customers():
            click.echo(f"{found.name}\t{found.timezone}")


@main.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@customer_option
@click.option("--format", "input_format", type=click.Choice(["ndjson"]), default="ndjson",
              show_default=True, help="Input format.")
@click.option("--skip-invalid", is_flag=True,
              help="Store the valid lines and count the invalid ones instead of stopping.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="With --skip-invalid: write the invalid lines to this file.")
@db_option
def import_(files: tuple[Path, ...], customer: str, input_format: str, skip_invalid: bool,
            rejects: Path | None, db: str) -> None:
    """Store the events of NDJSON FILES as one atomic batch.

    By default any invalid line stops the import before anything is stored, and
    the problems are listed (up to 100).
    """
    if rejects and not skip_invalid:
        raise click.UsageError("--rejects needs --skip-invalid")
    total = sum(path.stat().st_size for path in files)
    with _service(db) as service:
        service.customer(customer)
        with Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
            TimeRemainingColumn(), console=_err, transient=True,
            disable=not _err.is_terminal,
        ) as bar:
            task = bar.add_task("validating", total=total)
            report = service.import_files(
                customer, list(files), skip_invalid, rejects,
                progress=lambda size: bar.advance(task, size),
            )
            bar.update(task, description="storing")
        _print_report(report, skip_invalid, rejects)
        if report.rejected and not skip_invalid:
            sys.exit(2)


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
@click.option("--from", "date_from", required=True, metavar="YYYYMMDD")
@click.option("--to", "date_to", required=True, metavar="YYYYMMDD")
@click.option("--dimensions", required=True, help="e.g. project,user,date,time")
@click.option("--projects", default=None, help="Comma-separated project ids.")
@click.option("--users", default=None, help="Comma-separated user ids.")
@click.option("--hide-system-users", is_flag=True)
@click.option("--fields", default=None, help="Comma-separated KPI names.")
@click.option("--preset", default=None, help="Column preset id.")
@click.option("--of", "output", default="json", show_default=True, help="json, csv or tab.")
@click.option("--timezone", default=None, help="IANA zone (default: the customer's).")
@click.option("--interval", default=None, help="Slot length for time: 60, 30 or 15.")
@db_option
def query(customer: str, date_from: str, date_to: str, dimensions: str, projects: str | None,
          users: str | None, hide_system_users: bool, fields: str | None, preset: str | None,
          output: str, timezone: str | None, interval: str | None, db: str) -> None:
    """Print exactly the bytes `GET /v2/statistics/userbased` answers for these options."""
    params = {
        "from": date_from, "to": date_to, "dimensions": dimensions, "projects": projects,
        "users": users, "hide_system_users": "true" if hide_system_users else None,
        "fields": fields, "preset": preset, "of": output, "timezone": timezone,
        "interval": interval,
    }
    given = {name: value for name, value in params.items() if value is not None}
    with _service(db) as service:
        try:
            plan = service.plan(customer, given)
        except QueryRejected as error:
            sys.stderr.buffer.write(render.error_body(e.as_dict() for e in error.errors))
            sys.stderr.buffer.write(b"\n")
            sys.exit(2)
        out = sys.stdout.buffer
        for chunk in service.stream(plan):
            out.write(chunk)
        out.flush()


@main.command()
@click.option("--customer", default=None, help="Only this customer (default: all).")
@db_option
def rebuild(customer: str | None, db: str) -> None:
    """Recompute every statistic from the stored raw events."""
    with _service(db) as service:
        count = service.rebuild(customer)
        click.echo(f"rebuilt the sums of {count} events")


@main.command()
@db_option
def compact(db: str) -> None:
    """Merge the logs of replaced and deleted events' sums (answers stay the same)."""
    with _service(db) as service:
        service.store.compact()
        click.echo("compacted the sums")


@main.command()
@db_option
def migrate(db: str) -> None:
    """Create the tables of the database (or bring them up to date)."""
    with _service(db) as service:
        service.store.migrate()
        click.echo("the database is ready")


@main.command("copy")
@customer_option
@click.option("--from", "source", required=True, metavar="URL",
              help="Database that holds the customer.")
@click.option("--to", "destination", required=True, metavar="URL",
              help="Database to copy it into (migrated, without that customer).")
def copy_(customer: str, source: str, destination: str) -> None:
    """Copy a customer with its keys, metadata and events into another database."""
    from ccstats.copy import copy_customer

    with _service(source) as origin, _service(destination) as target:
        copied = copy_customer(origin.store, target.store, customer)
        click.echo(f"copied customer {customer} with {copied} events")


@main.group()
def project() -> None:
    """Change projects."""


@project.command("set-status")
@click.argument("project_id", type=int)
@click.argument("status", type=click.Choice([s.value for s in Status]))
@customer_option
@db_option
def project_set_status(project_id: int, status: str, customer: str, db: str) -> None:
    """Make project PROJECT_ID active or inactive (inactive ones are not in the default query)."""
    with _service(db) as service:
        updated = service.update_project(customer, project_id, status=Status(status))
        click.echo(f"project {updated.project_id} ({updated.name}) is now {updated.status}")


@project.command("list")
@customer_option
@db_option
def project_list(customer: str, db: str) -> None:
    """List the customer's projects."""
    with _service(db) as service:
        for found in service.store.projects(service.customer(customer).customer_id):
            click.echo(f"{found.project_id}\t{found.status}\t{found.name}")


@main.group()
def user() -> None:
    """Change users."""


@user.command("set-kind")
@click.argument("user_id", type=int)
@click.argument("kind", type=click.Choice([k.value for k in UserKind]))
@customer_option
@db_option
def user_set_kind(user_id: int, kind: str, customer: str, db: str) -> None:
    """Make user USER_ID an agent or a system user (hidden by hide_system_users)."""
    with _service(db) as service:
        updated = service.update_user(customer, user_id, kind=UserKind(kind))
        click.echo(f"user {updated.user_id} ({updated.name}) is now a {updated.kind} user")


@user.command("list")
@customer_option
@db_option
def user_list(customer: str, db: str) -> None:
    """List the customer's users."""
    with _service(db) as service:
        for found in service.store.users(service.customer(customer).customer_id):
            click.echo(f"{found.user_id}\t{found.kind}\t{found.status}\t{found.name}")


@main.group()
def preset() -> None:
    """Column presets: named lists of KPIs."""


@preset.command("create")
@click.argument("name")
@click.option("--fields", required=True, help="Comma-separated KPI names.")
@customer_option
@db_option
def preset_create(name: str, fields: str, customer: str, db: str) -> None:
    """Create a preset NAME; prints its id."""
    with _service(db) as service:
        created = service.create_preset(customer, name, [f.strip() for f in fields.split(",")])
        click.echo(f"preset {created.preset_id} created")


@preset.command("list")
@customer_option
@db_option
def preset_list(customer: str, db: str) -> None:
    """List the customer's presets."""
    with _service(db) as service:
        for found in service.store.presets(service.customer(customer).customer_id):
            click.echo(f"{found.preset_id}\t{found.name}\t{','.join(found.fields)}")


def _serve(service: Service, settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from ccstats.api.app import create_app

    uvicorn.run(create_app(service, settings), host=host, port=port, log_level="info",
                access_log=False)


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
@db_option
def serve(host: str, port: int, base_domain: str, max_body_bytes: int, max_days: int,
          db: str) -> None:
    """Serve the HTTP API."""
    settings = Settings(base_domain=base_domain, max_body_bytes=max_body_bytes,
                        max_days=max_days)
    with _service(db, max_days) as service:
        _serve(service, settings, host, port)


@main.command()
@host_option
@port_option
@db_option
def demo(host: str, port: int, db: str) -> None:
    """Create the demo customer (once) and serve it."""
    from ccstats import demo_customer

    with _service(db) as service:
        span, created = demo_customer.prepare(service)
        if created:
            click.echo(f"generated the demo customer into {db}")
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
        _serve(service, Settings(), host, port)

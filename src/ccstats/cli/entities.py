"""A customer's projects, queues, users (their erasure included), column presets and the
name mappings of Asterisk's queue_log."""

from __future__ import annotations

import dataclasses

import click

from ccstats.cli.common import (
    administration,
    customer_option,
    db_or_server_options,
    open_service,
)
from ccstats.model import Status, UserKind
from ccstats.store.erasure import Scrub


@click.group()
def project() -> None:
    """Change projects."""


@project.command("set-status")
@click.argument("project_id", type=int)
@click.argument("status", type=click.Choice([s.value for s in Status]))
@customer_option
@db_or_server_options
def project_set_status(project_id: int, status: str, customer: str, db: str,
                       server: str | None) -> None:
    """Make project PROJECT_ID active or inactive (inactive ones are not in the default query)."""
    with administration(db, server) as service:
        updated = service.update_project(customer, project_id, status=Status(status))
        click.echo(f"project {updated.project_id} ({updated.name}) is now {updated.status}")


@project.command("list")
@customer_option
@db_or_server_options
def project_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's projects."""
    with administration(db, server) as service:
        for found in service.projects(customer):
            click.echo(f"{found.project_id}\t{found.status}\t{found.name}")


@click.group()
def queue() -> None:
    """Change queues."""


@queue.command("set-status")
@click.argument("queue_id", type=int)
@click.argument("status", type=click.Choice([s.value for s in Status]))
@customer_option
@db_or_server_options
def queue_set_status(queue_id: int, status: str, customer: str, db: str,
                     server: str | None) -> None:
    """Make queue QUEUE_ID active or inactive."""
    with administration(db, server) as service:
        updated = service.update_queue(customer, queue_id, status=Status(status))
        click.echo(f"queue {updated.queue_id} ({updated.name}) is now {updated.status}")


@queue.command("list")
@customer_option
@db_or_server_options
def queue_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's queues."""
    with administration(db, server) as service:
        for found in service.queues(customer):
            click.echo(f"{found.queue_id}\t{found.status}\t{found.name}")


@click.group()
def user() -> None:
    """Change, list and erase users."""


@user.command("set-kind")
@click.argument("user_id", type=int)
@click.argument("kind", type=click.Choice([k.value for k in UserKind]))
@customer_option
@db_or_server_options
def user_set_kind(user_id: int, kind: str, customer: str, db: str, server: str | None) -> None:
    """Make user USER_ID an agent or a system user (hidden by hide_system_users)."""
    with administration(db, server) as service:
        updated = service.update_user(customer, user_id, kind=UserKind(kind))
        click.echo(f"user {updated.user_id} ({updated.name}) is now a {updated.kind} user")


@user.command("list")
@customer_option
@db_or_server_options
def user_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's users."""
    with administration(db, server) as service:
        for found in service.users(customer):
            click.echo(f"{found.user_id}\t{found.kind}\t{found.status}\t{found.name}")


@user.command("erase")
@click.argument("user_id", type=int)
@customer_option
@db_or_server_options
def user_erase(user_id: int, customer: str, db: str, server: str | None) -> None:
    """Erase user USER_ID for good: its events (queue calls it answered included), its sums,
    its name and the names mapped to it. Other users' statistics stay the same.

    The DuckDB file is rewritten at once, so that no free block keeps the erased bytes:
    by this command with --db, by the server with --server (at its next start if reads
    under way kept it waiting; docs/operations.md).
    """
    with administration(db, server) as service:
        erased = service.erase_user(customer, user_id)
    mapped = f" and {erased.mappings} name mapping(s)" if erased.mappings else ""
    click.echo(f"erased user {erased.user_id} ({erased.name}) of {customer}: "
               f"{erased.events} events, their sums, the name{mapped}")
    if server is None and erased.scrub is Scrub.PENDING:
        with open_service(db):  # opening the file rewrites it (`ccstats.store.duckdb_erasure`)
            erased = dataclasses.replace(erased, scrub=Scrub.DONE)
    click.echo(_SCRUBBED[erased.scrub])


#: What the files hold after an erasure (`ccstats.store.erasure.Scrub`).
_SCRUBBED = {
    Scrub.DONE: "no file of the database holds them any more",
    Scrub.PENDING: "the server could not rewrite its database file now (reads under way, or "
                   "no room for a copy: see its log); the file keeps their bytes in free "
                   "blocks until its next start rewrites it (a backup taken meanwhile is "
                   "written without them)",
    Scrub.RUNNING: "ClickHouse is still running the mutations that delete them (see "
                   "system.mutations)",
}


@click.group()
def preset() -> None:
    """Column presets: named lists of KPIs."""


@preset.command("create")
@click.argument("name")
@click.option("--fields", required=True, help="Comma-separated KPI names.")
@customer_option
@db_or_server_options
def preset_create(name: str, fields: str, customer: str, db: str, server: str | None) -> None:
    """Create a preset NAME; prints its id."""
    with administration(db, server) as service:
        created = service.create_preset(customer, name, [f.strip() for f in fields.split(",")])
        click.echo(f"preset {created.preset_id} created")


@preset.command("list")
@customer_option
@db_or_server_options
def preset_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's presets."""
    with administration(db, server) as service:
        for found in service.presets(customer):
            click.echo(f"{found.preset_id}\t{found.name}\t{','.join(found.fields)}")


@click.group()
def mapping() -> None:
    """Asterisk queues → projects and queue members → users (see docs/asterisk.md)."""


@mapping.command("list")
@customer_option
@db_or_server_options
def mapping_list(customer: str, db: str, server: str | None) -> None:
    """List the mappings: kind, name in the log, id, and the project or user name."""
    from ccstats.importers.queue_log import names

    with administration(db, server) as service:
        for found, name in names.listed(service, customer):
            kind = "queue" if found.kind == "project" else "member"
            click.echo(f"{kind}\t{found.name}\t{found.kind} {found.target_id}\t{name}")


@mapping.command("set")
@click.argument("kind", type=click.Choice(["queue", "member"]))
@click.argument("name")
@click.argument("target_id", metavar="ID", type=int)
@customer_option
@db_or_server_options
def mapping_set(kind: str, name: str, target_id: int, customer: str, db: str,
                server: str | None) -> None:
    """Map queue or member NAME (as the log writes it) to project or user ID.

    Events imported before keep their ids: import the log again to move them.
    """
    from ccstats.importers.queue_log import names

    with administration(db, server) as service:
        saved = names.set_mapping(service, customer, kind, name, target_id)
        click.echo(f"{kind} {saved.name} → {saved.kind} {saved.target_id}")


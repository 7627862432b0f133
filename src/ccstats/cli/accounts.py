"""`ccstats customer` and `ccstats key`: customers, who may reach their API and for how
long their data is kept, and their API keys."""

from __future__ import annotations

import click

from ccstats.cli.common import administration, customer_option, db_or_server_options
from ccstats.digits import parse_digits
from ccstats.retention import MAX_KEEP_DAYS
from ccstats.service import UNCHANGED, Unchanged


@click.group()
def customer() -> None:
    """Create and list customers."""


@customer.command("create")
@click.argument("name")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--password", default=None, help="Use this API key instead of a generated one.")
@db_or_server_options
def customer_create(name: str, timezone: str, password: str | None, db: str,
                    server: str | None) -> None:
    """Create customer NAME with one API key holding the read, write and admin scopes."""
    with administration(db, server) as service:
        secret = service.create_customer(name, timezone, password)
        click.echo(f"customer {name} created (time zone {timezone})")
        if password is None:
            click.echo(f"API key (shown once): {secret}")


@customer.command("list")
@db_or_server_options
def customer_list(db: str, server: str | None) -> None:
    """List customers: name, time zone, allowed networks, rate limit and retention."""
    with administration(db, server) as service:
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
@db_or_server_options
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
    with administration(db, server) as service:
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


@click.group()
def key() -> None:
    """Create, list and revoke a customer's API keys."""


@key.command("create")
@customer_option
@click.option("--scopes", default="read", show_default=True,
              help="Comma-separated scopes: read, write, admin.")
@db_or_server_options
def key_create(customer: str, scopes: str, db: str, server: str | None) -> None:
    """Create an API key; its secret is printed once and stored only as a hash."""
    with administration(db, server) as service:
        created, secret = service.create_key(customer, scopes.split(","))
        click.echo(f"key {created.key_id} ({','.join(created.scopes)}) created")
        click.echo(f"API key (shown once): {secret}")


@key.command("list")
@customer_option
@db_or_server_options
def key_list(customer: str, db: str, server: str | None) -> None:
    """List the customer's keys: id and scopes (secrets are never stored)."""
    with administration(db, server) as service:
        for found in service.keys(customer):
            click.echo(f"{found.key_id}\t{','.join(found.scopes)}")


@key.command("revoke")
@click.argument("key_id")
@customer_option
@db_or_server_options
def key_revoke(key_id: str, customer: str, db: str, server: str | None) -> None:
    """Revoke key KEY_ID of the customer at once."""
    with administration(db, server) as service:
        service.revoke_key(customer, key_id)
        click.echo(f"key {key_id} revoked")


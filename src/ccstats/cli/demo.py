"""`ccstats demo`: the demo customer in a database of its own, served with a live shift."""

from __future__ import annotations

import datetime as dt

import click

from ccstats.api.settings import Settings
from ccstats.cli.common import err, given_db, open_service
from ccstats.cli.serving import host_option, port_option, serve_api
from ccstats.service import Service
from ccstats.store import redacted_url

#: The demo's own database: it holds a published all-scope key, so never real data.
DEMO_DB = "ccstats-demo.duckdb"


@click.command()
@host_option
@port_option
@click.option("--db", default=DEMO_DB, show_default=True, callback=given_db,
              help="The demo's own database (CCSTATS_DB is not read); one that holds other "
                   "customers is refused.")
@click.option("--live/--no-live", default=True, show_default=True,
              help="Keep a live shift going while serving: the demo's agents and callers post "
                   "their events to the server every few seconds.")
def demo(host: str, port: int, db: str, live: bool) -> None:
    """Create the demo customer (once) in its own database and serve it, with a live shift."""
    from ccstats.demo import customer as demo_customer

    with open_service(db) as service:
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
        serve_api(service, Settings(), host, port)
        return
    from ccstats.demo import customer as demo_customer
    from ccstats.demo.live.leftovers import drop_leftovers
    from ccstats.demo.live.shift import PERIOD, LiveShift

    try:
        drop_leftovers(service, demo_customer.NAME)
    except Exception as error:  # leftovers mislead only the real-time views: go on
        err.print(f"warning: open events of an earlier live shift stay: {error}", markup=False)
    shift = LiveShift(_local_url(host, port))
    click.echo(f"A live shift is going on: {len(shift.roster.agents)} agents and their callers "
               f"in {len(shift.roster.queues)} queues post events every {PERIOD:g} s "
               "(Ctrl-C stops the server and the shift).\n")
    shift.start()
    try:
        serve_api(service, Settings(), host, port)
    finally:
        shift.stop(lambda body: service.ingest(demo_customer.NAME, body))


def _local_url(host: str, port: int) -> str:
    """The address at which this machine reaches a server listening on `host`."""
    wildcard = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
    address = wildcard.get(host, host)
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"

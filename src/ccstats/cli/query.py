"""`ccstats query`: the statistics answers of the HTTP API, on standard output."""

from __future__ import annotations

import sys

import click

from ccstats import render
from ccstats.cli.common import customer_option, db_option, open_service
from ccstats.errors import InvalidRequest
from ccstats.query import Endpoint


@click.command()
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
    with open_service(db) as service:
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


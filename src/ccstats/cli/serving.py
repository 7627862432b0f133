"""`ccstats serve`, the HTTP API, and `ccstats operator-key`, the key of its operator
routes."""

from __future__ import annotations

import logging
from pathlib import Path

import click

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
from ccstats.cli.common import db_option, open_service
from ccstats.operator_key import OperatorKey, new_secret
from ccstats.options import DEFAULT_MAX_DAYS
from ccstats.service import Service, parse_networks

#: Seconds between the server's prunes (`serve --prune-every`).
DEFAULT_PRUNE_EVERY = 3600.0


def serve_api(service: Service, settings: Settings, host: str, port: int,
              trusted_proxies: tuple[str, ...] = (), prune_every: float = 0) -> None:
    """Serve `service`'s HTTP API on `host`:`port` (`serve`, `demo`), pruning every
    `prune_every` seconds (0: never)."""
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


@click.command()
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
    with open_service(db, max_days) as service:
        serve_api(service, settings, host, port, trusted_proxies, prune_every)


def _operator_key(path: Path | None) -> OperatorKey | None:
    if path is None:
        return None
    try:
        return OperatorKey.from_file(path)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint="--operator-key-file") from None


@click.group("operator-key")
def operator_key() -> None:
    """The operator key of `serve --operator-key-file` and the commands' --server."""


@operator_key.command("new")
def operator_key_new() -> None:
    """Print a new random operator key (e.g. `ccstats operator-key new > FILE`)."""
    click.echo(new_secret())

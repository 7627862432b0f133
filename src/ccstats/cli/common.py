"""What the commands share: the database options, opening the service (or a server's
operator routes), failures as one line and an exit status, the stderr console."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from click.core import ParameterSource
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TimeRemainingColumn

from ccstats.administration import Administration
from ccstats.errors import InvalidRequest, NotFound, StoreUnavailable
from ccstats.operator_key import ENV as OPERATOR_KEY_ENV
from ccstats.options import DEFAULT_MAX_DAYS
from ccstats.service import Service

DEFAULT_DB = "ccstats.duckdb"
Command = TypeVar("Command", bound=Callable[..., Any])
#: Problems, warnings and progress: stdout holds only the commands' answers.
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def open_service(db: str, max_days: int = DEFAULT_MAX_DAYS) -> Iterator[Service]:
    try:
        service = Service.open(db, max_days)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--db") from None
    except StoreUnavailable as error:
        err.print(f"error: {error.detail}", markup=False)
        sys.exit(1)
    try:
        with failures():
            yield service
    finally:
        service.close()


@contextmanager
def failures() -> Iterator[None]:
    """A refusal of the service (or of a server, `administration`) as one line and an
    exit status."""
    try:
        yield
    except NotFound as error:
        err.print(f"error: {error}")
        sys.exit(2)
    except InvalidRequest as error:
        for problem in error.errors:
            err.print(f"error: {problem}")
        sys.exit(2)
    except StoreUnavailable as error:
        err.print(f"error: {error.detail}; nothing was changed", markup=False)
        sys.exit(1)


@contextmanager
def administration(db: str, server: str | None) -> Iterator[Administration]:
    """The database `db`, or with `server` the operator routes of that running server
    (`ccstats.operator_client`), the key taken from env CCSTATS_OPERATOR_KEY."""
    if server is None:
        with open_service(db) as service:
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
        with failures(), OperatorClient(server, key) as client:
            yield client
    except OperatorRefused as error:
        err.print(f"error: {error}", markup=False)
        sys.exit(1)


def given_db(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A command's database: its own --db, else the --db given before the command, else
    what the option falls back to."""
    if ctx.get_parameter_source(str(param.name)) is ParameterSource.COMMANDLINE:
        return value
    before: str | None = ctx.find_root().params.get("db_before")
    return before or value


DB_HELP = ("Database: a file path or duckdb:///path (embedded DuckDB), or "
           "clickhouse://host:port/database[?cluster=name].")
db_option = click.option("--db", envvar="CCSTATS_DB", default=DEFAULT_DB, show_default=True,
                         callback=given_db, help=DB_HELP)
customer_option = click.option("--customer", required=True, help="Customer name.")
server_option = click.option(
    "--server", default=None, metavar="URL",
    help="Instead of --db: the running server at URL (started with --operator-key-file); "
         f"the operator key is read from env {OPERATOR_KEY_ENV}.")


def db_or_server_options(command: Command) -> Command:
    """--db, and --server in its place: where an administering command acts (see
    `administration`)."""
    return db_option(server_option(command))


def progress_bar(counter: ProgressColumn) -> Progress:
    """A progress bar on stderr, showing `counter`; none when stderr is no terminal."""
    return Progress("[progress.description]{task.description}", BarColumn(), counter,
                    TimeRemainingColumn(), console=err, transient=True,
                    disable=not err.is_terminal)

"""`ccstats import`: NDJSON events or an Asterisk queue_log, into the database or through a
server, and the report of what was stored."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import DownloadColumn

from ccstats.cli.common import (
    administration,
    customer_option,
    db_or_server_options,
    err,
    open_service,
    progress_bar,
)
from ccstats.service import ImportReport

if TYPE_CHECKING:
    from ccstats.importers.queue_log.summary import QueueLogSummary


@click.command("import")
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
@db_or_server_options
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
    with administration(db, server) as service:
        with progress_bar(DownloadColumn()) as bar:
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

        with administration(db, server) as client, progress_bar(DownloadColumn()) as bar:
            assert isinstance(client, OperatorClient)
            task = bar.add_task("sending", total=sum(path.stat().st_size for path in files))
            _print_queue_log_report(client.import_logs(
                customer, files, lambda size: bar.advance(task, size)))
        return
    with open_service(db) as service:
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
        err.print(f"{source}: line {line}: not a queue_log line, skipped", markup=False)
    if report.malformed_count > len(report.malformed):
        err.print(f"... {report.malformed_count} lines skipped in all", markup=False)
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
        err.print(f"{source}: {problem}" if source else str(problem), markup=False)
    if report.rejected > len({(source, problem.line) for source, problem in report.problems}):
        err.print(f"... and more: {report.rejected} invalid lines in all")
    if report.rejected and not skip_invalid:
        err.print(f"nothing stored: {report.rejected} of {report.lines} lines are invalid "
                   "(fix them, or use --skip-invalid to store the valid ones)")
        return
    message = f"stored {report.stored} events from {report.lines} lines"
    if report.rejected:
        message += f"; rejected {report.rejected} invalid lines"
        if rejects:
            message += f" (written to {rejects})"
    click.echo(message)


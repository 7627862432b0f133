"""The `ccstats` command line (api.md, "Command line"): the `main` group here, the
commands in the modules beside it.

Every command takes ``--db URL``, after its name or before it (``ccstats --db URL
import ...``); given in both places, the command's own wins. Without it: env
``CCSTATS_DB``, else ``ccstats.duckdb`` (the demo: ``ccstats-demo.duckdb`` only).
Failures print one line to stderr that says what to do, and exit with status 2
(bad input) or 1 (anything else).
"""

from __future__ import annotations

import signal

import click

from ccstats.cli import accounts, demo, entities, imports, maintenance, query, serving
from ccstats.cli.common import DB_HELP, DEFAULT_DB


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_before", default=None, metavar="URL",
              help=f"{DB_HELP} For the command that follows; its own --db wins. "
                   f"Default: env CCSTATS_DB, else {DEFAULT_DB}.")
def main(db_before: str | None) -> None:
    """ccstats: contact-centre statistics, VCC Live compatible."""
    # SIGTERM (a process manager's stop) ends every command the way Ctrl-C does, so the
    # store is closed and checkpointed on the way out; `serve` shuts down gracefully.
    signal.signal(signal.SIGTERM, signal.default_int_handler)


#: `ccstats --help` lists them by name, whatever their order here.
for _command in (
    accounts.customer, accounts.key,
    imports.import_, query.query,
    maintenance.rebuild, maintenance.prune, maintenance.compact, maintenance.backup,
    maintenance.restore, maintenance.migrate, maintenance.copy_, maintenance.export_,
    entities.project, entities.queue, entities.user, entities.preset, entities.mapping,
    serving.serve, serving.operator_key, demo.demo,
):
    main.add_command(_command)

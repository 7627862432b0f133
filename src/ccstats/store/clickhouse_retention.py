"""Pruning on ClickHouse (`ccstats.retention`): one batch that takes back what goes.

The sums and queue-call rows are logs of deltas, read as the sum of the rows of the
visible batches (`ccstats.store.clickhouse_batches`). Pruning writes one batch that
holds, for every key before the cutoff whose visible rows do not add up to nothing,
their sum negated, and the removed events flagged deleted. Its one commit marker
makes all of it visible at once, so that a reader sees the customer's data as it
was before the prune or after it, never in between, on a server as on a cluster.

A mutation deleting the old rows would not do that: ClickHouse applies it part by
part, in the background, so that a reader would see some of the rows gone and
others not (on a cluster, shard by shard). The rows this leaves are dropped by
`compact`: the pruned keys add up to nothing, so the merged batch holds none of
them, and the folded batches' rows are deleted.
"""

from __future__ import annotations

from clickhouse_driver import Client

from ccstats.retention import PRUNED_TABLES, Cutoff
from ccstats.store.clickhouse_batches import Batch
from ccstats.store.clickhouse_live import append_live
from ccstats.store.clickhouse_writes import append_events, current_versions, fold_deltas_sql


def prune_before(client: Client, customer_id: int, cutoff: Cutoff) -> int:
    """Remove the customer's events and rows before `cutoff` in one batch (nothing is
    committed when there is nothing to remove); the number of events removed."""
    c = int(customer_id)
    batch = Batch(client, c)
    removed = current_versions(client, c, condition=cutoff.events().condition())
    negated = 0
    for table in PRUNED_TABLES:
        client.execute(fold_deltas_sql(table, c, batch.batch, cutoff.before(table), sign=-1))
        negated += int(client.execute(
            f"SELECT count() FROM {table} WHERE customer_id = {c} AND {cutoff.before(table)} "
            f"AND batch = {batch.batch}")[0][0])
    if removed.num_rows:
        seq = batch.next_block()
        append_events(client, c, batch.batch, seq, removed, deleted=1)
        append_live(client, c, batch.batch, seq, removed.slice(0, 0), removed)
    if removed.num_rows or negated:
        batch.commit()
    return int(removed.num_rows)

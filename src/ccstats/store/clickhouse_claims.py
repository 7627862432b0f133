"""Names claimed once for good, by exactly one process: customer names on ClickHouse.

ClickHouse (18.16 as current releases) has no transaction and no compare-and-set
on rows: two processes that look for a row and then insert it can both succeed.
Creating a table is atomic, though: of concurrent ``CREATE TABLE`` statements of
one name (without ``IF NOT EXISTS``) exactly one succeeds and the others fail with
TABLE_ALREADY_EXISTS, whether they come from threads or processes. A claim is such
a table, ``claim_<name>`` in the ccstats database, without rows (engine ``Null``).
On a cluster every claim is made on its first server (shard 1, first replica, as
``system.clusters`` lists them), so that every process contends on the same server.

A claim is never released. A process that dies between its claim and the row the
claim protects leaves the name claimed without that row; dropping the table frees
the name again.
"""

from __future__ import annotations

from clickhouse_driver.errors import ErrorCodes, NetworkError, ServerException, SocketTimeoutError

from ccstats.errors import StoreUnavailable
from ccstats.store.clickhouse_target import Target, cluster_hosts


def claim_table(target: Target, name: str) -> str:
    """The table whose existence claims `name` (letters, digits and _)."""
    return f"{target.database}.claim_{name}"


def claim(target: Target, name: str) -> bool:
    """Claim `name` for good; False if it was claimed before (now or earlier)."""
    host, port = cluster_hosts(target)[0]
    client = target.client(host, port)
    try:
        client.execute(f"CREATE TABLE {claim_table(target, name)} (claimed UInt8) ENGINE = Null")
    except ServerException as error:
        if error.code == ErrorCodes.TABLE_ALREADY_EXISTS:
            return False
        raise
    except (NetworkError, SocketTimeoutError, OSError) as error:
        raise StoreUnavailable("cannot reach the first ClickHouse server of the cluster, "
                               "where names are claimed") from error
    finally:
        client.disconnect()
    return True

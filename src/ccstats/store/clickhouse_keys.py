"""API keys on ClickHouse: their order, and revocations that always leave an admin key.

``api_keys`` is a ReplacingMergeTree of key rows with a ``version``: a key's
latest row says what it is (``revoked`` or not), and a merge keeps only that row.

- **Order.** A key is added with the current tick as its version; each later
  row of the key (a revocation, a key written back) takes the key's latest
  version plus one. So the latest row decides whatever the clocks of the
  writing machines say, and the version of a key's earliest row, or of its only
  row after a merge, stays within a few ticks of the moment it was added, while
  two keys are added at least one INSERT (microseconds, thousands of ticks)
  apart: keys are listed in the order they were added.
- **Revocation across processes.** ClickHouse cannot check and write in one
  step, so a revocation writes first and checks afterwards: it writes the key
  revoked, reads the keys again, and if no admin key is left (other processes
  revoked the others meanwhile) it writes the key back and refuses. Of two
  processes that revoke the last two admin keys, at least one reads after both
  wrote, finds no admin key and writes its key back: at most one succeeds
  (both may be refused, and a key written back was revoked for that moment). A
  revocation that finds its key written back by another process is refused as
  well. Only a process that dies between writing and checking can leave no
  admin key.
"""

from __future__ import annotations

from dataclasses import dataclass

from clickhouse_driver import Client

from ccstats.model import ApiKey, Scope
from ccstats.store.base import Revocation, has_admin, refusal
from ccstats.store.clickhouse_batches import tick


@dataclass(frozen=True, slots=True)
class KeyState:
    """A key as its latest row says, and that row's version."""

    key: ApiKey
    revoked: bool
    version: int


def states(client: Client, customer_id: int) -> list[KeyState]:
    """Every key the customer ever had (revoked ones too), in the order they were added."""
    rows = client.execute(
        "SELECT key_id, argMax(salt, version), argMax(digest, version), "
        "argMax(scopes, version), argMax(revoked, version), max(version) FROM api_keys "
        "WHERE customer_id = %(c)s GROUP BY key_id ORDER BY min(version), key_id",
        {"c": customer_id})
    return [KeyState(ApiKey(r[0], bytes.fromhex(r[1]), bytes.fromhex(r[2]),
                            tuple(Scope(s) for s in r[3])), bool(r[4]), int(r[5]))
            for r in rows]


def current(client: Client, customer_id: int) -> list[ApiKey]:
    """The customer's keys (not revoked), in the order they were added."""
    return [state.key for state in states(client, customer_id) if not state.revoked]


def add(client: Client, customer_id: int, key: ApiKey) -> None:
    _write(client, customer_id, key, revoked=False, version=tick())


def _write(client: Client, customer_id: int, key: ApiKey, revoked: bool,
           version: int) -> None:
    client.execute(
        "INSERT INTO api_keys (customer_id, key_id, salt, digest, scopes, revoked, version) "
        "VALUES", [(customer_id, key.key_id, key.salt.hex(), key.digest.hex(),
                    [str(s) for s in key.scopes], int(revoked), version)])


def _change(client: Client, customer_id: int, state: KeyState, revoked: bool) -> None:
    """Write `state`'s key revoked or not, as the key's next version."""
    _write(client, customer_id, state.key, revoked, state.version + 1)


def revoke(client: Client, customer_id: int, key_id: str) -> Revocation:
    """Revoke key `key_id`, unless no other admin key would be left (see the module)."""
    before = {s.key.key_id: s for s in states(client, customer_id)}
    refused = refusal([s.key for s in before.values() if not s.revoked], key_id)
    if refused is not None:
        return refused
    _change(client, customer_id, before[key_id], revoked=True)
    after = {s.key.key_id: s for s in states(client, customer_id)}
    if not after[key_id].revoked:  # written back by a revocation that found no admin
        return Revocation.LAST_ADMIN
    if has_admin([after[key_id].key]) and not has_admin(
            [s.key for s in after.values() if not s.revoked]):
        _change(client, customer_id, after[key_id], revoked=False)
        return Revocation.LAST_ADMIN
    return Revocation.REVOKED


def revoke_all(client: Client, customer_id: int) -> None:
    """Revoke every key of the customer (keys left by a creation that was interrupted)."""
    for state in states(client, customer_id):
        if not state.revoked:
            _change(client, customer_id, state, revoked=True)

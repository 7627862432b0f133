"""Copying a customer from one store to another (e.g. from a DuckDB file to ClickHouse).

Everything the customer owns is copied: its time zone, API keys (their hashes, in
their order), projects, users, presets (with the same ids) and the current
version of every event, which the destination stores as one atomic batch and
sums itself. The destination must not have the customer yet. A DuckDB source is
opened by this process alone (its file lock keeps a server from writing
meanwhile), so no event arrives during the copy; the copy checks that both
stores count the same events.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from ccstats.errors import InvalidRequest, bad_arguments
from ccstats.store.base import Store


def copy_customer(source: Store, destination: Store, name: str,
                  progress: Callable[[int], None] | None = None) -> int:
    """Copy customer `name`; returns the number of events copied."""
    found = source.customer(name)
    if found is None:
        raise InvalidRequest([bad_arguments("customer", f"unknown customer {name!r} in the "
                                                        "source database")])
    keys = source.keys(found.customer_id)
    if not keys:
        raise InvalidRequest([bad_arguments("customer", f"customer {name!r} has no API key in "
                                                        "the source database; create one first")])
    first, *others = keys
    created = destination.create_customer(name, found.timezone, first)
    if created is None:
        raise InvalidRequest([bad_arguments("customer", f"customer {name!r} already exists in "
                                                        "the destination database")])
    target = created.customer_id
    for key in others:  # in their order: the first key stays first
        destination.add_key(target, key)
    for project in source.projects(found.customer_id):
        destination.save_project(target, project)
    for user in source.users(found.customer_id):
        destination.save_user(target, user)
    _copy_presets(source, destination, found.customer_id, target)
    copied = 0
    with destination.writer(target) as writer:
        for block in source.events(found.customer_id):
            numbered = block.append_column(
                "line_no", pa.array(range(copied, copied + block.num_rows), pa.int64()))
            writer.add(numbered)
            copied += block.num_rows
            if progress:
                progress(block.num_rows)
    stored = destination.event_count(target)
    if stored != copied or stored != source.event_count(found.customer_id):
        raise RuntimeError(f"copied {copied} events but the destination counts {stored}")
    return copied


def _copy_presets(source: Store, destination: Store, source_id: int, target_id: int) -> None:
    """Presets keep their ids: a gap left by a deleted preset is created and deleted again."""
    wanted = {preset.preset_id: preset for preset in source.presets(source_id)}
    for preset_id in range(1, max(wanted, default=0) + 1):
        preset = wanted.get(preset_id)
        made = destination.create_preset(target_id, preset.name if preset else "deleted",
                                         preset.fields if preset else ("callOut",))
        if made.preset_id != preset_id:
            raise RuntimeError(f"preset {preset_id} got id {made.preset_id} in the destination")
        if preset is None:
            destination.delete_preset(target_id, preset_id)

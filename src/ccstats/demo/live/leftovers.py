"""Open intervals that an earlier live shift left behind.

A live shift closes what it opened when it stops; only a run that was killed
(``kill -9``, a power cut) leaves intervals open, and those would show forever
(agents in two states, callers waiting for hours) until they are stale. Before a
new shift starts, ``ccstats demo`` deletes them: when they ended is unknown, and
an open interval never counted in any statistic. Only the live shift's own events
(ids ``live…``) are touched.
"""

from __future__ import annotations

import time

import pyarrow.compute as pc

from ccstats.demo.live.records import ID_PREFIX
from ccstats.events import STALE_AFTER_SECONDS
from ccstats.service import Service


def drop_leftovers(service: Service, customer_name: str, now: float | None = None) -> int:
    """Delete the customer's open live-shift intervals that are not stale yet; returns how
    many there were."""
    since = int(time.time() if now is None else now) - STALE_AFTER_SECONDS
    customer = service.customer(customer_name)
    live = service._store.live_events(customer.customer_id, since)
    still_open = live.filter(pc.and_(pc.is_null(live["t_end"]),
                                     pc.starts_with(live["event_id"], ID_PREFIX)))
    for event_id in still_open["event_id"].to_pylist():
        service.delete_event(customer_name, event_id)
    return int(still_open.num_rows)

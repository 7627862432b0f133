"""The system users' automated dispositions and e-mails, around the clock."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ccstats.demo import codes
from ccstats.demo.arrays import pick
from ccstats.demo.clock import Clock
from ccstats.demo.rows import RowBuilder

#: (type, mean count per system user and day, weights by sub-type code).
AUTOMATED: tuple[tuple[int, float, tuple[float, ...]], ...] = (
    (codes.DISPOSITION, 15.0,
     codes.subtype_weights("disposition", {"failed": 0.4, "reachFailed": 0.6})),
    (codes.EMAIL, 8.0, codes.subtype_weights("email", {"sent": 0.7, "received": 0.3})),
)


def add_system_users(rows: RowBuilder, rng: np.random.Generator, date: dt.date, clock: Clock,
                     agents: int, system_users: int, projects: int) -> None:
    """The events of user ids ``agents + 1 .. agents + system_users`` on the local `date`,
    on the mixed projects (all but the last) if there are any."""
    day_start = clock.midnight(date)
    day_len = clock.midnight(date + dt.timedelta(days=1)) - day_start
    ids = np.arange(agents + 1, agents + system_users + 1, dtype=np.int64)
    top = max(projects - 1, 1)
    for group, mean, weights in AUTOMATED:
        user = np.repeat(ids, rng.poisson(mean, system_users))
        t = day_start + rng.integers(0, day_len, len(user))
        rows.add(group, pick(rng, weights, len(user)), user,
                 rng.integers(1, top + 1, len(user)), t)

"""The agents' e-mails, tickets and chats, at random moments of their shifts."""

from __future__ import annotations

import numpy as np

from ccstats.demo import codes
from ccstats.demo.arrays import I64, pick, rounded
from ccstats.demo.rows import RowBuilder
from ccstats.demo.schedule import Shift

#: (type, mean count per agent-day, weights by sub-type code).
EXTRAS: tuple[tuple[int, float, tuple[float, ...]], ...] = (
    (codes.EMAIL, 2.5, codes.subtype_weights("email", {"sent": 0.6, "received": 0.4})),
    (codes.TICKET, 1.5, codes.subtype_weights("ticket", {"created": 0.55, "closed": 0.45})),
    (codes.CHAT, 1.0, codes.subtype_weights("chat", {})),
)


def add_extras(rows: RowBuilder, rng: np.random.Generator, shift: Shift,
               shift_end: I64) -> None:
    """E-mails, tickets and chats during the shifts (which end at `shift_end`)."""
    n = len(shift.user)
    for group, mean, weights in EXTRAS:
        who = np.repeat(np.arange(n), rng.poisson(mean, n))
        span = (shift_end - shift.start)[who]
        t = shift.start[who] + np.floor(rng.random(len(who)) * span).astype(np.int64)
        sub = pick(rng, weights, len(who))
        end = t + _chat_length(rng, len(who)) if group == codes.CHAT else None
        rows.add(group, sub, shift.user[who], shift.primary[who], t, t_end=end)


def _chat_length(rng: np.random.Generator, size: int) -> I64:
    """Seconds: at least 30, typically 3.5 minutes."""
    return rounded(30 + np.exp(rng.normal(np.log(180.0), 0.5, size)))

"""All events of one local date, drawn part by part from one generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ccstats.demo.agents import Agents
from ccstats.demo.clock import Clock
from ccstats.demo.cycles import draw_cycles
from ccstats.demo.extras import add_extras
from ccstats.demo.queue_calls import QueueCalls, draw_queue_calls
from ccstats.demo.rows import RowBuilder, Rows
from ccstats.demo.schedule import draw_shifts
from ccstats.demo.system_users import add_system_users
from ccstats.demo.workday import add_breaks, add_cycles


@dataclass(frozen=True)
class Staff:
    """What every day is drawn from."""

    agents: Agents
    projects: int
    system_users: int
    clock: Clock


def day_rows(rng: np.random.Generator, date: dt.date, staff: Staff,
             queue_rng: np.random.Generator | None = None) -> tuple[Rows, QueueCalls | None]:
    """All events of one local ``date``: agents' shifts, then system users' events; and
    with a ``queue_rng``, the queue calls that the agents' inbound legs belong to.

    The parts draw from `rng` in this order, and are added in this order: both fix
    the generated data. The queue calls draw from `queue_rng` only, so the other
    events are the same with them or without.
    """
    rows = RowBuilder()
    shift = draw_shifts(rng, date, staff.agents, staff.clock)
    cycles = draw_cycles(rng, shift, staff.projects)
    add_breaks(rows, shift, cycles)
    shift_end = add_cycles(rows, rng, shift, cycles)
    add_extras(rows, rng, shift, shift_end)
    if staff.system_users > 0:
        add_system_users(rows, rng, date, staff.clock, len(staff.agents), staff.system_users,
                         staff.projects)
    if queue_rng is None:
        return rows.build(), None
    calls = draw_queue_calls(queue_rng, date, staff.clock, shift, cycles, staff.projects)
    return rows.build(), calls

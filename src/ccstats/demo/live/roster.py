"""Who works in the live shift, and which queues their callers wait in.

The shift staffs the demo's inbound-only project and one of its mixed projects
("Customer Care"), with the demo's agents of those projects (user ids and
projects as `ccstats.demo.customer` generated them, so the names match). The
agents of a mixed project make outbound calls when no caller waits. Each queue
of those projects (`ccstats.demo.queues`) gets callers at a mean rate that grows
with the agents who serve it, so that a smaller shift is about as busy.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccstats.demo import customer
from ccstats.demo.queues import kind_of, queue_ids

#: Customer Care, a mixed project, and the inbound-only project.
LIVE_PROJECTS = (3, customer.PROJECTS)
DEFAULT_AGENTS = 12
#: Callers per hour per agent of the project, over all its queues.
CALLERS_PER_AGENT_HOUR = {"inbound": 11.5, "mixed": 5.0}


@dataclass(frozen=True, slots=True)
class LiveAgent:
    user_id: int
    project_id: int
    outbound: bool
    """Makes outbound calls when no caller waits (an agent of a mixed project)."""

    @property
    def idle_state(self) -> str:
        """The user state while waiting for work."""
        return "available" if self.outbound else "waitingForCall"


@dataclass(frozen=True, slots=True)
class LiveQueue:
    queue_id: int
    project_id: int
    per_hour: float
    """Mean callers per hour."""


@dataclass(frozen=True, slots=True)
class Roster:
    agents: tuple[LiveAgent, ...]
    queues: tuple[LiveQueue, ...]


def demo_roster(agents: int = DEFAULT_AGENTS) -> Roster:
    """The first `agents` demo agents (by user id) of the live projects, and their queues."""
    staff = tuple(
        LiveAgent(user, project, project != customer.PROJECTS)
        for user in range(1, customer.AGENTS + 1)
        if (project := (user - 1) % customer.PROJECTS + 1) in LIVE_PROJECTS
    )[:agents]
    if not staff:
        raise ValueError("the live shift needs at least one agent")
    return Roster(staff, tuple(q for p in LIVE_PROJECTS for q in _queues(p, staff)))


def _queues(project: int, staff: tuple[LiveAgent, ...]) -> list[LiveQueue]:
    """The queues of `project`, each with its share of the project's callers."""
    working = sum(agent.project_id == project for agent in staff)
    if not working:
        return []
    rate = CALLERS_PER_AGENT_HOUR["inbound" if project == customer.PROJECTS else "mixed"]
    shares = kind_of(project, customer.PROJECTS).shares
    return [LiveQueue(queue_id, project, rate * working * share)
            for (queue_id, _), share in zip(queue_ids(project, customer.PROJECTS), shares,
                                            strict=True)]

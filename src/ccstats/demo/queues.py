"""The inbound queues of each project, and which queue a queue call waited in.

A project's queues have ids derived from the project's id, ``10 * projectId + k``
(``k`` from 1), so that they stay the same whatever else changes: the inbound-only
project (the last) has three queues, the mixed projects two. Each queue has a share
of its project's calls and a factor on its waits (a specialised queue has fewer
agents for it, so its callers wait longer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ccstats.demo.arrays import F64, I64, pick


@dataclass(frozen=True)
class QueueKind:
    """The queues of one kind of project, by ``k - 1``."""

    labels: tuple[str, ...]
    shares: tuple[float, ...]
    wait_factors: tuple[float, ...]


INBOUND_ONLY = QueueKind(("General", "Billing", "Technical"), (0.55, 0.30, 0.15),
                         (1.0, 0.8, 1.4))
MIXED = QueueKind(("Callbacks", "Enquiries"), (0.65, 0.35), (0.9, 1.2))


def kind_of(project: int, projects: int) -> QueueKind:
    return INBOUND_ONLY if project == projects else MIXED


def queue_ids(project: int, projects: int) -> list[tuple[int, str]]:
    """``(queueId, label)`` of the queues of ``project`` (one of ``1..projects``)."""
    labels = kind_of(project, projects).labels
    return [(10 * project + k, label) for k, label in enumerate(labels, start=1)]


def draw_queues(rng: np.random.Generator, project: I64, projects: int) -> tuple[I64, F64]:
    """The queue of each call of ``project`` (drawn by the queues' shares), and the factor
    on its waits."""
    inbound = project == projects
    index = np.where(inbound, pick(rng, INBOUND_ONLY.shares, len(project)),
                     pick(rng, MIXED.shares, len(project)))
    factor = np.where(inbound, np.asarray(INBOUND_ONLY.wait_factors)[index],
                      np.asarray(MIXED.wait_factors)[np.minimum(index, len(MIXED.shares) - 1)])
    queue: I64 = 10 * project + index + 1
    return queue, factor.astype(np.float64)

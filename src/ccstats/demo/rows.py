"""One day's events as columns, collected part by part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ccstats.demo.arrays import I64, Mask


@dataclass
class Rows:
    """Events as columns, like `ccstats.events.NORMALIZED_SCHEMA` but with codes
    (`ccstats.demo.codes`) for the type and sub-type, and -1 for no answer."""

    group: I64
    """The event type."""
    sub: I64
    """The sub-type (0 for chat)."""
    user: I64
    project: I64
    t_start: I64
    """The start, or the time of a point event."""
    t_answer: I64
    t_end: I64
    """The end, or the time of a point event."""


class RowBuilder:
    """Collects the events of the parts of a day, in the order they are added."""

    def __init__(self) -> None:
        self._parts: list[tuple[I64, ...]] = []

    def add(self, group: int, sub: I64 | int, user: I64, project: I64, t_start: I64, *,
            t_end: I64 | None = None, t_answer: I64 | None = None) -> None:
        """Events of type `group`; a point event when `t_end` is None."""
        n = len(user)
        self._parts.append((
            np.full(n, group, np.int64),
            np.broadcast_to(np.asarray(sub, np.int64), (n,)),
            user,
            project,
            t_start,
            np.full(n, -1, np.int64) if t_answer is None else t_answer,
            t_start if t_end is None else t_end,
        ))

    def add_where(self, mask: Mask, group: int, sub: I64 | int, user: I64, project: I64,
                  t_start: I64, *, t_end: I64 | None = None,
                  t_answer: I64 | None = None) -> None:
        """`add` of the cells of (agent-day, cycle) matrices where `mask` holds."""
        self.add(group, sub if isinstance(sub, int) else _at(mask, sub), _at(mask, user),
                 _at(mask, project), _at(mask, t_start),
                 t_end=None if t_end is None else _at(mask, t_end),
                 t_answer=None if t_answer is None else _at(mask, t_answer))

    def build(self) -> Rows:
        cols = [np.concatenate([p[i] for p in self._parts]).astype(np.int64) for i in range(7)]
        return Rows(*cols)


def _at(mask: Mask, values: I64) -> I64:
    picked: I64 = values[mask]
    return picked

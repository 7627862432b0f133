"""Which stored events of a customer a bulk withdrawal takes (`Store.withdraw_events`).

Retention withdraws the events that ended before a moment, erasure those of one user.
The condition reads the stored columns (``user_id``, ``t_start``, ``t_end``) and holds
only integer literals, so that both stores' dialects take it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventSelection:
    """The events that match every given member (at least one must be given).

    - `user_id`: the events of this user.
    - `ended_before`: (epoch seconds) the events that ended before it, and the open
      ones that started before it (an open interval has no end yet: one that old
      counts in no statistic, see realtime.md).
    """

    user_id: int | None = None
    ended_before: int | None = None

    def __post_init__(self) -> None:
        if self.user_id is None and self.ended_before is None:
            raise ValueError("an EventSelection needs user_id and/or ended_before")

    def condition(self) -> str:
        """The SQL condition on a row of stored events."""
        found: list[str] = []
        if self.user_id is not None:
            found.append(f"user_id = {int(self.user_id)}")
        if self.ended_before is not None:
            moment = int(self.ended_before)
            found.append(f"(t_end < {moment} OR (t_end IS NULL AND t_start < {moment}))")
        return " AND ".join(found)

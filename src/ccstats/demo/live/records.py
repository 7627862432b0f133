"""The live shift's events as the API takes them (events-and-kpis.md §1, realtime.md §1).

An `Interval` is a user state, call or queue call from its start on; it is rendered
still going on (``"end": null``) while it lasts, and once more with its ``end``
under the same id, which replaces the open version. Timestamps are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccstats.events import ANSWERED_TYPES

Event = dict[str, object]
#: Every live-shift event id starts with this, then the shift's start: ``live1796810400-…``.
ID_PREFIX = "live"


@dataclass(slots=True)
class Interval:
    event_id: str
    type: str
    """``userstate``, ``call`` or ``queuecall``."""
    start: int
    project_id: int
    user_id: int | None
    """None: a queue call nobody answered (yet)."""
    member: tuple[str, object]
    """The type's own member: ``("state", "break")``, ``("direction", "in")``,
    ``("queueId", 61)``."""
    answer: int | None = None

    def render(self, end: int | None) -> Event:
        """The event as it stands: ended at `end`, or still going on if None."""
        event: Event = {"id": self.event_id, "type": self.type, "projectId": self.project_id,
                        "userId": self.user_id, self.member[0]: self.member[1],
                        "start": self.start}
        if self.type in ANSWERED_TYPES:
            event["answer"] = self.answer
        event["end"] = end
        return event


def disposition(event_id: str, project_id: int, user_id: int, status: str, time: int) -> Event:
    return {"id": event_id, "type": "disposition", "projectId": project_id,
            "userId": user_id, "status": status, "time": time}

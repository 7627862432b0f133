"""The live shift's simulation: agents, callers and what happens between them.

Everything that is to happen is an action on a timeline (whole epoch seconds); the
actions are played in time order, then in the order they were planned, and every
random draw is made as they are played. So the shift depends only on the seed and
its start: playing it up to some time in one step or in many gives the same events.

* An agent is always in exactly one user state, opened when the previous one ends
  (at the same second). Waiting for work (``waitingForCall``, or ``available`` on a
  mixed project), an agent takes the caller who has waited longest in the queues of
  its project; among several agents, the one idle longest takes it. After each
  call comes ``afterwork``, now and then followed by a ``break`` or a few minutes
  ``unavailable``.
* A caller's queue call opens when the caller arrives. When an agent is free, the
  agent's phone rings (``ringing``, and the ``call`` event starts, as in the demo's
  history); when the agent answers, the queue call gets its ``answer`` and
  ``userId`` and the agent is in ``call``; both end when the talk ends. A caller
  nobody took hangs up after their patience: the queue call ends unanswered.
* An agent of a mixed project who waits for a while without a caller dials out
  (``prework``, then ``call``): the call is answered or not, and gets a disposition.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from ccstats.demo.live.pace import AWAY_SHARE, BREAK_SHARE, OUTBOUND_REACHED, Pace
from ccstats.demo.live.records import ID_PREFIX, Event, Interval, disposition
from ccstats.demo.live.roster import LiveAgent, LiveQueue, Roster

Action = Callable[[int], None]
#: Dispositions of outbound calls, answered or not: (status, weight).
REACHED_STATUS = (("success", 0.35), ("recall", 0.35), ("failed", 0.3))
UNREACHED_STATUS = (("reachFailed", 0.8), ("recall", 0.2))
#: At the start, callers per agent of a project already on their way (within 15 s).
OPENING_CALLERS = 0.5


@dataclass(slots=True, eq=False)
class Caller:
    record: Interval
    """The queue call."""
    queue: LiveQueue
    agent: Agent | None = None
    """Whose phone rings, or who talks with the caller."""


@dataclass(slots=True, eq=False)
class Agent:
    who: LiveAgent
    state: Interval | None = None
    """The user state the agent is in."""
    call: Interval | None = None
    caller: Caller | None = None
    idle_since: int | None = None
    """Since when the agent waits for work; None when busy or away."""
    plan: int = 0
    """Counts the agent's states: an action planned in an earlier state is void."""
    events: int = 0


class Floor:
    """The shift from `start` on; `advance` plays it, `close` ends it."""

    def __init__(self, roster: Roster, seed: int, start: int) -> None:
        self.start = start
        self.now = start
        self.closed = False
        self._pace = Pace(seed)
        self._timeline: list[tuple[int, int, Action]] = []
        self._planned = itertools.count()
        self._batch: dict[str, Event] = {}
        self._waiting: dict[int, list[Caller]] = {q.project_id: [] for q in roster.queues}
        self._callers = dict.fromkeys((q.queue_id for q in roster.queues), 0)
        self.agents = [Agent(who) for who in roster.agents]
        for agent in self.agents:
            self._open_shift(agent)
        for queue in roster.queues:
            self._at(self._pace.next_arrival(start, queue.per_hour, start),
                     self._arrival(queue))
        self._opening_callers(roster)

    def advance(self, now: int) -> list[Event]:
        """Play what happens up to `now`; the events begun, changed or ended since the
        last call (the latest version of each)."""
        self._play(now)
        return self._taken()

    def close(self, now: int) -> list[Event]:
        """Play up to `now`, then end the shift (at the last time played, if later): every
        open user state, call and queue call ends; callers still waiting hang up. Returns
        the events as `advance` does."""
        self._play(now)
        end = self.now
        for agent in self.agents:
            queue_call = None if agent.caller is None else agent.caller.record
            for record in (agent.call, queue_call, agent.state):
                if record is not None:
                    self._emit(record, end)
            agent.call, agent.caller, agent.state, agent.idle_since = None, None, None, None
        for waiting in self._waiting.values():
            for caller in waiting:
                self._emit(caller.record, end)
            waiting.clear()
        self._timeline.clear()
        self.closed = True
        return self._taken()

    # the timeline -------------------------------------------------------------------
    def _play(self, now: int) -> None:
        while self._timeline and self._timeline[0][0] <= now and not self.closed:
            at, _, action = heapq.heappop(self._timeline)
            self.now = at
            action(at)
        self.now = max(self.now, now)

    def _at(self, at: int, action: Action) -> None:
        heapq.heappush(self._timeline, (at, next(self._planned), action))

    def _later(self, agent: Agent, seconds: int, action: Callable[[Agent, int], None]) -> None:
        """`action` for `agent` in `seconds`, unless the agent's state changes before."""
        plan = agent.plan
        self._at(self.now + seconds,
                 lambda at: action(agent, at) if agent.plan == plan else None)

    def _emit(self, record: Interval, end: int | None) -> None:
        self._batch[record.event_id] = record.render(end)

    def _taken(self) -> list[Event]:
        events = list(self._batch.values())
        self._batch.clear()
        return events

    def _event_id(self, agent: Agent) -> str:
        agent.events += 1
        return f"{ID_PREFIX}{self.start}-u{agent.who.user_id}-{agent.events}"

    # agents --------------------------------------------------------------------------
    def _open_shift(self, agent: Agent) -> None:
        """The agent's first state: mostly waiting for work, a few on a break or away."""
        if self._pace.chance(0.1):
            self._away(agent, self.now, "break", self._pace.between(30, 300))
        elif self._pace.chance(0.05):
            self._away(agent, self.now, "unavailable", self._pace.away_length())
        else:
            self._idle(agent, self.now)

    def _switch(self, agent: Agent, at: int, state: str) -> None:
        """End the agent's state at `at` and begin `state`."""
        if agent.state is not None:
            self._emit(agent.state, at)
        who = agent.who
        agent.state = Interval(self._event_id(agent), "userstate", at, who.project_id,
                               who.user_id, ("state", state))
        self._emit(agent.state, None)
        agent.plan += 1
        agent.idle_since = None

    def _idle(self, agent: Agent, at: int) -> None:
        """The agent is free: takes the caller who waited longest, if any, else waits."""
        if waiting := self._waiting.get(agent.who.project_id):
            self._ring(agent, waiting.pop(0), at)
            return
        self._switch(agent, at, agent.who.idle_state)
        agent.idle_since = at
        if agent.who.outbound:
            self._later(agent, self._pace.before_dialling(), self._prework)

    def _away(self, agent: Agent, at: int, state: str, seconds: int) -> None:
        self._switch(agent, at, state)
        self._later(agent, seconds, self._idle)

    def _ring(self, agent: Agent, caller: Caller, at: int) -> None:
        caller.agent, agent.caller = agent, caller
        self._switch(agent, at, "ringing")
        self._open_call(agent, at, "in")
        self._later(agent, self._pace.ring(), self._answer)

    def _answer(self, agent: Agent, at: int) -> None:
        assert agent.caller is not None and agent.call is not None
        agent.caller.record.answer, agent.caller.record.user_id = at, agent.who.user_id
        self._emit(agent.caller.record, None)
        self._talk(agent, at)

    def _talk(self, agent: Agent, at: int) -> None:
        """The call is answered: the talk begins."""
        assert agent.call is not None
        agent.call.answer = at
        self._emit(agent.call, None)
        if agent.state is not None and agent.state.member != ("state", "call"):
            self._switch(agent, at, "call")
        else:
            agent.plan += 1
        self._later(agent, self._pace.talk(), self._hang_up)

    def _hang_up(self, agent: Agent, at: int) -> None:
        """The call ends (answered or not); after-call work begins."""
        assert agent.call is not None
        self._emit(agent.call, at)
        if agent.caller is not None:
            self._emit(agent.caller.record, at)
            seconds = self._pace.after_work()
        else:
            reached = agent.call.answer is not None
            self._dispose(agent, at, reached)
            seconds = self._pace.outbound_after_work(reached)
        agent.call, agent.caller = None, None
        self._switch(agent, at, "afterwork")
        self._later(agent, seconds, self._after_work_done)

    def _after_work_done(self, agent: Agent, at: int) -> None:
        if self._pace.chance(BREAK_SHARE):
            self._away(agent, at, "break", self._pace.break_length())
        elif self._pace.chance(AWAY_SHARE):
            self._away(agent, at, "unavailable", self._pace.away_length())
        else:
            self._idle(agent, at)

    def _open_call(self, agent: Agent, at: int, direction: str) -> None:
        who = agent.who
        agent.call = Interval(self._event_id(agent), "call", at, who.project_id, who.user_id,
                              ("direction", direction))
        self._emit(agent.call, None)

    # outbound ------------------------------------------------------------------------
    def _prework(self, agent: Agent, at: int) -> None:
        self._switch(agent, at, "prework")
        self._later(agent, self._pace.prework(), self._dial)

    def _dial(self, agent: Agent, at: int) -> None:
        self._switch(agent, at, "call")
        self._open_call(agent, at, "out")
        reached = self._pace.chance(OUTBOUND_REACHED)
        self._later(agent, self._pace.dialling(), self._talk if reached else self._hang_up)

    def _dispose(self, agent: Agent, at: int, reached: bool) -> None:
        statuses = REACHED_STATUS if reached else UNREACHED_STATUS
        status = statuses[self._pace.pick([weight for _, weight in statuses])][0]
        event = disposition(self._event_id(agent), agent.who.project_id, agent.who.user_id,
                            status, at)
        self._batch[str(event["id"])] = event

    # callers -------------------------------------------------------------------------
    def _opening_callers(self, roster: Roster) -> None:
        """Callers already on their way when the shift starts, so that it moves at once."""
        for project in self._waiting:
            queues = [q for q in roster.queues if q.project_id == project]
            staff = sum(a.project_id == project for a in roster.agents)
            for _ in range(round(OPENING_CALLERS * staff)):
                queue = queues[self._pace.pick([q.per_hour for q in queues])]
                self._at(self.start + self._pace.between(1, 15), self._arrival(queue, False))

    def _arrival(self, queue: LiveQueue, more: bool = True) -> Action:
        """A caller arrives in `queue`; then, if `more`, the next caller is planned."""
        def arrive(at: int) -> None:
            self._callers[queue.queue_id] += 1
            record = Interval(f"{ID_PREFIX}{self.start}-q{queue.queue_id}-"
                              f"{self._callers[queue.queue_id]}", "queuecall", at,
                              queue.project_id, None, ("queueId", queue.queue_id))
            caller = Caller(record, queue)
            self._emit(record, None)
            self._waiting[queue.project_id].append(caller)
            self._at(at + self._pace.patience(), lambda when: self._give_up(caller, when))
            if more:
                self._at(self._pace.next_arrival(at, queue.per_hour, self.start),
                         self._arrival(queue))
            self._dispatch(queue.project_id, at)
        return arrive

    def _give_up(self, caller: Caller, at: int) -> None:
        """The caller hangs up unless a phone rings for them already."""
        waiting = self._waiting[caller.queue.project_id]
        if caller.agent is None and caller in waiting:
            waiting.remove(caller)
            self._emit(caller.record, at)

    def _dispatch(self, project: int, at: int) -> None:
        """A caller of `project` waits: the agent of the project idle longest takes the
        caller who waited longest. (No agent waits for work while a caller waits.)"""
        idle = [a for a in self.agents if a.who.project_id == project and a.idle_since is not None]
        if idle:
            agent = min(idle, key=lambda a: (a.idle_since or 0, a.who.user_id))
            self._ring(agent, self._waiting[project].pop(0), at)
